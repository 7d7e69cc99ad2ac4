//! OCI / Docker seccomp profiles (`defaultAction`, `syscalls[].names/action/errnoRet`, Docker's
//! `includes`/`excludes`): a refused syscall is added to the profile's unconditional
//! `SCMP_ACT_ALLOW` rule, in its sorted place, and taken out of an unconditional rule that refuses
//! it. Rules gated on a capability (`includes.caps`) are left alone and named, since granting
//! that capability is the other, usually riskier, way.

use std::fmt::Write as _;

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use serde_json::Value;

use super::{
    Format, Item, Part, Policy, Rendered, diff,
    diff::Edit,
    json::{self, Node},
    need::Need,
    quote, remedies, risk,
};

const FORMAT: Format = Format::OciSeccomp;
const ALLOW: &str = "SCMP_ACT_ALLOW";

/// The capability under which Docker's default profile allows a syscall that it otherwise
/// refuses (moby's profiles/seccomp/default.json): the narrowest such capability.
#[must_use]
pub fn docker_default_cap(name: &str) -> Option<&'static str> {
    Some(match name {
        "open_by_handle_at" => "CAP_DAC_READ_SEARCH",
        "bpf" => "CAP_BPF",
        "perf_event_open" => "CAP_PERFMON",
        "syslog" => "CAP_SYSLOG",
        "clone3" | "fanotify_init" | "fsconfig" | "fsmount" | "fsopen" | "fspick" | "lookup_dcookie" | "mount" | "mount_setattr"
        | "move_mount" | "open_tree" | "quotactl" | "quotactl_fd" | "setdomainname" | "sethostname" | "setns" | "umount"
        | "umount2" | "unshare" => "CAP_SYS_ADMIN",
        "reboot" => "CAP_SYS_BOOT",
        "chroot" => "CAP_SYS_CHROOT",
        "delete_module" | "init_module" | "finit_module" => "CAP_SYS_MODULE",
        "acct" => "CAP_SYS_PACCT",
        "kcmp" | "pidfd_getfd" | "process_madvise" | "process_vm_readv" | "process_vm_writev" | "ptrace" => "CAP_SYS_PTRACE",
        "iopl" | "ioperm" => "CAP_SYS_RAWIO",
        "settimeofday" | "stime" | "clock_settime" | "clock_settime64" => "CAP_SYS_TIME",
        "vhangup" => "CAP_SYS_TTY_CONFIG",
        "get_mempolicy" | "mbind" | "set_mempolicy" | "set_mempolicy_home_node" => "CAP_SYS_NICE",
        _ => return None,
    })
}

/// What a seccomp profile can do about one denial.
#[must_use]
pub fn part(need: &Need, label: &str) -> Part {
    match need {
        Need::Syscall { name, errno } => {
            let mut why = format!("fixes {label}: the seccomp filter refused {name} with {errno}");
            if let Some(cap) = docker_default_cap(name) {
                let _ = write!(why,
                    "; Docker's default profile allows {name} only with {cap}, so --cap-add {} would also allow it, with that \
                     capability's risk",
                    cap.trim_start_matches("CAP_")
                );
            }
            Part {
                change: format!("allow {name} in the profile's SCMP_ACT_ALLOW rule"),
                text: fragment(std::slice::from_ref(name)),
                risk: risk::syscall(name),
                why,
                items: vec![Item::Syscall(name.clone())],
            }
        }
        Need::Dac(d) => remedies::dac(FORMAT, d, label, None),
        Need::ReadOnly(r) => remedies::read_only(FORMAT, r, label, None),
        other => Part::not_expressible(FORMAT, label, &remedies::elsewhere(other, "a seccomp profile only filters syscalls")),
    }
}

/// A rule to add to the profile's `syscalls` list.
fn fragment(names: &[String]) -> String {
    let list = names.iter().map(|n| format!("\t\t{}", quote::json(n))).collect::<Vec<_>>().join(",\n");
    format!("{{\n\t\"names\": [\n{list}\n\t],\n\t\"action\": \"{ALLOW}\"\n}}\n")
}

/// The merged change: a rule to add, or a unified diff against the profile.
pub fn render(names: &[String], policy: Option<&Policy>) -> Result<Rendered> {
    match policy {
        None => Ok(Rendered { text: fragment(names), ..Rendered::default() }),
        Some(p) => patch(names, p),
    }
}

/// A rule that always applies (no condition on arguments, capabilities, architectures, kernel).
fn unconditional(rule: &Node) -> bool {
    ["args", "includes", "excludes"].iter().all(|k| match rule.get(k) {
        None => true,
        Some(Node::Array { items, .. }) => items.is_empty(),
        Some(Node::Object { members, .. }) => members.is_empty(),
        Some(Node::Scalar { raw, .. }) => raw == "null",
        Some(Node::Str { .. }) => false,
    })
}

fn names_of(rule: &Node) -> Vec<&Node> {
    rule.get("names").and_then(Node::items).map(|i| i.iter().collect()).unwrap_or_default()
}

fn action(rule: &Node) -> &str {
    rule.get("action").and_then(Node::as_str).unwrap_or("")
}

/// Sort key for Docker's lists: alphabetical, ignoring underscores.
fn key(name: &str) -> String {
    name.replace('_', "")
}

struct Text<'a> {
    text: &'a str,
    lines: Vec<&'a str>,
}

impl<'a> Text<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, lines: diff::lines(text).lines }
    }
    fn line(&self, offset: usize) -> usize {
        json::line_of(self.text, offset)
    }
    fn line_start(&self, line: usize) -> usize {
        self.lines[..line].iter().map(|l| l.len() + 1).sum()
    }
    fn indent(&self, line: usize) -> &'a str {
        let l = self.lines[line];
        &l[..l.len() - l.trim_start().len()]
    }
    /// Whether the value occupies its lines alone (only whitespace and a trailing comma around it).
    fn alone(&self, span: (usize, usize)) -> bool {
        let (a, b) = (self.line(span.0), self.line(span.1.saturating_sub(1)));
        let before = &self.text[self.line_start(a)..span.0];
        let after_end = self.line_start(b) + self.lines[b].len();
        let after = &self.text[span.1..after_end];
        before.trim().is_empty() && matches!(after.trim(), "" | ",")
    }
}

/// Edits that add `add` to the array `arr` in sorted places.
fn insert_names(t: &Text<'_>, arr: &Node, add: &[String]) -> Result<Vec<Edit>> {
    let items = arr.items().unwrap_or_default();
    let (start, end) = arr.span();
    let one_line = t.line(start) == t.line(end - 1);
    let pos = |n: &str| items.iter().position(|i| i.as_str().is_some_and(|s| key(s) > key(n))).unwrap_or(items.len());
    if one_line {
        let line = t.line(start);
        let line_start = t.line_start(line);
        let mut text = t.lines[line].to_owned();
        // Insert from the right so earlier offsets stay valid.
        let mut adds: Vec<(usize, &String)> = add.iter().map(|n| (pos(n), n)).collect();
        adds.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| key(b.1).cmp(&key(a.1))));
        for (k, n) in adds {
            let q = quote::json(n);
            if items.is_empty() {
                let at = start + 1 - line_start;
                let sep = if text[at..].trim_start().starts_with(']') { "" } else { ", " };
                text.insert_str(at, &format!("{q}{sep}"));
            } else if k < items.len() {
                text.insert_str(items[k].span().0 - line_start, &format!("{q}, "));
            } else {
                text.insert_str(items[items.len() - 1].span().1 - line_start, &format!(", {q}"));
            }
        }
        return Ok(vec![Edit::replace(line, vec![text])]);
    }
    if items.is_empty() || !items.iter().all(|i| t.alone(i.span())) {
        bail!("the names list at byte {start} is not one name per line");
    }
    let mut edits = Vec::new();
    let mut by_pos: BTreeMap<usize, Vec<&String>> = BTreeMap::new();
    for n in add {
        by_pos.entry(pos(n)).or_default().push(n);
    }
    let indent = t.indent(t.line(items[0].span().0)).to_owned();
    for (k, mut names) in by_pos {
        names.sort_by_key(|n| key(n));
        if k < items.len() {
            let at = t.line(items[k].span().0);
            edits.push(Edit::insert(at, names.iter().map(|n| format!("{indent}{},", quote::json(n))).collect()));
        } else {
            let last = &items[items.len() - 1];
            let line = t.line(last.span().0);
            let mut lines = vec![format!("{},", t.lines[line].trim_end())];
            let count = names.len();
            lines.extend(names.iter().enumerate().map(|(i, n)| format!("{indent}{}{}", quote::json(n), if i + 1 < count { "," } else { "" })));
            edits.push(Edit::replace(line, lines));
        }
    }
    Ok(edits)
}

/// Edits that remove `name` from a rule's names (the whole rule when it is the only one).
fn remove_name(text: &Text<'_>, rules: &[Node], index: usize, name: &str) -> Result<Vec<Edit>> {
    let items = names_of(&rules[index]);
    let Some(pos) = items.iter().position(|i| i.as_str() == Some(name)) else {
        return Ok(Vec::new());
    };
    if items.len() == 1 {
        // The whole rule goes.
        let span = rules[index].span();
        if !text.alone(span) {
            bail!("the rule refusing {name} does not stand on its own lines");
        }
        let (first, last) = (text.line(span.0), text.line(span.1 - 1));
        let mut edits = vec![Edit { at: first, remove: last - first + 1, insert: Vec::new() }];
        if index + 1 == rules.len() && index > 0 {
            // It was the last rule: the previous one loses its trailing comma.
            let prev = text.line(rules[index - 1].span().1 - 1);
            let kept = text.lines[prev].trim_end();
            edits.push(Edit::replace(prev, vec![kept.strip_suffix(',').unwrap_or(kept).to_owned()]));
        }
        return Ok(edits);
    }
    let item = items[pos];
    let line = text.line(item.span().0);
    if text.alone(item.span()) {
        let mut edits = vec![Edit { at: line, remove: 1, insert: Vec::new() }];
        if pos + 1 == items.len() {
            let prev = text.line(items[pos - 1].span().0);
            let kept = text.lines[prev].trim_end();
            edits.push(Edit::replace(prev, vec![kept.strip_suffix(',').unwrap_or(kept).to_owned()]));
        }
        return Ok(edits);
    }
    // On a shared line: cut the item and one neighbouring comma.
    let ls = text.line_start(line);
    let mut edited = text.lines[line].to_owned();
    let (start, end) = (item.span().0 - ls, item.span().1 - ls);
    if pos + 1 < items.len() && text.line(items[pos + 1].span().0) == line {
        let next = items[pos + 1].span().0 - ls;
        edited.replace_range(start..next, "");
    } else if pos > 0 && text.line(items[pos - 1].span().1) == line {
        let prev = items[pos - 1].span().1 - ls;
        edited.replace_range(prev..end, "");
    } else {
        bail!("cannot remove {name} from its list cleanly");
    }
    Ok(vec![Edit::replace(line, vec![edited])])
}

/// Edits that append a new allow rule to the `syscalls` array.
fn new_rule(t: &Text<'_>, syscalls: &Node, names: &[String]) -> Result<Vec<Edit>> {
    let rules = syscalls.items().unwrap_or_default();
    let Some(last) = rules.last() else {
        bail!("the profile's syscalls list is empty: add the rule by hand");
    };
    if !t.alone(last.span()) {
        bail!("the profile's rules do not stand on their own lines");
    }
    let open = t.line(last.span().0);
    let close = t.line(last.span().1 - 1);
    let indent = t.indent(open).to_owned();
    // The indentation step, from the rule's first member line.
    let member = if open < close { t.indent(open + 1) } else { "" };
    let unit = match member.strip_prefix(indent.as_str()) {
        Some(u) if !u.is_empty() => u.to_owned(),
        _ if indent.starts_with('\t') => "\t".to_owned(),
        _ => "  ".to_owned(),
    };
    let inner = format!("{indent}{unit}");
    let item = format!("{inner}{unit}");
    let mut lines = vec![format!("{},", t.lines[close].trim_end())];
    lines.push(format!("{indent}{{"));
    lines.push(format!("{inner}\"names\": ["));
    let count = names.len();
    lines.extend(names.iter().enumerate().map(|(i, n)| format!("{item}{}{}", quote::json(n), if i + 1 < count { "," } else { "" })));
    lines.push(format!("{inner}],"));
    lines.push(format!("{inner}\"action\": \"{ALLOW}\""));
    lines.push(format!("{indent}}}"));
    Ok(vec![Edit::replace(close, lines)])
}

/// Whether a profile allows a syscall unconditionally.
fn allows(profile: &Value, name: &str) -> bool {
    let default_allows = profile.get("defaultAction").and_then(Value::as_str).is_some_and(|a| matches!(a, "SCMP_ACT_ALLOW" | "SCMP_ACT_LOG"));
    let rules = profile.get("syscalls").and_then(Value::as_array).cloned().unwrap_or_default();
    let plain = |r: &Value| ["args", "includes", "excludes"].iter().all(|k| r.get(k).is_none_or(|v| v.is_null() || v.as_array().is_some_and(Vec::is_empty) || v.as_object().is_some_and(serde_json::Map::is_empty)));
    let named = |r: &Value| r.get("names").and_then(Value::as_array).is_some_and(|a| a.iter().any(|n| n.as_str() == Some(name)));
    let refused = rules.iter().any(|r| plain(r) && named(r) && r.get("action").and_then(Value::as_str) != Some(ALLOW));
    let allowed = rules.iter().any(|r| plain(r) && named(r) && r.get("action").and_then(Value::as_str) == Some(ALLOW));
    !refused && (allowed || default_allows)
}

/// Every name of every rule, except `skip`, counted.
fn name_counts(profile: &Value, skip: &[String]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for r in profile.get("syscalls").and_then(Value::as_array).into_iter().flatten() {
        for n in r.get("names").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            if !skip.iter().any(|s| s == n) {
                *out.entry(n.to_owned()).or_insert(0) += 1;
            }
        }
    }
    out
}

fn patch(names: &[String], policy: &Policy) -> Result<Rendered> {
    let root = json::parse(&policy.text)?;
    let original: Value = serde_json::from_str(&policy.text)?;
    let t = Text::new(&policy.text);
    let Some(syscalls) = root.get("syscalls") else {
        bail!("the profile has no syscalls list");
    };
    let rules = syscalls.items().unwrap_or_default();
    let mut notes = Vec::new();
    let mut covered = Vec::new();
    let mut edits = Vec::new();
    let mut to_add = Vec::new();
    for name in names {
        for (r, rule) in rules.iter().enumerate() {
            if unconditional(rule) && action(rule) != ALLOW && names_of(rule).iter().any(|n| n.as_str() == Some(name)) {
                let errno = rule.get("errnoRet").map(|e| format!(" (errnoRet {})", match e { Node::Scalar { raw, .. } => raw.clone(), _ => "?".into() })).unwrap_or_default();
                notes.push(format!("{name} is taken out of the rule {}{errno} that refused it", action(rule)));
                edits.extend(remove_name(&t, rules, r, name)?);
            }
            if let Some(caps) = rule.get("includes").and_then(|i| i.get("caps")).and_then(Node::items) {
                if action(rule) == ALLOW && names_of(rule).iter().any(|n| n.as_str() == Some(name)) {
                    let caps: Vec<&str> = caps.iter().filter_map(Node::as_str).collect();
                    notes.push(format!("the profile already allows {name} to containers with {} (a capability is the riskier way)", caps.join(", ")));
                }
            }
        }
        let already = rules.iter().any(|r| unconditional(r) && action(r) == ALLOW && names_of(r).iter().any(|n| n.as_str() == Some(name)));
        let default_allows = matches!(root.get("defaultAction").and_then(Node::as_str), Some("SCMP_ACT_ALLOW" | "SCMP_ACT_LOG"));
        let refused_here = rules.iter().any(|r| unconditional(r) && action(r) != ALLOW && names_of(r).iter().any(|n| n.as_str() == Some(name)));
        if !already && !default_allows {
            to_add.push(name.clone());
        } else if !refused_here {
            covered.push(name.clone());
        }
    }
    if !to_add.is_empty() {
        let main = rules.iter().find(|r| unconditional(r) && action(r) == ALLOW && r.get("names").and_then(Node::items).is_some());
        match main {
            Some(rule) => edits.extend(insert_names(&t, rule.get("names").unwrap_or(rule), &to_add)?),
            None => edits.extend(new_rule(&t, syscalls, &to_add)?),
        }
    }
    if edits.is_empty() {
        return Ok(Rendered {
            text: format!("no change to {}: it already allows {} unconditionally (is the sandbox using this profile?)", policy.name, names.join(", ")),
            notes,
            covered,
        });
    }
    let patched = diff::apply(&policy.text, &edits)?;
    let got: Value = serde_json::from_str(&patched).map_err(|e| anyhow::anyhow!("the patched profile would not parse: {e}"))?;
    json::parse(&patched)?;
    for n in names {
        if !allows(&got, n) {
            bail!("the patched profile would still refuse {n}");
        }
    }
    if name_counts(&got, names) != name_counts(&original, names) || got.get("defaultAction") != original.get("defaultAction") {
        bail!("the patch would change other rules of the profile");
    }
    Ok(Rendered { text: diff::unified(&policy.text, &edits, &policy.name)?, notes, covered })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suggest::PolicyKind;

    const PROFILE: &str = "{\n\t\"defaultAction\": \"SCMP_ACT_ERRNO\",\n\t\"defaultErrnoRet\": 1,\n\t\"syscalls\": [\n\t\t{\n\t\t\t\"names\": [\n\t\t\t\t\"accept\",\n\t\t\t\t\"get_robust_list\",\n\t\t\t\t\"getrusage\",\n\t\t\t\t\"write\"\n\t\t\t],\n\t\t\t\"action\": \"SCMP_ACT_ALLOW\"\n\t\t},\n\t\t{\n\t\t\t\"names\": [\n\t\t\t\t\"sethostname\"\n\t\t\t],\n\t\t\t\"action\": \"SCMP_ACT_ALLOW\",\n\t\t\t\"includes\": {\n\t\t\t\t\"caps\": [\n\t\t\t\t\t\"CAP_SYS_ADMIN\"\n\t\t\t\t]\n\t\t\t}\n\t\t},\n\t\t{\n\t\t\t\"names\": [\n\t\t\t\t\"clone3\"\n\t\t\t],\n\t\t\t\"action\": \"SCMP_ACT_ERRNO\",\n\t\t\t\"errnoRet\": 38\n\t\t}\n\t]\n}\n";

    fn policy(text: &str) -> Policy {
        Policy { name: "p.json".into(), text: text.into(), kind: PolicyKind::OciSeccomp }
    }

    fn added(diff: &str) -> Vec<&str> {
        diff.lines().filter(|l| l.starts_with('+') && !l.starts_with("+++")).collect()
    }

    #[test]
    fn a_name_goes_to_its_sorted_place() {
        let r = render(&["getrlimit".into()], Some(&policy(PROFILE))).unwrap();
        assert_eq!(added(&r.text), vec!["+\t\t\t\t\"getrlimit\","], "{}", r.text);
        let r = render(&["sethostname".into()], Some(&policy(PROFILE))).unwrap();
        assert_eq!(added(&r.text), vec!["+\t\t\t\t\"sethostname\","], "{}", r.text);
        assert!(r.notes.iter().any(|n| n.contains("CAP_SYS_ADMIN")));
    }

    #[test]
    fn a_name_after_the_last_gets_the_comma_right() {
        let r = render(&["zz_last".into()], Some(&policy(PROFILE))).unwrap();
        assert_eq!(added(&r.text), vec!["+\t\t\t\t\"write\",", "+\t\t\t\t\"zz_last\""], "{}", r.text);
    }

    #[test]
    fn an_errno_rule_loses_the_name_and_the_profile_stays_valid() {
        let r = render(&["clone3".into()], Some(&policy(PROFILE))).unwrap();
        let removed: Vec<&str> = r.text.lines().filter(|l| l.starts_with('-') && !l.starts_with("---")).collect();
        assert!(removed.iter().any(|l| l.contains("\"errnoRet\": 38")), "{}", r.text);
        assert!(removed.contains(&"-\t\t},"), "{}", r.text);
        assert!(added(&r.text).contains(&"+\t\t}"), "{}", r.text);
        assert!(r.notes[0].contains("errnoRet 38"));
    }

    #[test]
    fn single_line_lists_and_new_rules() {
        let text = "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [\n    {\"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\"}\n  ]\n}\n";
        let r = render(&["openat".into()], Some(&policy(text))).unwrap();
        assert_eq!(added(&r.text), vec!["+    {\"names\": [\"openat\", \"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\"}"]);
        let text = "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [\n    {\n      \"names\": [\"read\"],\n      \"action\": \"SCMP_ACT_ALLOW\",\n      \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]\n    }\n  ]\n}\n";
        let r = render(&["mkdir".into()], Some(&policy(text))).unwrap();
        let patched = diff::apply(text, &[]).unwrap();
        assert_eq!(patched, text);
        assert!(added(&r.text).iter().any(|l| l.contains("\"mkdir\"")), "{}", r.text);
    }

    #[test]
    fn fragment_is_valid_json() {
        let f = fragment(&["sethostname".into()]);
        let v: Value = serde_json::from_str(&f).unwrap();
        assert_eq!(v["names"][0], "sethostname");
    }
}
