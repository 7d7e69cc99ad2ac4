//! NVIDIA `OpenShell` / `NemoClaw` sandbox policies: Landlock grants become absolute paths in
//! `filesystem_policy.read_only` (read, list, execute) or `filesystem_policy.read_write` (every
//! right). The policy's own rules are kept: paths absolute, no `..`, `/` never read-write, at
//! most 256 paths, 4096 bytes each. Nothing else of a denial (syscalls, capabilities, limits,
//! devices) has a field in this policy.

use std::fmt::Write as _;

use std::collections::BTreeSet;

use anyhow::{Result, bail};
use serde_json::Value;

use super::{
    Format, Item, Part, Policy, Rendered, diff, merge_paths,
    need::{Need, PathGrant},
    paths_risk, quote, remedies,
    risk::{Level, Risk},
    sequences::beneath,
    why_of, yaml,
};

const FORMAT: Format = Format::OpenShell;
/// Paths a policy may hold (`read_only` and `read_write` together).
pub const MAX_PATHS: usize = 256;
/// Bytes a path may have.
pub const MAX_PATH_LEN: usize = 4096;

/// What `OpenShell` can do about one denial.
#[must_use]
pub fn part(need: &Need, label: &str) -> Part {
    match need {
        Need::Paths { grants, problem: Some(p), .. } if grants.is_empty() => Part {
            change: "no grant suggested: the path cannot be written safely".into(),
            text: format!("not suggested: {p}"),
            risk: Risk::new(Level::Low, "no change"),
            why: label.to_owned(),
            items: Vec::new(),
        },
        Need::Paths { grants, .. } => Part {
            change: change_of(grants),
            text: fragment(grants),
            risk: paths_risk(grants),
            why: why_of(label, &grants.iter().map(|g| format!("{}: {}", g.path, g.why)).collect::<Vec<_>>()),
            items: grants.iter().cloned().map(Item::Path).collect(),
        },
        Need::LandlockScope => Part::not_expressible(
            FORMAT,
            label,
            "Landlock refused something other than a file (a signal or an abstract unix socket scope), which the policy's \
             filesystem lists do not cover",
        ),
        Need::Dac(d) => remedies::dac(FORMAT, d, label, None),
        Need::ReadOnly(r) => remedies::read_only(FORMAT, r, label, None),
        other => Part::not_expressible(FORMAT, label, &remedies::elsewhere(other, "OpenShell's policy has no field for it; the sandbox's container runtime (see the docker or kubernetes format) sets it")),
    }
}

fn change_of(grants: &[PathGrant]) -> String {
    let rw: Vec<&str> = grants.iter().filter(|g| g.write).map(|g| g.path.as_str()).collect();
    let ro: Vec<&str> = grants.iter().filter(|g| !g.write).map(|g| g.path.as_str()).collect();
    let mut parts = Vec::new();
    if !rw.is_empty() {
        parts.push(format!("add {} to filesystem_policy.read_write", rw.join(", ")));
    }
    if !ro.is_empty() {
        parts.push(format!("add {} to filesystem_policy.read_only", ro.join(", ")));
    }
    parts.join("; ")
}

/// A fragment to paste into a policy.
fn fragment(grants: &[PathGrant]) -> String {
    let grants = merge_paths(grants);
    let mut out = String::from("filesystem_policy:\n");
    for (key, write) in [("read_only", false), ("read_write", true)] {
        let list: Vec<&PathGrant> = grants.iter().filter(|g| g.write == write).collect();
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "  {key}:");
        for g in list {
            let _ = writeln!(out, "    - {}", quote::yaml(&g.path));
        }
    }
    out
}

/// The merged change: a fragment, or a unified diff against an `OpenShell` policy.
pub fn render(grants: &[PathGrant], policy: Option<&Policy>) -> Result<Rendered> {
    let grants = merge_paths(grants);
    if let Some(bad) = grants.iter().find(|g| g.write && g.path.trim_end_matches('/').is_empty()) {
        bail!("{} cannot be read-write in an OpenShell policy", crate::text::term_str(&bad.path));
    }
    let Some(policy) = policy else {
        let total = grants.len();
        if total > MAX_PATHS {
            bail!("{total} paths: more than the {MAX_PATHS} an OpenShell policy may hold");
        }
        return Ok(Rendered { text: fragment(&grants), ..Rendered::default() });
    };
    patch(&grants, policy)
}

/// Parses a policy into JSON values (keys sorted, so comparisons ignore order).
pub fn parse(text: &str) -> Result<Value> {
    let v: serde_norway::Value = serde_norway::from_str(text).map_err(|e| anyhow::anyhow!("not valid YAML: {e}"))?;
    Ok(serde_json::to_value(v)?)
}

fn list<'a>(v: &'a Value, key: &str) -> Vec<&'a str> {
    v.get("filesystem_policy")
        .and_then(|f| f.get(key))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// What is wrong with a policy, as `OpenShell` checks it (schema with unknown fields refused,
/// path rules, counts). Empty when valid.
#[must_use]
pub fn validate(v: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    let Some(root) = v.as_object() else {
        return vec!["the policy is not a mapping".into()];
    };
    let allowed = |m: &serde_json::Map<String, Value>, keys: &[&str], at: &str, errors: &mut Vec<String>| {
        for k in m.keys() {
            if !keys.contains(&k.as_str()) {
                errors.push(format!("unknown field {at}{k}"));
            }
        }
    };
    allowed(root, &["version", "filesystem_policy", "landlock", "process", "network_policies", "network_middlewares"], "", &mut errors);
    if root.get("version").and_then(Value::as_u64) != Some(1) {
        errors.push("version must be 1".into());
    }
    if let Some(fs) = root.get("filesystem_policy").filter(|v| !v.is_null()) {
        match fs.as_object() {
            None => errors.push("filesystem_policy must be a mapping".into()),
            Some(m) => {
                allowed(m, &["include_workdir", "read_only", "read_write"], "filesystem_policy.", &mut errors);
                if m.get("include_workdir").is_some_and(|v| !v.is_boolean()) {
                    errors.push("filesystem_policy.include_workdir must be true or false".into());
                }
                let mut total = 0;
                for key in ["read_only", "read_write"] {
                    let Some(list) = m.get(key) else {
                        continue;
                    };
                    let Some(items) = list.as_array() else {
                        errors.push(format!("filesystem_policy.{key} must be a list"));
                        continue;
                    };
                    total += items.len();
                    for item in items {
                        let Some(p) = item.as_str() else {
                            errors.push(format!("filesystem_policy.{key} holds a non-string"));
                            continue;
                        };
                        if p.len() > MAX_PATH_LEN {
                            errors.push(format!("a path in {key} is longer than {MAX_PATH_LEN} bytes"));
                        } else if !p.starts_with('/') {
                            errors.push(format!("path {} in {key} is not absolute", crate::text::term_str(p)));
                        } else if p.split('/').any(|c| c == "..") {
                            errors.push(format!("path {} in {key} has a `..` component", crate::text::term_str(p)));
                        }
                        if key == "read_write" && p.trim_end_matches('/').is_empty() {
                            errors.push("/ must not be read_write".into());
                        }
                    }
                }
                if total > MAX_PATHS {
                    errors.push(format!("{total} filesystem paths: at most {MAX_PATHS}"));
                }
            }
        }
    }
    if let Some(l) = root.get("landlock").filter(|v| !v.is_null()) {
        match l.as_object() {
            None => errors.push("landlock must be a mapping".into()),
            Some(m) => {
                allowed(m, &["compatibility"], "landlock.", &mut errors);
                if let Some(c) = m.get("compatibility") {
                    if !matches!(c.as_str(), Some("best_effort" | "hard_requirement")) {
                        errors.push("landlock.compatibility must be best_effort or hard_requirement".into());
                    }
                }
            }
        }
    }
    if let Some(p) = root.get("process").filter(|v| !v.is_null()) {
        match p.as_object() {
            None => errors.push("process must be a mapping".into()),
            Some(m) => {
                allowed(m, &["run_as_user", "run_as_group"], "process.", &mut errors);
                if m.values().any(|v| !v.is_string()) {
                    errors.push("process.run_as_user and run_as_group must be strings".into());
                }
            }
        }
    }
    if root.get("network_policies").is_some_and(|n| !n.is_null() && !n.is_object()) {
        errors.push("network_policies must be a mapping".into());
    }
    errors
}

fn patch(grants: &[PathGrant], policy: &Policy) -> Result<Rendered> {
    let original = parse(&policy.text)?;
    if !original.is_object() {
        bail!("the policy is not a YAML mapping");
    }
    let before: BTreeSet<String> = validate(&original).into_iter().collect();
    let readable = list(&original, "read_only");
    let writable = list(&original, "read_write");
    let mut notes = Vec::new();
    let mut covered = Vec::new();
    let mut new_readable = Vec::new();
    let mut new_writable = Vec::new();
    for g in grants {
        let writable_by = writable.iter().find(|e| beneath(&g.path, e.trim_end_matches('/')) || **e == "/" && !g.write);
        let readable_by = readable.iter().find(|e| beneath(&g.path, e.trim_end_matches('/')) || **e == "/");
        match (g.write, writable_by, readable_by) {
            (_, Some(e), _) | (false, None, Some(e)) => {
                notes.push(format!("{} is already covered by {} in the policy (is the sandbox running with this file?)", crate::text::term_str(&g.path), crate::text::term_str(e)));
                covered.push(g.path.clone());
            }
            (true, None, Some(e)) => {
                notes.push(format!("{} is read-only through {}; read_write adds the write rights", crate::text::term_str(&g.path), crate::text::term_str(e)));
                new_writable.push(g.path.clone());
            }
            (true, None, None) => new_writable.push(g.path.clone()),
            (false, None, None) => new_readable.push(g.path.clone()),
        }
    }
    if new_readable.is_empty() && new_writable.is_empty() {
        return Ok(Rendered { text: format!("no change to {}: {}", policy.name, notes.join("; ")), notes, covered });
    }
    let total = readable.len() + writable.len() + new_readable.len() + new_writable.len();
    if total > MAX_PATHS {
        bail!("the policy would hold {total} paths, more than the {MAX_PATHS} OpenShell accepts: merge some into a common directory first");
    }
    let parent = ["filesystem_policy"];
    let has_fs = original.get("filesystem_policy").is_some_and(Value::is_object);
    let mut edits = Vec::new();
    if has_fs {
        edits.extend(yaml::list_append(&policy.text, &parent, "read_only", &new_readable, None, "version")?);
        edits.extend(yaml::list_append(&policy.text, &parent, "read_write", &new_writable, Some("read_only"), "version")?);
    } else {
        // One new block with both lists.
        let mut e = yaml::list_append(&policy.text, &parent, "read_only", &new_readable, None, "version")?;
        let rw_lines: Vec<String> = std::iter::once("  read_write:".to_owned()).chain(new_writable.iter().map(|p| format!("    - {}", quote::yaml(p)))).collect();
        match e.first_mut() {
            Some(first) => first.insert.extend(rw_lines),
            None => e = yaml::list_append(&policy.text, &parent, "read_write", &new_writable, None, "version")?,
        }
        edits.extend(e);
    }
    let patched = diff::apply(&policy.text, &edits)?;
    // The patched file must mean exactly the original plus the new paths.
    let got = parse(&patched)?;
    let mut expected = original.clone();
    if !expected.get("filesystem_policy").is_some_and(Value::is_object) {
        expected["filesystem_policy"] = serde_json::json!({});
    }
    for (key, add) in [("read_only", &new_readable), ("read_write", &new_writable)] {
        if add.is_empty() {
            continue;
        }
        let fs = &mut expected["filesystem_policy"];
        if !fs.get(key).is_some_and(Value::is_array) {
            fs[key] = serde_json::json!([]);
        }
        if let Some(a) = fs[key].as_array_mut() {
            a.extend(add.iter().map(|p| Value::String(p.clone())));
        }
    }
    if got != expected {
        bail!("the patched policy would not mean what was intended (an unusual layout?); add the paths by hand");
    }
    let new_errors: Vec<String> = validate(&got).into_iter().filter(|e| !before.contains(e)).collect();
    if !new_errors.is_empty() {
        bail!("the patched policy would not validate: {}", new_errors.join("; "));
    }
    if !before.is_empty() {
        notes.push(format!("the policy already had problems: {}", before.into_iter().collect::<Vec<_>>().join("; ")));
    }
    Ok(Rendered { text: diff::unified(&policy.text, &edits, &policy.name)?, notes, covered })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(path: &str, write: bool, dir: bool) -> PathGrant {
        PathGrant { path: path.into(), write, rights: if write { 0xffff } else { 0b1101 }, dir, anticipated: false, why: "w".into() }
    }

    fn policy(text: &str) -> Policy {
        Policy { name: "policy.yaml".into(), text: text.into(), kind: super::super::PolicyKind::OpenShell }
    }

    const BASE: &str = "# a policy\nversion: 1\n\nfilesystem_policy:\n  include_workdir: true\n  read_only:\n    - /usr\n    - /etc\n  read_write:\n    - /tmp   # scratch\n    - /dev/null\n\nlandlock:\n  compatibility: best_effort\n";

    #[test]
    fn patch_adds_lines_and_keeps_comments() {
        let r = render(&[g("/dev/ptmx", true, false), g("/dev/pts", true, true)], Some(&policy(BASE))).unwrap();
        assert!(r.text.contains("\n     - /dev/null\n+    - /dev/ptmx\n+    - /dev/pts\n"), "{}", r.text);
        let added: Vec<&str> = r.text.lines().filter(|l| l.starts_with('+') && !l.starts_with("+++")).collect();
        assert_eq!(added, vec!["+    - /dev/ptmx", "+    - /dev/pts"]);
    }

    #[test]
    fn a_policy_that_is_not_a_mapping_is_refused() {
        // Found by the policy_openshell fuzz target: a scalar document made the patch panic.
        for text in ["\n\n!!- \n", "- /a\n- /b\n", "just text\n"] {
            let err = render(&[g("/x", false, false)], Some(&policy(text))).unwrap_err();
            assert!(err.to_string().contains("not a YAML mapping") || err.to_string().contains("not valid YAML"), "{err}");
        }
    }

    #[test]
    fn covered_paths_are_not_added() {
        let r = render(&[g("/etc/hosts", false, false)], Some(&policy(BASE))).unwrap();
        assert!(r.text.starts_with("no change"), "{}", r.text);
        let r = render(&[g("/etc/app", true, true)], Some(&policy(BASE))).unwrap();
        assert!(r.text.contains("+    - /etc/app"), "{}", r.text);
        assert!(r.notes[0].contains("read-only through /etc"));
    }

    #[test]
    fn missing_filesystem_policy_gets_one_block() {
        let text = "version: 1\nlandlock:\n  compatibility: best_effort\n";
        let r = render(&[g("/data", false, true), g("/out", true, true)], Some(&policy(text))).unwrap();
        let patched = diff_apply(text, &r.text);
        let v = parse(&patched).unwrap();
        assert_eq!(list(&v, "read_only"), vec!["/data"]);
        assert_eq!(list(&v, "read_write"), vec!["/out"]);
    }

    /// Applies our own unified diff (single-file, well-formed) for tests.
    fn diff_apply(text: &str, patch: &str) -> String {
        let old: Vec<&str> = text.lines().collect();
        let mut out = Vec::new();
        let mut i = 0;
        for line in patch.lines() {
            if line.starts_with("---") || line.starts_with("+++") {
                continue;
            }
            if let Some(h) = line.strip_prefix("@@ -") {
                let start: usize = h.split([',', ' ']).next().unwrap().parse().unwrap();
                while i + 1 < start {
                    out.push(old[i].to_owned());
                    i += 1;
                }
            } else if let Some(l) = line.strip_prefix('+') {
                out.push(l.to_owned());
            } else if line.starts_with('-') {
                i += 1;
            } else if let Some(l) = line.strip_prefix(' ') {
                out.push(l.to_owned());
                i += 1;
            }
        }
        out.extend(old[i..].iter().map(|s| (*s).to_owned()));
        out.join("\n") + "\n"
    }

    #[test]
    fn validation_rules() {
        let v = parse("version: 1\nfilesystem_policy:\n  read_write: [/, rel, /a/../b]\n  bogus: 1\n").unwrap();
        let errors = validate(&v);
        assert!(errors.iter().any(|e| e.contains("/ must not")), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("not absolute")));
        assert!(errors.iter().any(|e| e.contains("`..`")));
        assert!(errors.iter().any(|e| e.contains("unknown field filesystem_policy.bogus")));
        assert!(render(&[g("/", true, true)], None).is_err());
    }

    #[test]
    fn hostile_path_is_one_quoted_line() {
        let hostile = "/srv/x\n- /etc: y # z\"'";
        let r = render(&[g(hostile, true, false)], Some(&policy(BASE))).unwrap();
        let added: Vec<&str> = r.text.lines().filter(|l| l.starts_with('+') && !l.starts_with("+++")).collect();
        assert_eq!(added.len(), 1, "{}", r.text);
        let v = parse(&diff_apply(BASE, &r.text)).unwrap();
        assert_eq!(list(&v, "read_write"), vec!["/tmp", "/dev/null", hostile]);
    }
}
