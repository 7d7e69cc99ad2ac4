//! Attribution: which mechanism refused a syscall, how sure denytrace is, and on what evidence.
//!
//! The order follows the kernel's: seccomp runs before the syscall (so a refused call that never
//! reached `sys_enter` is seccomp's), then inside the call capabilities, resource limits and cgroup
//! counters, then for files the DAC check (`inode_permission`), then the LSM hooks (Landlock, and
//! any other LSM), with the device controller and mount flags beside them. A verdict is `certain`
//! when the kernel said so or every other mechanism was ruled out; `likely` when one alternative
//! could not be checked; `possible` otherwise.

pub mod devices;
pub mod fs;
pub mod landlock;
pub mod limits;
pub mod snapshot;

use std::collections::HashMap;

use denytrace_common::{Denial, Setup, denial_flag, setup_kind};
use serde_json::json;

use crate::{
    clock::Clock,
    describe::{self, Paths},
    model::{Cause, CauseKind, Confidence},
    names, procinfo, syscalls,
    text::Text,
};

const CAP_DAC_OVERRIDE: u32 = 1;
const CAP_DAC_READ_SEARCH: u32 = 2;
const CAP_FOWNER: u32 = 3;
const DAC_CAPS: u64 = (1 << CAP_DAC_OVERRIDE) | (1 << CAP_DAC_READ_SEARCH);

/// A verdict under construction.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// Mechanism.
    pub kind: CauseKind,
    /// How sure.
    pub confidence: Confidence,
    /// One line.
    pub summary: String,
    /// What was observed.
    pub evidence: Vec<String>,
    /// Kind-specific facts.
    pub detail: serde_json::Map<String, serde_json::Value>,
}

impl Verdict {
    /// A verdict without details.
    #[must_use]
    pub fn simple(kind: CauseKind, confidence: Confidence, summary: &str, evidence: Vec<String>) -> Self {
        Self { kind, confidence, summary: summary.to_owned(), evidence, detail: serde_json::Map::new() }
    }

    /// Adds a detail.
    #[must_use]
    pub fn with(mut self, key: &str, value: serde_json::Value) -> Self {
        self.detail.insert(key.to_owned(), value);
        self
    }

    fn into_cause(self) -> Cause {
        Cause {
            kind: self.kind,
            confidence: self.confidence,
            summary: self.summary,
            evidence: self.evidence,
            detail: self.detail,
        }
    }
}

/// Who made a sandbox, seen live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// pid.
    pub pid: u32,
    /// comm.
    pub comm: Text,
    /// Milliseconds from the start of tracing.
    pub t_ms: u64,
}

/// What attribution knows about the session and the machine.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Active LSMs.
    pub lsms: Vec<String>,
    /// Landlock domains are read from the kernel.
    pub landlock_readable: bool,
    /// The `cap_capable` tracepoint is attached.
    pub caps_seen: bool,
    /// Seccomp filter mode is read from the kernel.
    pub seccomp_mode_readable: bool,
    /// Number of attached BPF-LSM programs at start.
    pub bpf_lsm_programs: usize,
    /// Lockdown state (`none`, `integrity`, `confidentiality`).
    pub lockdown: Option<String>,
    /// Landlock domains by kernel pointer, with who made them.
    pub domains: HashMap<u64, Origin>,
    /// Seccomp filters installed, by installing pid.
    pub seccomp_filters: HashMap<u32, Origin>,
    /// Parent of each pid seen.
    pub parents: HashMap<u32, u32>,
    /// denytrace's own mount namespace number.
    pub own_mnt_ns: Option<u32>,
    /// Cgroups and limits of each traced process as read when it exec'd, for denials explained
    /// after it is gone.
    pub snapshots: HashMap<u32, snapshot::Snapshot>,
}

/// At most this many exec snapshots (and parents) are kept (`watch --all` on a busy machine).
const MAX_SNAPSHOTS: usize = 65_536;
/// At most this many Landlock domains and seccomp installers are remembered; beyond, the older
/// half is forgotten (a denial in a forgotten one says who made the sandbox is unknown).
const MAX_ORIGINS: usize = 4_096;

/// Inserts `origin`, first forgetting the older half of `map` when it is full.
fn insert_bounded<K: Eq + std::hash::Hash>(map: &mut HashMap<K, Origin>, key: K, origin: Origin) {
    if map.len() >= MAX_ORIGINS && !map.contains_key(&key) {
        let mut times: Vec<u64> = map.values().map(|o| o.t_ms).collect();
        let (_, &mut cutoff, _) = times.select_nth_unstable(MAX_ORIGINS / 2);
        map.retain(|_, o| o.t_ms > cutoff);
    }
    map.insert(key, origin);
}

impl Context {
    /// A sandbox was made.
    pub fn on_setup(&mut self, s: &Setup, clock: &Clock) {
        let origin = Origin {
            pid: s.task.pid,
            comm: Text::from_bytes(crate::decode::comm(&s.task)),
            t_ms: clock.offset_ms(s.ts_ns),
        };
        if self.parents.len() < MAX_SNAPSHOTS || self.parents.contains_key(&s.task.pid) {
            self.parents.insert(s.task.pid, s.task.ppid);
        }
        match s.what {
            setup_kind::LANDLOCK_RESTRICT if s.landlock_domain != 0 => {
                insert_bounded(&mut self.domains, s.landlock_domain, origin);
            }
            setup_kind::SECCOMP_FILTER => {
                insert_bounded(&mut self.seccomp_filters, s.task.pid, origin);
            }
            _ => {}
        }
    }

    /// A process exec'd: notes its parent, and reads its cgroups and limits while it is (most
    /// likely) still alive.
    pub fn on_exec(&mut self, pid: u32, parent: u32, t_ms: u64) {
        if self.parents.len() < MAX_SNAPSHOTS || self.parents.contains_key(&pid) {
            self.parents.insert(pid, parent);
        }
        if self.snapshots.len() >= MAX_SNAPSHOTS && !self.snapshots.contains_key(&pid) {
            return;
        }
        match snapshot::Snapshot::take(pid, t_ms) {
            Some(s) => {
                self.snapshots.insert(pid, s);
            }
            None => {
                self.snapshots.remove(&pid);
            }
        }
    }

    /// A process ended: its pid may be reused, so its snapshot goes.
    pub fn on_exit(&mut self, pid: u32) {
        self.snapshots.remove(&pid);
        self.parents.remove(&pid);
    }

    /// The exec snapshot of a process.
    #[must_use]
    pub fn snapshot(&self, pid: u32) -> Option<&snapshot::Snapshot> {
        self.snapshots.get(&pid)
    }

    /// The nearest seccomp filter installer among `pid` (whose parent is `parent`) and its known
    /// ancestors.
    fn filter_owner(&self, pid: u32, parent: u32) -> Option<&Origin> {
        if let Some(o) = self.seccomp_filters.get(&pid) {
            return Some(o);
        }
        let mut pid = parent;
        for _ in 0..64 {
            if let Some(o) = self.seccomp_filters.get(&pid) {
                return Some(o);
            }
            pid = *self.parents.get(&pid)?;
        }
        None
    }

    /// LSMs other than Landlock that may refuse file access on their own policy.
    fn other_file_lsms(&self) -> Vec<String> {
        self.lsms
            .iter()
            .filter(|l| match l.as_str() {
                "selinux" | "apparmor" | "smack" | "tomoyo" => true,
                "bpf" => self.bpf_lsm_programs > 0,
                _ => false,
            })
            .cloned()
            .collect()
    }
}

/// Explains one denial.
#[must_use]
pub fn explain(d: &Denial, paths: &Paths, ctx: &Context, clock: &Clock) -> Cause {
    let _ = clock;
    let mut v = verdict(d, paths, ctx);
    if describe::truncated(d) {
        v.evidence.push("a path was longer than denytrace captures; checks used its first part".to_owned());
        v.confidence = v.confidence.max(Confidence::Likely);
    }
    v.into_cause()
}

fn caps_list(mask: u64) -> Vec<String> {
    (0..64u32)
        .filter(|c| mask & (1 << c) != 0)
        .map(|c| names::cap_name(c).map_or_else(|| format!("CAP_{c}"), str::to_owned))
        .collect()
}

fn verdict(d: &Denial, paths: &Paths, ctx: &Context) -> Verdict {
    let errno = i32::try_from(-d.ret).unwrap_or(0);
    let name = describe::syscall_name(d.nr);
    let entered = d.flags & denial_flag::NO_ENTER == 0;
    let tracked = d.flags & denial_flag::ENTER_EVER != 0;
    let status = procinfo::status(d.task.pid);
    let seccomp_mode = if ctx.seccomp_mode_readable { Some(d.seccomp_mode) } else { status.as_ref().map(|s| s.seccomp) };

    if !entered {
        return seccomp_verdict(d, &name, errno, tracked, seccomp_mode, ctx);
    }
    let forklike = syscalls::is_forklike(d.nr);
    match errno {
        libc::EAGAIN if forklike => {
            return limits::fork_eagain(d.task.pid, d.task.uid, d.failed_caps, ctx.caps_seen, ctx.snapshot(d.task.pid), kernel_limit(d));
        }
        libc::EMFILE => return limits::emfile(d.task.pid, ctx.snapshot(d.task.pid), kernel_limit(d)),
        libc::ENFILE => return limits::enfile(),
        libc::EFBIG => return limits::efbig(d.task.pid, ctx.snapshot(d.task.pid), kernel_limit(d)),
        _ => {}
    }
    let mut v = access_verdict(d, paths, ctx, &name, errno, status.as_ref());
    if seccomp_mode == Some(2) && v.kind != CauseKind::Seccomp {
        v.evidence.push("the process is in seccomp filter mode, but this call passed the filter (it reached sys_enter)".to_owned());
    }
    v
}

fn seccomp_verdict(d: &Denial, name: &str, errno: i32, tracked: bool, mode: Option<u32>, ctx: &Context) -> Verdict {
    let mut evidence = vec![format!(
        "{name} never reached the sys_enter tracepoint: on x86-64 the seccomp filter runs before it and its \
         errno action returns without running the call"
    )];
    let filter_mode = mode == Some(2);
    match mode {
        Some(2) => evidence.push("the task is in seccomp filter mode (task->seccomp.mode == 2)".to_owned()),
        Some(m) => evidence.push(format!("the task's seccomp mode is {m}, not filter mode")),
        None => evidence.push("the task's seccomp mode could not be read".to_owned()),
    }
    let owner = ctx.filter_owner(d.task.pid, d.task.ppid);
    if let Some(o) = owner {
        evidence.push(format!("the filter was installed by pid {} ({}) at +{} ms", o.pid, o.comm, o.t_ms));
    }
    let confidence = match (filter_mode, tracked) {
        (true, true) => Confidence::Certain,
        (true, false) => {
            evidence.push("the thread was not followed from its first syscall (already in a syscall when tracing began)".to_owned());
            Confidence::Likely
        }
        (false, _) => Confidence::Possible,
    };
    let kind = if filter_mode || mode.is_none() { CauseKind::Seccomp } else { CauseKind::Unknown };
    let errno_name = names::errno_name(errno).unwrap_or("E?");
    Verdict::simple(
        kind,
        confidence,
        &if kind == CauseKind::Seccomp {
            format!("seccomp filter refused {name} with {errno_name}")
        } else {
            format!("{name} did not run and returned {errno_name}, but the task is not in seccomp filter mode (ptrace emulation?)")
        },
        evidence,
    )
    .with("syscall", json!(name))
    .with("nr", json!(d.nr))
    .with("action", json!("errno"))
    .with("errno", json!(errno))
    .with("filter_owner", owner.map_or(serde_json::Value::Null, |o| json!({"pid": o.pid, "comm": o.comm})))
}

/// Which accesses a call needs on its object, for DAC and mount checks.
#[expect(clippy::struct_excessive_bools, reason = "independent facts about one call, read one by one")]
struct Needs {
    /// DAC bits on the object itself (when it exists).
    object: u32,
    /// DAC bits on the parent directory (creation, removal).
    parent: u32,
    /// The object will be created.
    creating: bool,
    /// The call writes (a read-only mount refuses it).
    writes: bool,
    /// The call executes the object (a noexec mount refuses it).
    executes: bool,
    /// Follow a final symlink.
    follow: bool,
    /// A device open with these cgroup access letters.
    device_access: &'static str,
    /// Owner-only operation (chmod, utimes...): `CAP_FOWNER` otherwise.
    owner_only: bool,
}

fn needs(name: &str, d: &Denial, target_exists: bool) -> Needs {
    use fs::may::{EXEC, READ, WRITE};
    let mut n = Needs { object: 0, parent: 0, creating: false, writes: false, executes: false, follow: true, device_access: "", owner_only: false };
    match name {
        "open" | "openat" | "openat2" | "creat" => {
            let flags = describe::open_flags(d).unwrap_or(0);
            let access = names::open_access(flags);
            let creat = flags & libc::O_CREAT as u64 != 0;
            n.follow = flags & libc::O_NOFOLLOW as u64 == 0;
            if creat && !target_exists {
                n.creating = true;
                n.parent = WRITE | EXEC;
                n.writes = true;
            } else if flags & libc::O_PATH as u64 == 0 {
                if access.read {
                    n.object |= READ;
                }
                if access.write {
                    n.object |= WRITE;
                    n.writes = true;
                }
            }
            n.device_access = match (access.read, access.write) {
                (true, true) => "rw",
                (false, true) => "w",
                _ => "r",
            };
        }
        "execve" | "execveat" => {
            n.object = EXEC;
            n.executes = true;
        }
        "mkdir" | "mkdirat" | "mknod" | "mknodat" | "symlink" | "symlinkat" | "link" | "linkat" => {
            n.creating = true;
            n.parent = WRITE | EXEC;
            n.writes = true;
            n.follow = false;
        }
        "unlink" | "unlinkat" | "rmdir" | "rename" | "renameat" | "renameat2" => {
            n.parent = WRITE | EXEC;
            n.writes = true;
            n.follow = false;
        }
        "truncate" => {
            n.object = WRITE;
            n.writes = true;
        }
        "chdir" | "chroot" => n.object = EXEC,
        "chmod" | "fchmodat" | "fchmodat2" | "utimensat" | "utime" | "utimes" | "futimesat" => {
            n.owner_only = true;
            n.writes = true;
        }
        "chown" | "lchown" | "fchownat" | "setxattr" | "lsetxattr" | "removexattr" | "lremovexattr" => n.writes = true,
        "access" | "faccessat" | "faccessat2" => {
            let mode = u32::try_from(d.args[if name == "access" { 1 } else { 2 }] & 7).unwrap_or(0);
            n.object = mode;
        }
        "inotify_add_watch" | "getxattr" | "lgetxattr" | "listxattr" | "llistxattr" => n.object = READ,
        _ => {}
    }
    n
}

/// For a call whose object is a descriptor (first argument `Fd`), what that descriptor refers to
/// now, when it is a path (not a socket, pipe or anonymous inode).
fn fd_object(name: &str, d: &Denial) -> Option<(i32, Vec<u8>)> {
    let sc = syscalls::by_name(name)?;
    if sc.args.first().map(|(_, k)| *k) != Some(syscalls::Arg::Fd) {
        return None;
    }
    #[expect(clippy::cast_possible_truncation, reason = "a descriptor is a C int in a register")]
    let fd = d.args[0] as i32;
    let target = procinfo::fd_target(d.task.pid, fd)?;
    target.starts_with(b"/").then_some((fd, target))
}

/// The limit behind the errno as the kernel program read it at the refusal.
fn kernel_limit(d: &Denial) -> Option<procinfo::Limit> {
    let value = |v: u64| (v != u64::MAX).then_some(v);
    (d.flags & denial_flag::RLIMIT_READ != 0)
        .then(|| procinfo::Limit { soft: value(d.rlim_cur), hard: value(d.rlim_max) })
}

fn dirfd_of(name: &str, d: &Denial) -> Option<i32> {
    let sc = syscalls::by_name(name)?;
    let i = sc.args.iter().position(|(_, k)| *k == syscalls::Arg::DirFd)?;
    #[expect(clippy::cast_possible_truncation, reason = "dirfd is a C int in a register")]
    Some(d.args[i] as i32)
}

#[expect(clippy::too_many_lines, reason = "one decision procedure, in the kernel's order")]
fn access_verdict(d: &Denial, paths: &Paths, ctx: &Context, name: &str, errno: i32, status: Option<&procinfo::Status>) -> Verdict {
    let mut evidence = Vec::new();
    let non_dac_caps = d.failed_caps & !DAC_CAPS;
    let failed_dac_caps = d.failed_caps & DAC_CAPS;
    let kernel_groups = (d.ngroups as usize <= d.groups.len()).then(|| d.groups[..d.ngroups as usize].to_vec());
    let creds = fs::Creds {
        fsuid: d.task.fsuid,
        fsgid: d.task.fsgid,
        groups: kernel_groups.or_else(|| status.map(|s| s.groups.clone())),
        cap_eff: d.task.cap_effective,
    };
    let same_mount_ns = d.mnt_ns != 0 && ctx.own_mnt_ns == Some(d.mnt_ns);
    if status.is_none() {
        evidence.push(format!("process {} was gone before its state could be read", d.task.pid));
    }

    // The object and what the call needed of it: the path it named, or for calls on a descriptor
    // (ioctl, ftruncate, fchmod...) what the descriptor refers to.
    let fd_object = if paths.path.is_none() { fd_object(name, d) } else { None };
    if let Some((fd, target)) = &fd_object {
        evidence.push(format!("descriptor {fd} refers to {}", Text::from_bytes(target).term()));
    }
    let object_path = paths.path.as_deref().or(fd_object.as_ref().map(|(_, t)| t.as_slice()));
    let lookup = object_path.map(|p| {
        let pre = needs(name, d, true);
        let dirfd = if fd_object.is_some() { None } else { dirfd_of(name, d) };
        fs::lookup(d.task.pid, dirfd, p, pre.follow, same_mount_ns)
    });
    let exists = lookup.as_ref().is_some_and(|l| l.target.is_some());
    let n = needs(name, d, exists);

    // Capabilities refused during the call (other than the DAC fallbacks).
    if non_dac_caps != 0 && errno == libc::EPERM {
        let caps = caps_list(non_dac_caps);
        evidence.push(format!("during {name} the kernel checked {} and the process did not have it", caps.join(", ")));
        let single = non_dac_caps.is_power_of_two();
        if !single {
            evidence.push("several capabilities were refused: the last one decided".to_owned());
        }
        return Verdict::simple(
            CauseKind::Capability,
            if single { Confidence::Certain } else { Confidence::Likely },
            &format!("missing capability {}", caps.last().cloned().unwrap_or_default()),
            evidence,
        )
        .with("capability", json!(caps.last()))
        .with("refused", json!(caps))
        .with("effective", json!(format!("{:#x}", d.task.cap_effective)));
    }

    let Some(lookup) = lookup else {
        // No object: capability, LSM or unknown.
        let others = ctx.other_file_lsms();
        if errno == libc::EPERM && !ctx.caps_seen {
            evidence.push("capability checks are not observable on this kernel (no cap_capable tracepoint)".to_owned());
            return Verdict::simple(CauseKind::Capability, Confidence::Possible, &format!("{name} needs a capability the process may lack"), evidence);
        }
        if !others.is_empty() {
            evidence.push(format!("active LSMs that can refuse: {}", others.join(", ")));
            return Verdict::simple(CauseKind::Lsm, Confidence::Possible, &format!("{name} refused, maybe by {}", others.join("/")), evidence)
                .with("lsms", json!(others));
        }
        if d.landlock_domain != 0 {
            evidence.push("the process is in a Landlock domain (which also scopes signals and abstract unix sockets)".to_owned());
            return Verdict::simple(CauseKind::Landlock, Confidence::Possible, &format!("{name} refused inside a Landlock domain"), evidence);
        }
        evidence.push(format!("no capability was refused during {name}, no object to check, no other LSM active"));
        return Verdict::simple(CauseKind::Unknown, Confidence::Possible, &format!("{name} refused for an unknown reason"), evidence);
    };
    if let Some(problem) = &lookup.problem {
        evidence.push(problem.clone());
    }
    if let Some(note) = &lookup.note {
        evidence.push(note.clone());
    }
    let shown = |p: &[u8]| Text::from_bytes(p).term();
    let requested = object_path.map(Text::from_bytes);
    let resolved = lookup.resolved.as_deref().map(Text::from_bytes);
    let object_detail = |v: Verdict| {
        v.with("path", json!(requested))
            .with("resolved", json!(resolved))
    };

    // The mount the object (or the directory it would be made in) lives on.
    let mount = lookup
        .target
        .or(lookup.parent.as_ref().map(|(_, m)| *m))
        .and_then(|m| fs::mount_by_id(d.task.pid, m.mnt_id));
    let mount_verdict = |v: Verdict, m: &fs::Mount| {
        object_detail(v).with("mount_point", json!(m.point)).with("options", json!(m.options)).with("fstype", json!(m.fstype))
    };

    // EROFS comes from nothing but a read-only mount or filesystem (`mnt_want_write`,
    // `sb_permission`): the path walk succeeded, and the write was refused before any DAC or LSM
    // check could refuse it with another errno.
    if errno == libc::EROFS {
        evidence.push("EROFS is returned only when a write meets a read-only mount or filesystem".to_owned());
        if let Some(m) = &mount {
            if m.read_only() {
                evidence.push(format!("{} is mounted read-only ({} {})", m.point, m.fstype, m.options.join(",")));
                return mount_verdict(Verdict::simple(CauseKind::ReadonlyFs, Confidence::Certain, &format!("read-only mount {}", m.point), evidence), m);
            }
            evidence.push(format!("{} is mounted {} now: it may have been remounted since", m.point, m.options.join(",")));
            return mount_verdict(Verdict::simple(CauseKind::ReadonlyFs, Confidence::Likely, &format!("read-only filesystem at {}", m.point), evidence), m);
        }
        evidence.push("the mount could not be found".to_owned());
        return object_detail(Verdict::simple(CauseKind::ReadonlyFs, Confidence::Likely, "read-only filesystem", evidence));
    }

    // A noexec mount refuses execve before the DAC check (`may_open`, fs/namei.c).
    if let Some(m) = &mount {
        if n.executes && m.has("noexec") && errno == libc::EACCES {
            evidence.push(format!("{} is mounted noexec ({} {})", m.point, m.fstype, m.options.join(",")));
            return mount_verdict(Verdict::simple(CauseKind::ReadonlyFs, Confidence::Certain, &format!("noexec mount {}", m.point), evidence), m);
        }
    }

    // DAC (`generic_permission` refuses with EACCES only): search on every directory, then the
    // object or its parent.
    let mut dac_refusal: Option<(Vec<u8>, fs::Meta, u32)> = None;
    for (dir, meta) in lookup.dirs.iter().filter(|_| errno == libc::EACCES) {
        let check = fs::dac(meta, &creds, fs::may::EXEC);
        if !check.allowed() {
            dac_refusal = Some((dir.clone(), *meta, fs::may::EXEC));
            break;
        }
    }
    if dac_refusal.is_none() && errno == libc::EACCES {
        if let (Some(meta), true) = (lookup.target, n.object != 0) {
            if !fs::dac(&meta, &creds, n.object).allowed() {
                dac_refusal = Some((lookup.resolved.clone().or_else(|| lookup.absolute.clone()).unwrap_or_default(), meta, n.object));
            }
        }
    }
    if dac_refusal.is_none() && n.parent != 0 && errno == libc::EACCES {
        if let Some((dir, meta)) = &lookup.parent {
            if !fs::dac(meta, &creds, n.parent).allowed() {
                dac_refusal = Some((dir.clone(), *meta, n.parent));
            }
        }
    }
    if let Some((path, meta, want)) = dac_refusal {
        let want_text = [(fs::may::READ, "read"), (fs::may::WRITE, "write"), (fs::may::EXEC, if meta.is_dir() { "search" } else { "execute" })]
            .iter()
            .filter(|(b, _)| want & b != 0)
            .map(|(_, s)| *s)
            .collect::<Vec<_>>()
            .join("+");
        let check = fs::dac(&meta, &creds, want);
        evidence.push(format!(
            "{} is {} owned by {}:{}; the caller (fsuid {}, fsgid {}{}) falls in the {:?} class, which lacks {want_text}",
            shown(&path),
            fs::mode_string(meta.mode),
            meta.uid,
            meta.gid,
            creds.fsuid,
            creds.fsgid,
            creds.groups.as_ref().map_or_else(|| ", groups unknown".to_owned(), |g| format!(", groups {g:?}")),
            check.class
        ));
        let has = |c: u32| d.task.cap_effective & (1 << c) != 0;
        evidence.push(format!(
            "CAP_DAC_OVERRIDE {}, CAP_DAC_READ_SEARCH {}",
            if has(CAP_DAC_OVERRIDE) { "held" } else { "not held" },
            if has(CAP_DAC_READ_SEARCH) { "held" } else { "not held" }
        ));
        if failed_dac_caps != 0 {
            evidence.push(format!("the kernel's DAC fallback checked {} and refused it", caps_list(failed_dac_caps).join(", ")));
        }
        let mut confidence = if failed_dac_caps != 0 || !ctx.caps_seen { Confidence::Certain } else { Confidence::Likely };
        if meta.has_acl {
            evidence.push("the object has a POSIX ACL, which denytrace does not evaluate".to_owned());
            confidence = Confidence::Likely;
        }
        if creds.groups.is_none() {
            confidence = confidence.max(Confidence::Likely);
        }
        if d.landlock_domain != 0 {
            evidence.push("the process is also in a Landlock domain, but the kernel checks DAC first and DAC refused".to_owned());
        }
        let race = race_note(&meta);
        if let Some(note) = &race {
            evidence.push(note.clone());
        }
        return object_detail(Verdict::simple(
            CauseKind::Dac,
            confidence,
            &format!("permission bits of {} ({} {}:{}) refuse {want_text}", shown(&path), fs::mode_string(meta.mode), meta.uid, meta.gid),
            evidence,
        ))
        .with("object", json!(Text::from_bytes(&path)))
        .with("owner", json!(meta.uid))
        .with("group", json!(meta.gid))
        .with("mode", json!(format!("{:04o}", meta.mode & 0o7777)))
        .with("type", json!(names::file_type_name(meta.mode)))
        .with("needed", json!(want_text))
        .with("fsuid", json!(creds.fsuid))
        .with("fsgid", json!(creds.fsgid))
        .with("groups", json!(creds.groups))
        .with("cap_dac_override", json!(has(CAP_DAC_OVERRIDE)))
        .with("cap_dac_read_search", json!(has(CAP_DAC_READ_SEARCH)))
        .with("changed_ms_before", json!(race_gap_ms(&meta)));
    }
    if ctx.caps_seen && failed_dac_caps == 0 {
        evidence.push(format!("permission bits allow it for fsuid {} (no DAC fallback capability was checked)", creds.fsuid));
    } else {
        evidence.push(format!("permission bits allow it for fsuid {}", creds.fsuid));
    }
    if n.owner_only && errno == libc::EPERM {
        if let Some(meta) = lookup.target {
            if meta.uid != creds.fsuid && d.task.cap_effective & (1 << CAP_FOWNER) == 0 {
                evidence.push(format!("{} is owned by uid {}, not the caller ({}), and CAP_FOWNER is not held", shown(&lookup.absolute.clone().unwrap_or_default()), meta.uid, creds.fsuid));
                return object_detail(Verdict::simple(CauseKind::Capability, Confidence::Likely, "not the owner and no CAP_FOWNER", evidence))
                    .with("capability", json!("CAP_FOWNER"));
            }
        }
    }

    // Mount flags (a read-only mount refuses with EROFS, handled above).
    if let Some(m) = &mount {
        evidence.push(format!("{} is mounted {}", m.point, m.options.first().map_or("rw", String::as_str)));
    }

    // Device nodes: the device controller refuses with EPERM, and only with EPERM.
    let device = lookup.target.filter(fs::Meta::is_device);
    // A v1 devices cgroup that allows by default (its deny exceptions unseen).
    let mut device_default_allow: Option<(String, Option<String>)> = None;
    if let (Some(meta), true) = (device, errno == libc::EPERM) {
        let kind = if meta.mode & libc::S_IFMT == libc::S_IFCHR { 'c' } else { 'b' };
        let (major, minor) = (libc::major(meta.rdev), libc::minor(meta.rdev));
        let access = if n.device_access.is_empty() { "r" } else { n.device_access };
        let device_verdict = |v: Verdict, dir: &str, controller: &str| {
            object_detail(v)
                .with("device", json!(format!("{kind} {major}:{minor}")))
                .with("access", json!(access))
                .with("cgroup", json!(dir))
                .with("controller", json!(controller))
        };
        let snap = ctx.snapshot(d.task.pid);
        let v1_membership = snapshot::cgroup_v1(d.task.pid, "devices", snap);
        let v1_mounted = std::path::Path::new(&devices::v1_dir("/")).join("devices.list").exists();
        if v1_membership.is_none() && v1_mounted {
            // Gone before its cgroups could be read, and not seen exec'ing (or already exiting then).
            evidence.push(format!(
                "process {} was gone before its devices cgroup could be read (the kernel shows v1 cgroups of an exiting task as /)",
                d.task.pid
            ));
            evidence.push("a devices cgroup refuses device opens with EPERM, the errno seen; DAC and Landlock refuse with EACCES".to_owned());
            return object_detail(Verdict::simple(
                CauseKind::DeviceCgroup,
                Confidence::Possible,
                &format!("maybe a devices cgroup refusing {kind} {major}:{minor} (the process was gone before its cgroup could be read)"),
                evidence,
            ))
            .with("device", json!(format!("{kind} {major}:{minor}")))
            .with("access", json!(access))
            .with("cgroup", serde_json::Value::Null)
            .with("controller", json!("v1"));
        }
        if let Some((path, source)) = v1_membership {
            let note = source.note(d.task.pid, "cgroups");
            let dir = devices::v1_dir(&path);
            match devices::check_v1(&dir, kind, major, minor, access) {
                Some(devices::V1::Refused { dir, list }) => {
                    evidence.extend(note);
                    evidence.push(format!("{dir}/devices.list allows no \"{kind} {major}:{minor} {access}\": {}", list.join("; ")));
                    evidence.push("the devices cgroup refuses with EPERM, the errno seen".to_owned());
                    return device_verdict(
                        Verdict::simple(CauseKind::DeviceCgroup, Confidence::Certain, &format!("devices cgroup refuses {kind} {major}:{minor} {access}"), evidence),
                        &dir,
                        "v1",
                    );
                }
                Some(devices::V1::Allowed(entry)) => evidence.push(format!("the devices cgroup {dir} allows it ({entry})")),
                Some(devices::V1::DefaultAllow { dir }) => device_default_allow = Some((dir, note)),
                None => {}
            }
        }
        if let Some((path, source)) = snapshot::cgroup_v2(d.task.pid, snap) {
            if let Some((dir, count)) = devices::v2_programs(&path) {
                if count > 0 {
                    evidence.extend(source.note(d.task.pid, "cgroups"));
                    evidence.push(format!("{count} cgroup v2 device program(s) are in effect on {dir}; their logic cannot be read back"));
                    return device_verdict(
                        Verdict::simple(CauseKind::DeviceCgroup, Confidence::Likely, &format!("a cgroup v2 device program refuses {kind} {major}:{minor}"), evidence),
                        &dir,
                        "v2",
                    );
                }
            }
        }
        if let Some((dir, note)) = &device_default_allow {
            let others = ctx.other_file_lsms();
            evidence.extend(note.clone());
            evidence.push(format!(
                "{dir}/devices.list reads \"a *:* rwm\": the cgroup allows devices by default, and the kernel does not list \
                 the deny exceptions of such a cgroup (devices.deny), so one for {kind} {major}:{minor} cannot be ruled out"
            ));
            evidence.push("a devices cgroup refuses with EPERM, the errno seen; DAC and Landlock refuse with EACCES".to_owned());
            if !others.is_empty() {
                evidence.push(format!("active LSMs that can refuse too: {}", others.join(", ")));
            }
            return device_verdict(
                Verdict::simple(
                    CauseKind::DeviceCgroup,
                    if others.is_empty() { Confidence::Likely } else { Confidence::Possible },
                    &format!("devices cgroup probably denies {kind} {major}:{minor} (devices.deny entries are not listed)"),
                    evidence,
                ),
                dir,
                "v1",
            );
        }
    }

    // Landlock.
    let others = ctx.other_file_lsms();
    let object_mode = lookup.target.map(|m| m.mode);
    let extra = match name {
        "mknod" => d.args[1],
        "mknodat" | "unlinkat" => d.args[2],
        _ => 0,
    };
    let flags = describe::open_flags(d);
    let needed = landlock::needed(name, flags, object_mode, n.creating, extra);
    let needed_mask: u32 = needed.iter().map(|(m, _)| *m).fold(0, |a, b| a | b);
    let in_domain = d.landlock_domain != 0;
    let domain_unknown = d.flags & denial_flag::LANDLOCK_READ == 0;
    if (in_domain || domain_unknown) && needed_mask != 0 && (errno == libc::EACCES || errno == libc::EXDEV) {
        let handled = d.landlock_handled_fs;
        let blocking = if in_domain { needed_mask & handled } else { needed_mask };
        if in_domain && blocking == 0 {
            evidence.push(format!(
                "the Landlock domain does not handle {} (it handles {}), so it cannot have refused",
                landlock::names_of(needed_mask).join(", "),
                landlock::names_of(handled).join(", ")
            ));
        } else {
            let rights = landlock::names_of(blocking);
            if in_domain {
                evidence.push(format!(
                    "the process is in a Landlock domain with {} layer(s) that handles {}",
                    d.landlock_layers,
                    landlock::names_of(handled).join(", ")
                ));
            } else {
                evidence.push("the task's Landlock domain could not be read on this kernel".to_owned());
            }
            evidence.push(format!("{name} needs {} here", rights.join(", ")));
            let origin = ctx.domains.get(&d.landlock_domain);
            if let Some(o) = origin {
                evidence.push(format!("the domain was made by pid {} ({}) at +{} ms", o.pid, o.comm, o.t_ms));
            }
            let mut ruled_out = vec!["DAC allows it"];
            let mut open_doubts = Vec::new();
            if ctx.caps_seen {
                ruled_out.push("no capability was refused");
            } else {
                open_doubts.push("capability checks are not observable");
            }
            if others.is_empty() {
                ruled_out.push("no other restricting LSM is active");
            } else {
                open_doubts.push("another LSM is active");
            }
            if n.writes {
                ruled_out.push("the mount is writable");
            }
            if device.is_some() {
                ruled_out.push("a device cgroup refuses with EPERM, not EACCES");
            }
            if creds.groups.is_none() {
                open_doubts.push("the process's supplementary groups are unknown");
            }
            if lookup.problem.is_some() {
                open_doubts.push("the object could not be checked");
            }
            if domain_unknown {
                open_doubts.push("the domain could not be read");
            }
            evidence.push(format!("ruled out: {}", ruled_out.join("; ")));
            if !open_doubts.is_empty() {
                evidence.push(format!("not ruled out: {}", open_doubts.join("; ")));
            }
            let confidence = if open_doubts.is_empty() {
                Confidence::Certain
            } else if in_domain {
                Confidence::Likely
            } else {
                Confidence::Possible
            };
            let target_path = object_path.map(shown).unwrap_or_default();
            let where_text = needed
                .iter()
                .map(|(mask, on)| {
                    let on = match on {
                        landlock::On::Object => "the object".to_owned(),
                        landlock::On::Parent => format!(
                            "its directory {}",
                            lookup.parent.as_ref().map(|(p, _)| shown(p)).unwrap_or_default()
                        ),
                    };
                    format!("{} on {on}", landlock::names_of(mask & if in_domain { handled } else { u32::MAX }).join("+"))
                })
                .collect::<Vec<_>>();
            let mut v = object_detail(Verdict::simple(
                CauseKind::Landlock,
                confidence,
                &format!("Landlock refused {} on {target_path}", rights.join(", ")),
                evidence,
            ))
            .with("missing_rights", json!(rights))
            .with("handled_rights", json!(landlock::names_of(handled)))
            .with("layers", json!(d.landlock_layers))
            .with("needed_on", json!(where_text))
            .with("parent", json!(lookup.parent.as_ref().map(|(p, _)| Text::from_bytes(p))))
            .with("object_type", json!(object_mode.and_then(names::file_type_name)))
            .with("domain_creator", origin.map_or(serde_json::Value::Null, |o| json!({"pid": o.pid, "comm": o.comm, "t_ms": o.t_ms})));
            if lookup.target.is_none() && !n.creating {
                v.evidence.push("the object does not exist (now)".to_owned());
            }
            return v;
        }
    }

    if !others.is_empty() {
        evidence.push(format!("active LSMs that can refuse this: {}", others.join(", ")));
        if let Some(label) = lsm_label(d.task.pid) {
            evidence.push(format!("the process's LSM label is {label}"));
        }
        return object_detail(Verdict::simple(CauseKind::Lsm, Confidence::Likely, &format!("refused by an LSM ({})", others.join("/")), evidence))
            .with("lsms", json!(others));
    }
    if failed_dac_caps != 0 && errno == libc::EACCES {
        evidence.push(format!("the kernel's DAC fallback checked {} and refused it", caps_list(failed_dac_caps).join(", ")));
        return object_detail(Verdict::simple(CauseKind::Dac, Confidence::Possible, "permission bits (or an ACL) refused it, though they look right now: changed since?", evidence));
    }
    object_detail(Verdict::simple(CauseKind::Unknown, Confidence::Possible, &format!("{name} refused for an unknown reason"), evidence))
}

/// The time since the object's owner or mode last changed.
fn race_gap_ms(meta: &fs::Meta) -> Option<i128> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_nanos();
    let gap = i128::try_from(now).ok()? - meta.ctime_ns;
    (gap >= 0).then_some(gap / 1_000_000)
}

/// A note when the refusing object changed moments ago (another process made or chmod'ed it).
fn race_note(meta: &fs::Meta) -> Option<String> {
    let gap = race_gap_ms(meta)?;
    (gap < 5_000).then(|| format!("its owner or mode changed {gap} ms ago: another process may have made or changed it just before (a race)"))
}

fn lsm_label(pid: u32) -> Option<String> {
    let label = std::fs::read_to_string(format!("/proc/{pid}/attr/current")).ok()?;
    let label = label.trim_end_matches(['\n', '\0']).to_owned();
    (!label.is_empty()).then(|| crate::text::term_str(&label))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sandboxes made by the thousand (a long `watch`) keep the newest origins, within the bound.
    #[test]
    fn origins_stay_bounded_and_keep_the_newest() {
        let mut map = HashMap::new();
        for n in 0..3 * MAX_ORIGINS as u64 {
            insert_bounded(&mut map, n, Origin { pid: 1, comm: Text::from_bytes(b"x"), t_ms: n });
        }
        assert!(map.len() <= MAX_ORIGINS, "{}", map.len());
        assert!(map.contains_key(&(3 * MAX_ORIGINS as u64 - 1)), "the newest is kept");
        assert!(!map.contains_key(&0), "the oldest is forgotten");
    }
}
