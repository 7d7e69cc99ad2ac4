//! bubblewrap arguments: `--cap-add` for capabilities and `--bind` instead of `--ro-bind` for a
//! read-only mount it made. bubblewrap sets no Landlock rules, no rlimits and no cgroups, and takes
//! its seccomp filter compiled (`--seccomp FD`): those are said to be not expressible.

use super::{
    Format, Item, Part,
    need::Need,
    quote, remedies,
    risk::{self, Level, Risk},
};

const FORMAT: Format = Format::Bwrap;

/// What bwrap's command line can do about one denial.
#[must_use]
pub fn part(need: &Need, label: &str) -> Part {
    match need {
        Need::Capability { cap } => {
            let item = Item::line(format!("--cap-add {cap}"));
            Part {
                change: format!("keep {cap} in the sandbox"),
                text: render(&super::lines(std::slice::from_ref(&item))),
                risk: risk::capability(cap),
                why: format!(
                    "fixes {label}: the process lacked {cap}; bwrap keeps added capabilities only when it runs as root or with \
                     --unshare-user"
                ),
                items: vec![item],
            }
        }
        Need::ReadOnly(r) => {
            let own = remedies::writable_dir(r).filter(|_| !r.noexec).map(|dir| {
                let d = quote::shell(&dir);
                (format!("--bind {d} {d} instead of --ro-bind, when bwrap made that mount"), Risk::new(Level::Medium, "the sandbox can change that directory on the host"))
            });
            remedies::read_only(FORMAT, r, label, own)
        }
        Need::Dac(d) => remedies::dac(FORMAT, d, label, None),
        Need::Syscall { name, .. } => Part::not_expressible(
            FORMAT,
            label,
            &format!("bwrap loads a compiled filter from --seccomp FD: rebuild that filter with {name} allowed (--format oci-seccomp shows the rule)"),
        ),
        Need::Limit { limit, .. } => Part::not_expressible(
            FORMAT,
            label,
            &format!("bwrap sets no resource limits: raise {limit} around it (prlimit ... bwrap ..., or ulimit in the calling shell)"),
        ),
        Need::Pids { .. } | Need::Devices { .. } => Part::not_expressible(FORMAT, label, &remedies::elsewhere(need, "bwrap creates no cgroup; whatever runs it does")),
        Need::Paths { .. } | Need::LandlockScope => Part::not_expressible(
            FORMAT,
            label,
            "bwrap sets no Landlock rules: the program or its launcher made the ruleset; change it there (--format openshell or landlock)",
        ),
        other => Part::not_expressible(FORMAT, label, &remedies::elsewhere(other, "bwrap has no option for it")),
    }
}

/// The merged arguments, one per line.
#[must_use]
pub fn render(lines: &[String]) -> String {
    lines.join(" \\\n") + "\n"
}
