//! Kubernetes: a `securityContext` fragment (`capabilities.add`, `seccompProfile`,
//! `supplementalGroups`). Kubernetes has no per-container rlimit, pids or device field, and no
//! Landlock: those are said to be not expressible, with the node-level knob when there is one.

use std::fmt::Write as _;

use super::{
    Format, Item, Part,
    need::Need,
    oci_seccomp::docker_default_cap,
    quote, remedies,
    risk::{self, Level, Risk},
};

const FORMAT: Format = Format::Kubernetes;
const PROFILE: &str = "profiles/denytrace-seccomp.json";

/// What a pod spec can do about one denial.
#[must_use]
pub fn part(need: &Need, label: &str) -> Part {
    match need {
        Need::Capability { cap } => {
            let name = cap.trim_start_matches("CAP_");
            let item = Item::line(format!("container:capabilities.add={name}"));
            Part {
                change: format!("add {name} to the container's capabilities"),
                text: render(&super::lines(std::slice::from_ref(&item))),
                risk: risk::capability(cap),
                why: format!("fixes {label}: the process lacked {cap}"),
                items: vec![item],
            }
        }
        Need::Syscall { name, errno } => {
            let item = Item::line(format!("container:seccompProfile={PROFILE}"));
            let mut why = format!(
                "fixes {label}: the seccomp filter refused {name} with {errno}; {PROFILE} (under the kubelet's seccomp directory) is \
                 the runtime's default profile with {name} allowed (--format oci-seccomp makes that change)"
            );
            if let Some(cap) = docker_default_cap(name) {
                let _ = write!(why,
                    "; with RuntimeDefault, adding {} to capabilities also allows {name}, with that capability's risk",
                    cap.trim_start_matches("CAP_")
                );
            }
            Part {
                change: format!("use a Localhost seccomp profile that allows {name}"),
                text: render(&super::lines(std::slice::from_ref(&item))),
                risk: risk::syscall(name),
                why,
                items: vec![item],
            }
        }
        Need::Dac(d) => {
            let mode = d.mode.as_deref().and_then(|m| u32::from_str_radix(m, 8).ok()).unwrap_or(0);
            let own = d.group.filter(|_| mode & 0o070 != 0).map(|g| {
                (
                    format!("supplementalGroups: [{g}] in the pod's securityContext runs it with the file's group (fsGroup for a volume)"),
                    Risk::new(Level::Medium, "the pod gets every file of that group"),
                )
            });
            remedies::dac(FORMAT, d, label, own)
        }
        Need::ReadOnly(r) => {
            let own = remedies::writable_dir(r).map(|dir| {
                if r.mount_point == "/" {
                    (
                        format!("mount an emptyDir volume at {} instead of setting readOnlyRootFilesystem: false", quote::yaml(&dir)),
                        Risk::new(Level::Low, "a private scratch volume"),
                    )
                } else {
                    (format!("set readOnly: false on the volumeMount of {}", quote::yaml(&r.mount_point)), Risk::new(Level::Medium, "the pod can change that volume"))
                }
            });
            remedies::read_only(FORMAT, r, label, own)
        }
        Need::Limit { limit, .. } => Part::not_expressible(
            FORMAT,
            label,
            &format!(
                "Kubernetes has no field for {limit}: set the container runtime's default ulimits on the node, or raise the soft \
                 limit up to the hard one in the entrypoint (ulimit)"
            ),
        ),
        Need::Pids { .. } => Part::not_expressible(
            FORMAT,
            label,
            "a pod's pid limit is the kubelet's podPidsLimit (KubeletConfiguration, node-wide), not a securityContext or resources field",
        ),
        Need::Devices { .. } => Part::not_expressible(
            FORMAT,
            label,
            "devices come from a device plugin (or a privileged container, which is high risk), not a securityContext field",
        ),
        Need::Paths { .. } | Need::LandlockScope => Part::not_expressible(
            FORMAT,
            label,
            "Kubernetes sets no Landlock rules: the program or its launcher made the ruleset; change it there (--format openshell or landlock)",
        ),
        Need::Lsm { .. } => Part::not_expressible(
            FORMAT,
            label,
            &remedies::elsewhere(need, "").replace(
                "update that LSM's profile",
                "set the pod's appArmorProfile or seLinuxOptions to a profile that allows it, or update that LSM's profile",
            ),
        ),
        other @ Need::Nothing { .. } => Part::not_expressible(FORMAT, label, &remedies::elsewhere(other, "a pod spec has no field for it")),
    }
}

/// The merged fragment: the container's `securityContext`.
#[must_use]
pub fn render(lines: &[String]) -> String {
    let mut caps = Vec::new();
    let mut profile = None;
    for l in lines {
        if let Some(c) = l.strip_prefix("container:capabilities.add=") {
            caps.push(quote::yaml_double(c));
        } else if let Some(p) = l.strip_prefix("container:seccompProfile=") {
            profile = Some(p.to_owned());
        }
    }
    let mut out = String::new();
    if !caps.is_empty() || profile.is_some() {
        out.push_str("# the container's securityContext\nsecurityContext:\n");
        if !caps.is_empty() {
            let _ = write!(out, "  capabilities:\n    add: [{}]\n", caps.join(", "));
        }
        if let Some(p) = profile {
            let _ = write!(out, "  seccompProfile:\n    type: Localhost\n    localhostProfile: {}\n", quote::yaml(&p));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragment_parses_as_yaml() {
        let text = render(&["container:capabilities.add=NET_ADMIN".into(), "container:capabilities.add=SYS_PTRACE".into(), format!("container:seccompProfile={PROFILE}")]);
        let v: serde_norway::Value = serde_norway::from_str(&text).unwrap();
        let sc = &v["securityContext"];
        assert_eq!(sc["capabilities"]["add"][1].as_str(), Some("SYS_PTRACE"));
        assert_eq!(sc["seccompProfile"]["type"].as_str(), Some("Localhost"));
    }
}
