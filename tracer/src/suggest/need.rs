//! What one attributed denial needs, independent of any sandbox format: the paths and rights a
//! Landlock refusal lacked (with the sequences that follow), the syscall a seccomp filter refused,
//! the capability, limit or device, or, for permission bits and read-only mounts, the facts that
//! a remedy starts from. Read from the cause's `detail` (keys listed in attribution/mod.rs).

use serde_json::{Map, Value};

use super::sequences::{self, Probe, Seen};
use crate::{
    attribution::landlock::{bit_of, names_of},
    model::{CauseKind, DenialEntry},
    text::Text,
};

/// A filesystem grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathGrant {
    /// Absolute path.
    pub path: String,
    /// Needs more than reading (write, create, remove...).
    pub write: bool,
    /// Landlock rights (`LANDLOCK_ACCESS_FS_*` bits) the rule must carry.
    pub rights: u32,
    /// The path is a directory: the rule covers what is beneath it.
    pub dir: bool,
    /// Not observed: what the program does next.
    pub anticipated: bool,
    /// What it is for.
    pub why: String,
}

/// A device the device controller must allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceGrant {
    /// `c` or `b`.
    pub kind: char,
    /// Major number.
    pub major: u32,
    /// Minor number; None is every minor.
    pub minor: Option<u32>,
    /// `r`, `w`, `m` letters.
    pub access: String,
    /// The node's path, when known.
    pub path: Option<String>,
    /// Not observed: what the program does next.
    pub anticipated: bool,
    /// What it is for.
    pub why: String,
}

impl DeviceGrant {
    /// `c 5:2` / `c 136:*`.
    #[must_use]
    pub fn spec(&self) -> String {
        let minor = self.minor.map_or_else(|| "*".to_owned(), |m| m.to_string());
        format!("{} {}:{minor}", self.kind, self.major)
    }
}

/// The facts of a DAC refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dac {
    /// The object whose bits refused, terminal-safe (for sentences).
    pub object: String,
    /// Its exact name (for the commands of the remedies), when known.
    pub object_bytes: Option<Vec<u8>>,
    /// Its type ("regular file", "directory"...).
    pub object_type: Option<String>,
    /// Owner uid.
    pub owner: Option<u64>,
    /// Group gid.
    pub group: Option<u64>,
    /// Mode, octal.
    pub mode: Option<String>,
    /// What the call needed ("read", "write+search"...).
    pub needed: Option<String>,
    /// The caller's fsuid.
    pub fsuid: Option<u64>,
    /// The caller's fsgid.
    pub fsgid: Option<u64>,
    /// The caller's supplementary groups.
    pub groups: Option<Vec<u64>>,
    /// How long before the denial the object's owner or mode last changed.
    pub changed_ms_before: Option<i64>,
    /// The process that made or changed it, when known.
    pub changed_by: Option<String>,
}

/// The facts of a read-only (or noexec) mount refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOnly {
    /// Mount point.
    pub mount_point: String,
    /// Mount options.
    pub options: Vec<String>,
    /// Filesystem type.
    pub fstype: Option<String>,
    /// The object written to, when known.
    pub object: Option<String>,
    /// The mount is noexec and the call executed.
    pub noexec: bool,
}

/// What a denial needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    /// Landlock filesystem rights.
    Paths {
        /// The grants, sequences included; empty when `problem` is set.
        grants: Vec<PathGrant>,
        /// Why no grant can be written.
        problem: Option<String>,
        /// The rights the domain handles.
        handled: u32,
        /// The rights that were missing.
        missing: Vec<String>,
    },
    /// Landlock refused something that is not a path (signals, abstract sockets).
    LandlockScope,
    /// A seccomp filter refused a syscall.
    Syscall {
        /// Its name.
        name: String,
        /// The errno it returned.
        errno: String,
    },
    /// A capability.
    Capability {
        /// `CAP_...`.
        cap: String,
    },
    /// A resource limit.
    Limit {
        /// `RLIMIT_NOFILE`, `kernel.threads-max`...
        limit: String,
        /// Soft limit (None: unlimited or unknown).
        soft: Option<u64>,
        /// Hard limit.
        hard: Option<u64>,
        /// Usage when the limit was hit.
        usage: Option<u64>,
    },
    /// A cgroup's pids.max.
    Pids {
        /// The cgroup directory.
        cgroup: String,
        /// pids.max.
        max: Option<u64>,
        /// pids.current.
        current: Option<u64>,
    },
    /// The device controller.
    Devices {
        /// Devices to allow.
        grants: Vec<DeviceGrant>,
        /// The cgroup directory.
        cgroup: String,
    },
    /// Permission bits.
    Dac(Dac),
    /// A read-only or noexec mount.
    ReadOnly(ReadOnly),
    /// Another LSM.
    Lsm {
        /// Which.
        lsms: Vec<String>,
    },
    /// Nothing can be suggested.
    Nothing {
        /// Why.
        why: String,
    },
}

fn text_of(detail: &Map<String, Value>, key: &str) -> Option<Text> {
    detail.get(key).filter(|v| !v.is_null()).and_then(|v| serde_json::from_value(v.clone()).ok())
}

fn str_of<'a>(detail: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    detail.get(key).and_then(Value::as_str)
}

fn u64_of(detail: &Map<String, Value>, key: &str) -> Option<u64> {
    detail.get(key).and_then(Value::as_u64)
}

fn strings(detail: &Map<String, Value>, key: &str) -> Vec<String> {
    detail
        .get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn mask(names: &[&str]) -> u32 {
    names.iter().filter_map(|n| bit_of(n)).fold(0, |a, b| a | b)
}

/// Rights that only read.
fn read_rights() -> u32 {
    mask(&["read_file", "read_dir", "execute"])
}

/// What a denial needs.
#[must_use]
pub fn of(d: &DenialEntry, probe: &dyn Probe) -> Need {
    let Some(cause) = &d.cause else {
        return Need::Nothing { why: "the denial was not attributed".into() };
    };
    let detail = &cause.detail;
    match cause.kind {
        CauseKind::Landlock => landlock(d, detail, probe),
        CauseKind::Seccomp => match str_of(detail, "syscall") {
            Some(name) => Need::Syscall { name: name.to_owned(), errno: d.errno.clone() },
            None => Need::Syscall { name: d.syscall.name.clone(), errno: d.errno.clone() },
        },
        CauseKind::Capability => match str_of(detail, "capability") {
            Some(cap) => Need::Capability { cap: cap.to_owned() },
            None => Need::Nothing { why: "the capability that was missing is not known".into() },
        },
        CauseKind::Rlimit => Need::Limit {
            limit: str_of(detail, "limit").unwrap_or("unknown").to_owned(),
            soft: u64_of(detail, "soft"),
            hard: u64_of(detail, "hard"),
            usage: u64_of(detail, "usage"),
        },
        CauseKind::CgroupPids => Need::Pids {
            cgroup: str_of(detail, "cgroup").unwrap_or("?").to_owned(),
            max: u64_of(detail, "pids_max"),
            current: u64_of(detail, "pids_current"),
        },
        CauseKind::DeviceCgroup => devices(d, detail),
        CauseKind::Dac => Need::Dac(Dac {
            object: text_of(detail, "object")
                .or_else(|| text_of(detail, "resolved"))
                .or_else(|| d.path.clone())
                .map_or_else(|| "?".to_owned(), |t| t.term()),
            object_bytes: text_of(detail, "object")
                .or_else(|| text_of(detail, "resolved"))
                .or_else(|| d.path.clone())
                .map(|t| t.to_bytes()),
            object_type: str_of(detail, "type").map(str::to_owned),
            owner: u64_of(detail, "owner"),
            group: u64_of(detail, "group"),
            mode: str_of(detail, "mode").map(str::to_owned),
            needed: str_of(detail, "needed").map(str::to_owned),
            fsuid: u64_of(detail, "fsuid").or(Some(u64::from(d.process.fsuid))),
            fsgid: u64_of(detail, "fsgid").or(Some(u64::from(d.process.fsgid))),
            groups: detail.get("groups").and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_u64).collect()),
            changed_ms_before: detail.get("changed_ms_before").and_then(Value::as_i64),
            changed_by: detail.get("changed_by").filter(|v| !v.is_null()).map(|v| match (v.get("pid"), v.get("comm")) {
                (Some(pid), Some(comm)) => format!("pid {pid} ({})", comm.as_str().map_or_else(|| comm.to_string(), crate::text::term_str)),
                _ => crate::text::term_str(&v.to_string()),
            }),
        }),
        CauseKind::ReadonlyFs => Need::ReadOnly(ReadOnly {
            mount_point: str_of(detail, "mount_point").unwrap_or("?").to_owned(),
            options: strings(detail, "options"),
            fstype: str_of(detail, "fstype").map(str::to_owned),
            object: text_of(detail, "resolved").or_else(|| text_of(detail, "path")).or_else(|| d.path.clone()).and_then(|t| t.as_str().map(str::to_owned)),
            noexec: cause.summary.starts_with("noexec"),
        }),
        CauseKind::Lsm => Need::Lsm { lsms: strings(detail, "lsms") },
        CauseKind::Unknown => Need::Nothing { why: "the mechanism that refused it is not known".into() },
    }
}

fn landlock(d: &DenialEntry, detail: &Map<String, Value>, probe: &dyn Probe) -> Need {
    let missing = strings(detail, "missing_rights");
    if missing.is_empty() {
        return Need::LandlockScope;
    }
    let handled = mask(&strings(detail, "handled_rights").iter().map(String::as_str).collect::<Vec<_>>());
    let problem = |why: String| Need::Paths { grants: Vec::new(), problem: Some(why), handled, missing: missing.clone() };
    // Rights by where the kernel checks them: "write_file+read_file on the object",
    // "make_reg on its directory /tmp".
    let mut on_object = 0;
    let mut on_parent = 0;
    for w in strings(detail, "needed_on") {
        let (names, place) = w.split_once(" on ").unwrap_or((w.as_str(), "the object"));
        let m = mask(&names.split('+').collect::<Vec<_>>());
        if place.starts_with("its directory") {
            on_parent |= m;
        } else {
            on_object |= m;
        }
    }
    if on_object | on_parent == 0 {
        on_object = mask(&missing.iter().map(String::as_str).collect::<Vec<_>>());
    }
    let requested = text_of(detail, "path").or_else(|| d.path.clone());
    let resolved = text_of(detail, "resolved");
    let parent = text_of(detail, "parent");
    let utf8 = |t: &Option<Text>| -> Result<Option<String>, String> {
        match t {
            None => Ok(None),
            Some(t) => super::quote::utf8(&t.to_bytes()).map(|s| Some(s.to_owned())),
        }
    };
    let (requested_s, resolved_s, parent_s) = match (utf8(&requested), utf8(&resolved), utf8(&parent)) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return problem(e),
    };
    let object_type = str_of(detail, "object_type");
    let is_dir = object_type == Some("directory");
    let rights_text = names_of(on_object | on_parent).join(", ");
    let grant = if on_parent != 0 {
        let Some(dir) = parent_s.clone() else {
            return problem("the directory that would hold the object is not known".into());
        };
        let object = requested_s.clone().unwrap_or_default();
        PathGrant {
            path: dir.clone(),
            write: (on_parent | on_object) & !read_rights() != 0,
            rights: on_parent | on_object,
            dir: true,
            anticipated: false,
            why: format!(
                "Landlock refused {rights_text}: {} is checked on the directory {dir}, and a grant there also covers \
                 using {object} afterwards",
                names_of(on_parent).join("+"),
            ),
        }
    } else {
        let Some(path) = resolved_s.clone().or_else(|| requested_s.clone().filter(|p| p.starts_with('/'))) else {
            return problem("the object's absolute path is not known".into());
        };
        let symlink_note = match (&requested_s, &resolved_s) {
            (Some(r), Some(res)) if r != res => format!(" ({r} led there: the kernel checks the file it opened)"),
            _ => String::new(),
        };
        PathGrant {
            path: path.clone(),
            write: on_object & !read_rights() != 0,
            rights: on_object,
            dir: is_dir,
            anticipated: false,
            why: format!("Landlock refused {rights_text} on {path}{symlink_note}"),
        }
    };
    if let Some(p) = super::quote::grant_problem(&grant.path) {
        return problem(p);
    }
    let seen = Seen { requested: requested_s.as_deref(), resolved: resolved_s.as_deref() };
    let grants = sequences::expand(vec![grant], seen, probe);
    if let Some(root) = grants.iter().find(|g| g.path == "/") {
        return problem(format!(
            "the grant would be on / ({}): that opens the whole filesystem; move what the program writes into a subdirectory",
            root.why
        ));
    }
    Need::Paths { grants, problem: None, handled, missing }
}

fn devices(d: &DenialEntry, detail: &Map<String, Value>) -> Need {
    let cgroup = str_of(detail, "cgroup").unwrap_or("?").to_owned();
    let Some(spec) = str_of(detail, "device") else {
        return Need::Nothing { why: "the refused device is not known".into() };
    };
    let parsed = (|| {
        let (kind, nums) = spec.split_once(' ')?;
        let (major, minor) = nums.split_once(':')?;
        Some((kind.chars().next()?, major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?))
    })();
    let Some((kind, major, minor)) = parsed else {
        return Need::Nothing { why: format!("the device {spec:?} could not be read") };
    };
    let flags = d.syscall.args.get("flags").map_or("", String::as_str);
    let mut access = if flags.contains("O_RDWR") {
        "rw".to_owned()
    } else if flags.contains("O_WRONLY") {
        "w".to_owned()
    } else {
        "r".to_owned()
    };
    if d.syscall.name.starts_with("mknod") {
        "m".clone_into(&mut access);
    }
    let path = text_of(detail, "resolved").or_else(|| d.path.clone()).and_then(|t| t.as_str().map(str::to_owned));
    let mut grants = vec![DeviceGrant {
        kind,
        major,
        minor: Some(minor),
        access: access.clone(),
        path: path.clone(),
        anticipated: false,
        why: format!("the devices cgroup {cgroup} refused {spec} {access}"),
    }];
    // Unix98 pseudo-terminals: the master is char 5:2, the slaves char 136:N (N per terminal).
    if kind == 'c' && (major, minor) == (5, 2) {
        grants.push(DeviceGrant {
            kind: 'c',
            major: 136,
            minor: None,
            access: "rw".into(),
            path: None,
            anticipated: true,
            why: "anticipated: after the master (5:2) the slave /dev/pts/N, char 136:N, is opened; N changes with every terminal".into(),
        });
    } else if kind == 'c' && (136..=143).contains(&major) {
        grants[0].minor = None;
        grants[0].why.push_str("; pseudo-terminal numbers change every time, so every minor");
    }
    Need::Devices { grants, cgroup }
}

#[cfg(test)]
pub mod tests {
    use serde_json::json;

    use super::*;
    use crate::suggest::sequences::tests::Fake;

    /// A denial entry as the report holds it.
    #[must_use]
    pub fn entry(syscall: &str, path: &str, errno: &str, kind: &str, detail: &Value) -> DenialEntry {
        serde_json::from_value(json!({
            "count": 1, "first_seen": "t", "last_seen": "t", "t_ms": 5,
            "process": {"pid": 10, "tid": 10, "ppid": 1, "comm": "x", "exe": null, "uid": 1000, "gid": 1000,
                        "euid": 1000, "fsuid": 1000, "fsgid": 1000, "cgroup": null},
            "syscall": {"nr": 257, "name": syscall, "args": {"flags": "O_RDWR"}, "entered": true},
            "path": path, "path2": null, "errno": errno, "ret": -13,
            "cause": {"kind": kind, "confidence": "certain", "summary": "s", "evidence": [], "detail": detail},
            "suggestions": []
        }))
        .unwrap()
    }

    #[test]
    fn creation_grants_the_directory() {
        let d = entry(
            "openat",
            "/work/out/x.txt",
            "EACCES",
            "landlock",
            &json!({"missing_rights": ["make_reg"], "handled_rights": ["make_reg", "write_file"],
                   "needed_on": ["make_reg on its directory /work/out", "write_file on the object"],
                   "parent": "/work/out", "path": "/work/out/x.txt", "resolved": null, "object_type": null}),
        );
        let Need::Paths { grants, problem, .. } = of(&d, &Fake::default()) else { panic!() };
        assert_eq!(problem, None);
        assert_eq!(grants.len(), 1);
        assert_eq!((grants[0].path.as_str(), grants[0].write, grants[0].dir), ("/work/out", true, true));
    }

    #[test]
    fn reading_is_read_only() {
        let d = entry(
            "openat",
            "/etc/localtime",
            "EACCES",
            "landlock",
            &json!({"missing_rights": ["read_file"], "handled_rights": ["read_file"],
                   "needed_on": ["read_file on the object"], "parent": "/etc",
                   "path": "/etc/localtime", "resolved": "/usr/share/zoneinfo/Etc/UTC", "object_type": "regular file"}),
        );
        let Need::Paths { grants, .. } = of(&d, &Fake::default()) else { panic!() };
        assert_eq!((grants[0].path.as_str(), grants[0].write), ("/usr/share/zoneinfo/Etc/UTC", false));
        assert!(grants[0].why.contains("/etc/localtime led there"));
    }

    #[test]
    fn non_utf8_paths_are_refused() {
        let d = entry(
            "openat",
            "/x",
            "EACCES",
            "landlock",
            &json!({"missing_rights": ["read_file"], "handled_rights": ["read_file"],
                   "needed_on": ["read_file on the object"], "parent": "/",
                   "path": {"bytes_hex": "2fff", "lossy": "/\u{fffd}"}, "resolved": {"bytes_hex": "2fff", "lossy": "/\u{fffd}"}}),
        );
        let Need::Paths { grants, problem, .. } = of(&d, &Fake::default()) else { panic!() };
        assert!(grants.is_empty());
        assert!(problem.unwrap().contains("UTF-8"));
    }

    #[test]
    fn creating_at_the_root_is_never_granted() {
        let d = entry(
            "mkdir",
            "/newdir",
            "EACCES",
            "landlock",
            &json!({"missing_rights": ["make_dir"], "handled_rights": ["make_dir"],
                   "needed_on": ["make_dir on its directory /"], "parent": "/", "path": "/newdir"}),
        );
        let Need::Paths { problem, .. } = of(&d, &Fake::default()) else { panic!() };
        assert!(problem.unwrap().contains("whole filesystem"));
    }

    #[test]
    fn pty_master_device_anticipates_the_slaves() {
        let d = entry("openat", "/dev/ptmx", "EPERM", "device_cgroup", &json!({"device": "c 5:2", "cgroup": "/sys/fs/cgroup/devices/x"}));
        let Need::Devices { grants, .. } = of(&d, &Fake::default()) else { panic!() };
        assert_eq!(grants.iter().map(DeviceGrant::spec).collect::<Vec<_>>(), vec!["c 5:2", "c 136:*"]);
        assert_eq!(grants[0].access, "rw");
    }
}
