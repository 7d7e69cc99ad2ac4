//! `docker run` flags: `--cap-add`, `--ulimit`, `--pids-limit`, `--device-cgroup-rule`,
//! `--security-opt seccomp=...`, `--group-add`, `--tmpfs`. Docker sets no Landlock rules.

use std::fmt::Write as _;

use super::{
    Format, Item, Part, need::Need, oci_seccomp::docker_default_cap, quote, raised, remedies,
    risk::{self, Level, Risk},
};
use crate::model::DenialEntry;

const FORMAT: Format = Format::Docker;

/// The seccomp profile file name used in suggestions.
pub const PROFILE: &str = "seccomp-profile.json";

fn cap_name(cap: &str) -> String {
    cap.trim_start_matches("CAP_").to_owned()
}

/// `--ulimit` names by limit.
fn ulimit(limit: &str) -> Option<&'static str> {
    Some(match limit {
        "RLIMIT_NOFILE" => "nofile",
        "RLIMIT_NPROC" => "nproc",
        "RLIMIT_FSIZE" => "fsize",
        "RLIMIT_CPU" => "cpu",
        "RLIMIT_MEMLOCK" => "memlock",
        "RLIMIT_STACK" => "stack",
        "RLIMIT_CORE" => "core",
        _ => return None,
    })
}

/// The soft:hard pair for a raised limit, and why.
#[must_use]
pub fn limit_values(limit: &str, soft: Option<u64>, hard: Option<u64>, usage: Option<u64>) -> (u64, u64, String) {
    let new = raised(soft, usage);
    let seen = usage.map_or_else(String::new, |u| format!("it used {u}; "));
    match hard {
        Some(h) if soft.is_some_and(|s| s < h) && limit == "RLIMIT_NOFILE" => {
            let soft_new = new.min(h);
            (soft_new, h, format!("{seen}the soft limit can rise to the hard limit {h} without privilege"))
        }
        _ => (new, new, format!("{seen}twice the old limit leaves room for the steps after this one, which were never reached")),
    }
}

/// What `docker run` can do about one denial.
#[must_use]
pub fn part(need: &Need, label: &str, d: &DenialEntry) -> Part {
    let _ = d;
    match need {
        Need::Syscall { name, errno } => {
            let mut why = format!(
                "fixes {label}: the seccomp filter refused {name} with {errno}; {PROFILE} is the container's profile (Docker's \
                 default unless you use another) with {name} allowed: --format oci-seccomp --policy PROFILE makes that change"
            );
            if let Some(cap) = docker_default_cap(name) {
                let _ = write!(why,
                    "; with Docker's default profile, --cap-add {} also allows {name}, with that capability's risk ({})",
                    cap_name(cap),
                    risk::capability(cap).level
                );
            }
            Part {
                change: format!("run with a seccomp profile that allows {name}"),
                text: format!("--security-opt seccomp={PROFILE}"),
                risk: risk::syscall(name),
                why,
                items: vec![Item::line(format!("--security-opt seccomp={PROFILE}"))],
            }
        }
        Need::Capability { cap } => Part {
            change: format!("add the capability {}", cap_name(cap)),
            text: format!("--cap-add {}", cap_name(cap)),
            risk: risk::capability(cap),
            why: format!("fixes {label}: the process lacked {cap}; with Docker's default seccomp profile, it also enables the syscalls gated on it"),
            items: vec![Item::line(format!("--cap-add {}", cap_name(cap)))],
        },
        Need::Limit { limit, soft, hard, usage } => match ulimit(limit) {
            Some(name) => {
                let (s, h, why) = limit_values(limit, *soft, *hard, *usage);
                let mut why = format!("fixes {label}: {limit} was reached; {why}");
                if limit == "RLIMIT_NPROC" {
                    why.push_str("; RLIMIT_NPROC counts every process of the uid on the host, other containers with the same uid included");
                }
                let flag = format!("--ulimit {name}={s}:{h}");
                Part {
                    change: format!("raise {limit} to {s}"),
                    text: flag.clone(),
                    risk: Risk::new(Level::Low, "a higher limit only lets the program use more of a resource"),
                    why,
                    items: vec![Item::slot(flag, format!("ulimit-{name}"), s)],
                }
            }
            None => Part::not_expressible(FORMAT, label, &format!("{limit} is system-wide: raise it on the host (sysctl), not per container")),
        },
        Need::Pids { cgroup, max, current } => {
            let n = raised(*max, *current);
            Part {
                change: format!("raise the pids limit to {n}"),
                text: format!("--pids-limit {n}"),
                risk: Risk::new(Level::Low, "more tasks for this container only"),
                why: format!(
                    "fixes {label}: {}/pids.max ({}) was reached with {} tasks; the program's peak past this fork was never seen",
                    crate::text::term_str(cgroup),
                    max.map_or_else(|| "max".into(), |m| m.to_string()),
                    current.map_or_else(|| "?".into(), |c| c.to_string())
                ),
                items: vec![Item::slot(format!("--pids-limit {n}"), "pids-limit", n)],
            }
        }
        Need::Devices { grants, .. } => {
            let items: Vec<Item> = grants.iter().map(|g| Item::line(format!("--device-cgroup-rule '{} {}'", g.spec(), g.access))).collect();
            let text = super::lines(&items).join(" \\\n");
            Part {
                change: format!("allow {} in the devices cgroup", grants.iter().map(super::need::DeviceGrant::spec).collect::<Vec<_>>().join(", ")),
                text,
                risk: Risk::new(Level::Low, "the device nodes the program asked for").max(device_risk(grants)),
                why: format!("fixes {label}: {}", grants.iter().map(|g| g.why.clone()).collect::<Vec<_>>().join("; ")),
                items,
            }
        }
        Need::Dac(dac) => {
            let mode = dac.mode.as_deref().and_then(|m| u32::from_str_radix(m, 8).ok()).unwrap_or(0);
            let own = match (dac.group, dac.owner) {
                (Some(g), _) if mode & 0o070 != 0 => Some((format!("--group-add {g} runs the container with the file's group"), Risk::new(Level::Medium, "the container gets every file of that group"))),
                (_, Some(0)) => None,
                (_, Some(o)) => Some((format!("--user {o} runs as the file's owner"), Risk::new(Level::Medium, "the container runs as another user"))),
                _ => None,
            };
            remedies::dac(FORMAT, dac, label, own)
        }
        Need::ReadOnly(r) => {
            let own = remedies::writable_dir(r).and_then(|dir| quote::docker_path(&dir).ok()).map(|dir| {
                if r.mount_point == "/" {
                    (format!("--tmpfs {dir} gives a writable directory on a read-only root filesystem (--read-only)"), Risk::new(Level::Low, "a private tmpfs, emptied when the container stops"))
                } else {
                    (format!("drop :ro from the -v or --mount of {}", quote::shell(&r.mount_point)), Risk::new(Level::Medium, "the container can change what is on that volume"))
                }
            });
            remedies::read_only(FORMAT, r, label, own)
        }
        Need::Paths { .. } | Need::LandlockScope => Part::not_expressible(
            FORMAT,
            label,
            "Docker sets no Landlock rules: the program or its launcher made the ruleset; change it there (--format openshell or landlock)",
        ),
        other => Part::not_expressible(FORMAT, label, &remedies::elsewhere(other, "docker run has no flag for it")),
    }
}

fn device_risk(grants: &[super::need::DeviceGrant]) -> Risk {
    if grants.iter().any(|g| g.kind == 'b') {
        Risk::new(Level::High, "a block device gives its whole filesystem, bypassing file permissions")
    } else if grants.iter().any(|g| !((g.major == 5 && g.minor == Some(2)) || g.major == 136 || g.major == 1)) {
        Risk::new(Level::Medium, "a device node beyond the standard ones")
    } else {
        Risk::new(Level::Low, "pseudo-terminals and standard devices")
    }
}

/// The merged flags, one per line, ready to add to a `docker run` command line.
#[must_use]
pub fn render(lines: &[String]) -> String {
    lines.join(" \\\n") + "\n"
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::suggest::{need, need::tests::entry, sequences::tests::Fake};

    fn part_of(kind: &str, detail: &serde_json::Value) -> Part {
        let d = entry("clone", "", "EAGAIN", kind, detail);
        part(&need::of(&d, &Fake::default()), "#1", &d)
    }

    #[test]
    fn capability_rlimit_and_pids() {
        let p = part_of("capability", &json!({"capability": "CAP_SYS_ADMIN"}));
        assert_eq!(p.text, "--cap-add SYS_ADMIN");
        assert_eq!(p.risk.level, Level::High);
        let p = part_of("rlimit", &json!({"limit": "RLIMIT_NPROC", "soft": 20, "hard": 20, "usage": 20}));
        assert_eq!(p.text, "--ulimit nproc=84:84");
        let p = part_of("rlimit", &json!({"limit": "RLIMIT_NOFILE", "soft": 64, "hard": 1024, "usage": 64}));
        assert_eq!(p.text, "--ulimit nofile=128:1024");
        let p = part_of("cgroup_pids", &json!({"cgroup": "/sys/fs/cgroup/pids/x", "pids_max": 5, "pids_current": 5}));
        assert_eq!(p.text, "--pids-limit 69");
    }

    #[test]
    fn kernel_wide_limits_are_not_expressible() {
        let p = part_of("rlimit", &json!({"limit": "kernel.threads-max", "soft": 100, "usage": 99}));
        assert!(p.text.starts_with("not expressible in docker:"), "{}", p.text);
    }
}
