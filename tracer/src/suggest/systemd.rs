//! systemd unit directives: `SystemCallFilter=`, `CapabilityBoundingSet=` and
//! `AmbientCapabilities=`, `LimitNOFILE=`/`LimitNPROC=`/`LimitFSIZE=`, `TasksMax=`, `DeviceAllow=`.
//! A patch against a unit edits its `[Service]` section in place. Directives that would narrow the
//! unit when it had none of their kind (a first `SystemCallFilter=` makes an allow list, a first
//! `DeviceAllow=` closes the device policy, a first `CapabilityBoundingSet=` empties the bounding
//! set) are only added next to existing ones.

use anyhow::{Result, bail};

use super::{
    Format, Item, Part, Policy, Rendered, diff,
    diff::Edit,
    docker::limit_values,
    need::Need,
    quote, raised, remedies,
    risk::{self, Level, Risk},
};

const FORMAT: Format = Format::Systemd;

fn limit_key(limit: &str) -> Option<&'static str> {
    Some(match limit {
        "RLIMIT_NOFILE" => "LimitNOFILE",
        "RLIMIT_NPROC" => "LimitNPROC",
        "RLIMIT_FSIZE" => "LimitFSIZE",
        "RLIMIT_CPU" => "LimitCPU",
        "RLIMIT_MEMLOCK" => "LimitMEMLOCK",
        "RLIMIT_STACK" => "LimitSTACK",
        "RLIMIT_CORE" => "LimitCORE",
        _ => return None,
    })
}

/// What a unit can do about one denial.
#[must_use]
pub fn part(need: &Need, label: &str) -> Part {
    match need {
        Need::Syscall { name, errno } => {
            let item = Item::line(format!("SystemCallFilter={name}"));
            Part {
                change: format!("allow {name} in SystemCallFilter="),
                text: render_fragment(&super::lines(std::slice::from_ref(&item))),
                risk: risk::syscall(name),
                why: format!(
                    "fixes {label}: the seccomp filter refused {name} with {errno}; after the unit's SystemCallFilter= lines, this line \
                     adds {name} to an allow list or removes it from a deny list (~...); a unit with no SystemCallFilter= did not \
                     make this filter and needs no line"
                ),
                items: vec![item],
            }
        }
        Need::Capability { cap } => {
            let items = vec![Item::line(format!("AmbientCapabilities={cap}")), Item::line(format!("CapabilityBoundingSet={cap}"))];
            Part {
                change: format!("grant {cap}"),
                text: render_fragment(&super::lines(&items)),
                risk: risk::capability(cap),
                why: format!(
                    "fixes {label}: the process lacked {cap}; AmbientCapabilities= gives it to a non-root User=, and \
                     CapabilityBoundingSet= keeps it in the bounding set when the unit restricts that set"
                ),
                items,
            }
        }
        Need::Limit { limit, soft, hard, usage } => match limit_key(limit) {
            Some(key) => {
                let (s, h, why) = limit_values(limit, *soft, *hard, *usage);
                let text = if s == h { format!("{key}={s}") } else { format!("{key}={s}:{h}") };
                let item = Item::slot(text, key, s);
                Part {
                    change: format!("raise {limit} to {s}"),
                    text: render_fragment(&super::lines(std::slice::from_ref(&item))),
                    risk: Risk::new(Level::Low, "a higher limit only lets the service use more of a resource"),
                    why: format!("fixes {label}: {limit} was reached; {why}"),
                    items: vec![item],
                }
            }
            None => Part::not_expressible(FORMAT, label, &format!("{limit} is system-wide: raise it with sysctl on the host")),
        },
        Need::Pids { cgroup, max, current } => {
            let n = raised(*max, *current);
            let item = Item::slot(format!("TasksMax={n}"), "TasksMax", n);
            Part {
                change: format!("raise TasksMax to {n}"),
                text: render_fragment(&super::lines(std::slice::from_ref(&item))),
                risk: Risk::new(Level::Low, "more tasks for this unit only"),
                why: format!(
                    "fixes {label}: {}/pids.max was reached; the peak past this fork was never seen",
                    crate::text::term_str(cgroup)
                ),
                items: vec![item],
            }
        }
        Need::Devices { grants, .. } => devices(grants, label),
        Need::Dac(d) => {
            let mode = d.mode.as_deref().and_then(|m| u32::from_str_radix(m, 8).ok()).unwrap_or(0);
            let own = d.group.filter(|_| mode & 0o070 != 0).map(|g| {
                (format!("SupplementaryGroups={g} runs the service with the file's group"), Risk::new(Level::Medium, "the service gets every file of that group"))
            });
            remedies::dac(FORMAT, d, label, own)
        }
        Need::ReadOnly(r) => {
            let own = remedies::writable_dir(r).and_then(|dir| quote::systemd(&dir).ok()).filter(|_| !r.noexec).map(|dir| {
                (
                    format!("ReadWritePaths={dir}, when ProtectSystem=, ProtectHome= or ReadOnlyPaths= made the mount read-only"),
                    Risk::new(Level::Medium, "the service can change that directory"),
                )
            });
            remedies::read_only(FORMAT, r, label, own)
        }
        Need::Paths { .. } | Need::LandlockScope => Part::not_expressible(
            FORMAT,
            label,
            "systemd sets no Landlock rules: the program or its launcher made the ruleset; change it there (--format openshell or landlock)",
        ),
        other => Part::not_expressible(FORMAT, label, &remedies::elsewhere(other, "no unit directive changes it")),
    }
}

/// systemd's name for every device of a major number (`char-pts`), from /proc/devices.
fn device_class(kind: char, major: u32) -> Option<String> {
    let text = std::fs::read_to_string("/proc/devices").ok()?;
    let (section, prefix) = if kind == 'b' { ("Block devices:", "block") } else { ("Character devices:", "char") };
    let mut inside = false;
    for line in text.lines().map(str::trim) {
        if line.ends_with(':') {
            inside = line == section;
            continue;
        }
        let mut fields = line.split_whitespace();
        if inside && fields.next().and_then(|n| n.parse::<u32>().ok()) == Some(major) {
            return fields.next().map(|name| format!("{prefix}-{name}"));
        }
    }
    None
}

/// `DeviceAllow=` lines: by path when it is safe, `char-pts` for every pseudo-terminal slave, else
/// by number.
fn devices(grants: &[super::need::DeviceGrant], label: &str) -> Part {
    let items: Vec<Item> = grants
        .iter()
        .map(|g| {
            let what = match (g.kind, g.major, g.minor, &g.path) {
                ('c', 136..=143, None, _) => "char-pts".to_owned(),
                (_, _, _, Some(p)) if quote::systemd(p).is_ok() => quote::systemd(p).unwrap_or_default(),
                (k, maj, Some(min), _) => format!("/dev/{}/{maj}:{min}", if k == 'b' { "block" } else { "char" }),
                (k, maj, None, _) => device_class(k, maj).unwrap_or_else(|| format!("/dev/{}/{maj}:0", if k == 'b' { "block" } else { "char" })),
            };
            Item::line(format!("DeviceAllow={what} {}", g.access))
        })
        .collect();
    Part {
        change: format!("allow {} in DeviceAllow=", grants.iter().map(super::need::DeviceGrant::spec).collect::<Vec<_>>().join(", ")),
        text: render_fragment(&super::lines(&items)),
        risk: Risk::new(Level::Low, "the device nodes the service asked for"),
        why: format!("fixes {label}: {}", grants.iter().map(|g| g.why.clone()).collect::<Vec<_>>().join("; ")),
        items,
    }
}

fn render_fragment(lines: &[String]) -> String {
    let mut out = String::from("[Service]\n");
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// The merged change: directives to add, or a unified diff against the unit.
pub fn render(lines: &[String], policy: Option<&Policy>) -> Result<Rendered> {
    match policy {
        None => Ok(Rendered { text: render_fragment(lines), ..Rendered::default() }),
        Some(p) => patch(lines, p),
    }
}

/// A `Key=Value` line of a section.
#[derive(Debug, Clone)]
struct Directive {
    line: usize,
    key: String,
    value: String,
}

/// The `[Service]` section: its header line, its directives and its last content line.
struct Section {
    header: Option<usize>,
    directives: Vec<Directive>,
    last: usize,
}

fn section(lines: &[&str], name: &str) -> Result<Section> {
    let mut current = String::new();
    let mut out = Section { header: None, directives: Vec::new(), last: lines.len() };
    for (i, raw) in lines.iter().enumerate() {
        let l = raw.trim();
        if l.starts_with('[') && l.ends_with(']') {
            l[1..l.len() - 1].clone_into(&mut current);
            if current == name {
                if out.header.is_some() {
                    bail!("line {}: a second [{name}] section", i + 1);
                }
                out.header = Some(i);
                out.last = i;
            }
            continue;
        }
        if current != name || l.is_empty() || l.starts_with('#') || l.starts_with(';') {
            continue;
        }
        if raw.trim_end().ends_with('\\') {
            bail!("line {}: continued lines are not supported", i + 1);
        }
        let Some((k, v)) = l.split_once('=') else {
            bail!("line {}: not a Key=Value line", i + 1);
        };
        out.directives.push(Directive { line: i, key: k.trim().to_owned(), value: v.trim().to_owned() });
        out.last = i;
    }
    Ok(out)
}

fn patch(lines: &[String], policy: &Policy) -> Result<Rendered> {
    let text_lines = diff::lines(&policy.text).lines;
    let s = section(&text_lines, "Service")?;
    let mut notes = Vec::new();
    let mut covered = Vec::new();
    let mut edits: Vec<Edit> = Vec::new();
    let mut appended: Vec<String> = Vec::new();
    let mut after_key: Vec<(usize, String)> = Vec::new();
    let mut expected: Vec<(String, String)> = Vec::new();
    let has = |key: &str| s.directives.iter().filter(|d| d.key == key).collect::<Vec<_>>();
    for l in lines {
        let Some((key, value)) = l.split_once('=') else {
            continue;
        };
        let existing = has(key);
        match key {
            "LimitNOFILE" | "LimitNPROC" | "LimitFSIZE" | "LimitCPU" | "LimitMEMLOCK" | "LimitSTACK" | "LimitCORE" | "TasksMax" => {
                if let Some(d) = existing.last() {
                    notes.push(format!("{key}= was {}", d.value));
                    edits.push(Edit::replace(d.line, vec![l.clone()]));
                } else {
                    appended.push(l.clone());
                }
                expected.push((key.to_owned(), value.to_owned()));
                continue;
            }
            "SystemCallFilter" if existing.is_empty() => {
                notes.push(format!("{key}={value} not added: the unit has no SystemCallFilter=, so this filter is not the unit's"));
                covered.push(l.clone());
                continue;
            }
            "DeviceAllow" if existing.is_empty() && !has("DevicePolicy").iter().any(|d| d.value == "closed" || d.value == "strict") => {
                notes.push(format!("{key}={value} not added: the unit does not restrict devices, so the device cgroup is set elsewhere"));
                covered.push(l.clone());
                continue;
            }
            "CapabilityBoundingSet" => {
                if let Some(d) = existing.iter().find(|d| d.value.starts_with('~') && d.value[1..].split_whitespace().any(|c| c == value)) {
                    let kept: Vec<&str> = d.value[1..].split_whitespace().filter(|c| *c != value).collect();
                    let replacement = if kept.is_empty() { Vec::new() } else { vec![format!("{key}=~{}", kept.join(" "))] };
                    edits.push(Edit { at: d.line, remove: 1, insert: replacement });
                    notes.push(format!("{value} taken out of the unit's CapabilityBoundingSet=~ list"));
                    continue;
                }
                if !existing.iter().any(|d| !d.value.starts_with('~')) {
                    // The unit leaves the bounding set full: nothing to add.
                    covered.push(l.clone());
                    continue;
                }
            }
            _ => {}
        }
        if existing.iter().any(|d| d.value.split_whitespace().any(|v| v == value)) {
            notes.push(format!("{l} is already in the unit (is the service running with it?)"));
            covered.push(l.clone());
            continue;
        }
        match existing.last() {
            Some(d) => after_key.push((d.line + 1, l.clone())),
            None => appended.push(l.clone()),
        }
        expected.push((key.to_owned(), value.to_owned()));
    }
    for (at, l) in after_key {
        match edits.iter_mut().find(|e| e.at == at && e.remove == 0) {
            Some(e) => e.insert.push(l),
            None => edits.push(Edit::insert(at, vec![l])),
        }
    }
    if !appended.is_empty() {
        if s.header.is_some() {
            let at = s.last + 1;
            match edits.iter_mut().find(|e| e.at == at && e.remove == 0) {
                Some(e) => e.insert.extend(appended),
                None => edits.push(Edit::insert(at, appended)),
            }
        } else {
            let mut block = vec![String::new(), "[Service]".to_owned()];
            block.extend(appended);
            edits.push(Edit::insert(text_lines.len(), block));
        }
    }
    if edits.is_empty() {
        return Ok(Rendered { text: format!("no change to {}: {}", policy.name, notes.join("; ")), notes, covered });
    }
    let patched = diff::apply(&policy.text, &edits)?;
    let after = section(&diff::lines(&patched).lines, "Service")?;
    for (k, v) in &expected {
        if !after.directives.iter().any(|d| d.key == *k && (d.value == *v || d.value.split_whitespace().any(|x| x == v))) {
            bail!("the patched unit would not hold {k}={v}");
        }
    }
    Ok(Rendered { text: diff::unified(&policy.text, &edits, &policy.name)?, notes, covered })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suggest::PolicyKind;

    const UNIT: &str = "[Unit]\nDescription=demo\n\n[Service]\nExecStart=/usr/bin/demo\nUser=demo\nSystemCallFilter=@system-service\nSystemCallFilter=~@mount\nLimitNOFILE=64\nTasksMax=8\n\n[Install]\nWantedBy=multi-user.target\n";

    fn unit() -> Policy {
        Policy { name: "demo.service".into(), text: UNIT.into(), kind: PolicyKind::Systemd }
    }

    #[test]
    fn unit_patch_edits_the_service_section() {
        let lines = vec![
            "SystemCallFilter=mount".to_owned(),
            "LimitNOFILE=128".to_owned(),
            "TasksMax=72".to_owned(),
            "AmbientCapabilities=CAP_NET_ADMIN".to_owned(),
            "CapabilityBoundingSet=CAP_NET_ADMIN".to_owned(),
        ];
        let r = render(&lines, Some(&unit())).unwrap();
        let patched = diff::apply(UNIT, &[]).unwrap();
        assert_eq!(patched, UNIT);
        assert!(r.text.contains(" SystemCallFilter=~@mount\n+SystemCallFilter=mount\n-LimitNOFILE=64\n+LimitNOFILE=128\n-TasksMax=8\n+TasksMax=72\n+AmbientCapabilities=CAP_NET_ADMIN\n"), "{}", r.text);
        assert!(!r.text.contains("+CapabilityBoundingSet"), "{}", r.text);
    }

    #[test]
    fn narrowing_directives_are_not_added_alone() {
        let text = "[Service]\nExecStart=/bin/x\n";
        let p = Policy { name: "x.service".into(), text: text.into(), kind: PolicyKind::Systemd };
        let r = render(&["SystemCallFilter=mount".into(), "DeviceAllow=/dev/ptmx rw".into()], Some(&p)).unwrap();
        assert!(r.text.starts_with("no change"), "{}", r.text);
        assert_eq!(r.notes.len(), 2);
    }
}
