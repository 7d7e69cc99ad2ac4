//! Suggestions: for each attributed denial, the narrowest policy change that lets the program get
//! past that step, in the format of the sandbox the user runs (docs/suggestions.md).
//!
//! Each denial first becomes a [`need::Need`] (format-independent: paths and rights, a syscall, a
//! capability, a limit, a device, or the facts of a permission-bits or read-only-mount refusal),
//! with the accesses that follow the refused one ([`sequences`]). Each format then says what it
//! can express of that need ([`Part`]); what it cannot express gets an explicit
//! `not expressible in FORMAT: ...` text. The grants of all denials are merged per format into one
//! fragment to paste, or one unified diff against the user's own policy file (`--policy`) that
//! keeps its comments, order and style and is checked to still parse and validate.
//!
//! In the report, each denial gains one [`Suggestion`] per format. When several denials share a
//! format's change, the first of them carries the merged text and the others point to it.

use std::fmt::Write as _;

pub mod bwrap;
pub mod diff;
pub mod docker;
pub mod json;
pub mod kubernetes;
pub mod landlock;
pub mod need;
pub mod oci_seccomp;
pub mod openshell;
pub mod quote;
pub mod remedies;
pub mod risk;
pub mod sequences;
pub mod systemd;
pub mod yaml;

use std::{fmt, path::Path};

use anyhow::{Context as _, Result, bail};

use self::{
    need::{Need, PathGrant},
    risk::{Level, Risk},
};
use crate::model::{DenialEntry, Report, Suggestion};

/// The sandbox formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// NVIDIA `OpenShell` / `NemoClaw` sandbox policy (YAML).
    OpenShell,
    /// An OCI / Docker seccomp profile (JSON).
    OciSeccomp,
    /// `docker run` flags.
    Docker,
    /// A Kubernetes `securityContext` fragment.
    Kubernetes,
    /// systemd unit directives.
    Systemd,
    /// bubblewrap arguments.
    Bwrap,
    /// denytrace's Landlock rules in TOML (docs/landlock-toml.md).
    Landlock,
}

impl Format {
    /// Every format, in the order they are printed.
    pub const ALL: [Self; 7] = [Self::OpenShell, Self::OciSeccomp, Self::Docker, Self::Kubernetes, Self::Systemd, Self::Bwrap, Self::Landlock];

    /// Its name on the command line and in the report.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::OpenShell => "openshell",
            Self::OciSeccomp => "oci-seccomp",
            Self::Docker => "docker",
            Self::Kubernetes => "kubernetes",
            Self::Systemd => "systemd",
            Self::Bwrap => "bwrap",
            Self::Landlock => "landlock",
        }
    }

    /// Parses a name (a few aliases accepted).
    pub fn parse(name: &str) -> Result<Self> {
        let n = name.trim().to_ascii_lowercase();
        let f = match n.as_str() {
            "openshell" | "nemoclaw" => Self::OpenShell,
            "oci-seccomp" | "seccomp" | "oci" => Self::OciSeccomp,
            "docker" => Self::Docker,
            "kubernetes" | "k8s" => Self::Kubernetes,
            "systemd" => Self::Systemd,
            "bwrap" | "bubblewrap" => Self::Bwrap,
            "landlock" => Self::Landlock,
            _ => bail!(
                "unknown format {name:?}: use {}",
                Self::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
            ),
        };
        Ok(f)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A mergeable element of a format's change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A filesystem grant (openshell, landlock).
    Path(PathGrant),
    /// A syscall to allow (oci-seccomp).
    Syscall(String),
    /// A directive, flag or field, as written (`--cap-add SYS_ADMIN`, `TasksMax=64`); with a slot,
    /// only the largest value per slot is kept (`LimitNOFILE`, `--pids-limit`...).
    Line {
        /// The text.
        text: String,
        /// (slot, magnitude).
        slot: Option<(String, u64)>,
    },
}

impl Item {
    /// What identifies the item: its path, syscall name or text.
    #[must_use]
    pub fn key(&self) -> &str {
        match self {
            Self::Path(p) => &p.path,
            Self::Syscall(s) => s,
            Self::Line { text, .. } => text,
        }
    }

    /// A line without slot.
    #[must_use]
    pub fn line(text: impl Into<String>) -> Self {
        Self::Line { text: text.into(), slot: None }
    }

    /// A line that replaces smaller values of the same slot.
    #[must_use]
    pub fn slot(text: impl Into<String>, slot: impl Into<String>, value: u64) -> Self {
        Self::Line { text: text.into(), slot: Some((slot.into(), value)) }
    }
}

/// One denial's part of a format's suggestion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Short description.
    pub change: String,
    /// The text when the part has no mergeable items (remedies, "not expressible").
    pub text: String,
    /// Its risk.
    pub risk: Risk,
    /// Which denial it fixes and what it anticipates.
    pub why: String,
    /// What is merged with the other denials' items into the format's text.
    pub items: Vec<Item>,
}

impl Part {
    /// A part that the format cannot express.
    #[must_use]
    pub fn not_expressible(format: Format, label: &str, reason: &str) -> Self {
        Self {
            change: format!("not expressible in {format}"),
            text: format!("not expressible in {format}: {reason}"),
            risk: Risk::new(Level::Low, "no change"),
            why: format!("{label}: nothing in {format} can allow it"),
            items: Vec::new(),
        }
    }
}

/// The kind of policy file given with `--policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// An `OpenShell` policy.
    OpenShell,
    /// An OCI seccomp profile.
    OciSeccomp,
    /// A systemd unit.
    Systemd,
    /// denytrace's Landlock TOML.
    Landlock,
}

impl PolicyKind {
    /// The format it belongs to.
    #[must_use]
    pub fn format(self) -> Format {
        match self {
            Self::OpenShell => Format::OpenShell,
            Self::OciSeccomp => Format::OciSeccomp,
            Self::Systemd => Format::Systemd,
            Self::Landlock => Format::Landlock,
        }
    }
}

/// A policy file.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Its name as given (for the diff headers).
    pub name: String,
    /// Its text.
    pub text: String,
    /// What it is.
    pub kind: PolicyKind,
}

/// Recognises a policy file by its content.
#[must_use]
pub fn detect(text: &str) -> Option<PolicyKind> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        return json::parse(text).ok().and_then(|n| n.get("defaultAction").map(|_| PolicyKind::OciSeccomp));
    }
    if text.lines().any(|l| matches!(l.trim(), "[Service]" | "[Unit]" | "[Install]" | "[Socket]" | "[Mount]")) {
        return Some(PolicyKind::Systemd);
    }
    if text.lines().any(|l| l.trim() == "[[path_beneath]]") || landlock::looks_like(text) {
        return Some(PolicyKind::Landlock);
    }
    let v: serde_norway::Value = serde_norway::from_str(text).ok()?;
    let m = v.as_mapping()?;
    ["filesystem_policy", "landlock", "network_policies", "process"]
        .iter()
        .any(|k| m.contains_key(*k))
        .then_some(PolicyKind::OpenShell)
}

/// Reads and recognises `--policy FILE`.
pub fn load_policy(path: &Path) -> Result<Policy> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the policy {}", path.display()))?;
    let Some(kind) = detect(&text) else {
        bail!(
            "{}: not a recognised policy (an OpenShell policy YAML, an OCI seccomp profile JSON, a systemd unit, or denytrace's Landlock TOML)",
            path.display()
        );
    };
    Ok(Policy { name: path.display().to_string(), text, kind })
}

/// `#1 EACCES openat("/dev/ptmx")`, terminal-safe.
#[must_use]
pub fn label(index: usize, d: &DenialEntry) -> String {
    let path = d.path.as_ref().map_or_else(String::new, |p| format!("\"{}\"", p.term()));
    format!("#{} {} {}({path})", index + 1, d.errno, d.syscall.name)
}

/// What a format does with one denial.
fn part(format: Format, need: &Need, label: &str, d: &DenialEntry) -> Part {
    match format {
        Format::OpenShell => openshell::part(need, label),
        Format::OciSeccomp => oci_seccomp::part(need, label),
        Format::Docker => docker::part(need, label, d),
        Format::Kubernetes => kubernetes::part(need, label),
        Format::Systemd => systemd::part(need, label),
        Format::Bwrap => bwrap::part(need, label),
        Format::Landlock => landlock::part(need, label),
    }
}

/// A format's merged text.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    /// Fragment or diff.
    pub text: String,
    /// Facts worth adding to `why` (grants already in the policy...).
    pub notes: Vec<String>,
    /// Items the policy already has (by [`Item::key`]): nothing to add for them.
    pub covered: Vec<String>,
}

fn render(format: Format, items: &[Item], policy: Option<&Policy>) -> Result<Rendered> {
    match format {
        Format::OpenShell => openshell::render(&paths(items), policy),
        Format::OciSeccomp => oci_seccomp::render(&syscalls(items), policy),
        Format::Landlock => landlock::render(&paths(items), policy),
        Format::Systemd => systemd::render(&lines(items), policy),
        Format::Docker => Ok(Rendered { text: docker::render(&lines(items)), ..Rendered::default() }),
        Format::Kubernetes => Ok(Rendered { text: kubernetes::render(&lines(items)), ..Rendered::default() }),
        Format::Bwrap => Ok(Rendered { text: bwrap::render(&lines(items)), ..Rendered::default() }),
    }
}

fn paths(items: &[Item]) -> Vec<PathGrant> {
    items.iter().filter_map(|i| if let Item::Path(p) = i { Some(p.clone()) } else { None }).collect()
}

fn syscalls(items: &[Item]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        if let Item::Syscall(s) = i {
            if !out.contains(s) {
                out.push(s.clone());
            }
        }
    }
    out
}

/// Lines merged: duplicates dropped, the largest value per slot kept (at the first one's place).
#[must_use]
pub fn lines(items: &[Item]) -> Vec<String> {
    let mut out: Vec<(String, Option<(String, u64)>)> = Vec::new();
    for i in items {
        let Item::Line { text, slot } = i else {
            continue;
        };
        if let Some((name, value)) = slot {
            if let Some(existing) = out.iter_mut().find(|(_, s)| s.as_ref().is_some_and(|(n, _)| n == name)) {
                if existing.1.as_ref().is_some_and(|(_, v)| value > v) {
                    *existing = (text.clone(), slot.clone());
                }
                continue;
            }
        } else if out.iter().any(|(t, _)| t == text) {
            continue;
        }
        out.push((text.clone(), slot.clone()));
    }
    out.into_iter().map(|(t, _)| t).collect()
}

/// Parses `--format` values.
pub fn parse_formats(names: &[String]) -> Result<Vec<Format>> {
    let mut out = Vec::new();
    for n in names {
        for piece in n.split(',').filter(|p| !p.trim().is_empty()) {
            let f = Format::parse(piece)?;
            if !out.contains(&f) {
                out.push(f);
            }
        }
    }
    Ok(out)
}

/// Text of a suggestion whose change was merged into another denial's.
pub const MERGED_PREFIX: &str = "merged into the ";

/// Fills each denial's `suggestions` for the formats (replacing earlier ones). With a policy file,
/// the format it belongs to gets a unified diff against it.
pub fn apply(report: &mut Report, formats: &[String], policy: Option<&Path>) -> Result<()> {
    let formats = parse_formats(formats)?;
    if formats.is_empty() {
        return Ok(());
    }
    let policy = policy.map(load_policy).transpose()?;
    if let Some(p) = &policy {
        if !formats.contains(&p.kind.format()) {
            bail!(
                "--policy {} is a {} policy, but --format does not include {}",
                p.name,
                p.kind.format(),
                p.kind.format()
            );
        }
    }
    suggest_with(report, &formats, policy.as_ref(), &sequences::Host)
}

/// `run --suggest`: [`apply`], or a line on stderr saying why not (the run's report is still
/// written).
pub fn for_run(report: &mut Report, formats: &[String], policy: Option<&Path>) {
    if let Err(e) = apply(report, formats, policy) {
        eprintln!("denytrace: no suggestions: {e:#}");
    }
}

/// [`apply`] with parsed formats, a loaded policy and a machine probe.
pub fn suggest_with(report: &mut Report, formats: &[Format], policy: Option<&Policy>, probe: &dyn sequences::Probe) -> Result<()> {
    let needs: Vec<Need> = report.denials.iter().map(|d| need::of(d, probe)).collect();
    let labels: Vec<String> = report.denials.iter().enumerate().map(|(i, d)| label(i, d)).collect();
    let mut out: Vec<Vec<Suggestion>> = vec![Vec::new(); report.denials.len()];
    for &format in formats {
        let own_policy = policy.filter(|p| p.kind.format() == format);
        let parts: Vec<Option<Part>> = report
            .denials
            .iter()
            .zip(&needs)
            .zip(&labels)
            .map(|((d, n), l)| (d.cause.is_some()).then(|| part(format, n, l, d)))
            .collect();
        let with_items: Vec<usize> = parts.iter().enumerate().filter(|(_, p)| p.as_ref().is_some_and(|p| !p.items.is_empty())).map(|(i, _)| i).collect();
        let merged = if with_items.is_empty() {
            None
        } else {
            let items: Vec<Item> = with_items.iter().flat_map(|&i| parts[i].as_ref().map(|p| p.items.clone()).unwrap_or_default()).collect();
            Some(render(format, &items, own_policy))
        };
        // Parts whose every item the policy already has change nothing: the others carry the change.
        let covered: Vec<String> = match &merged {
            Some(Ok(r)) => r.covered.clone(),
            _ => Vec::new(),
        };
        let is_covered = |p: &Part| !p.items.is_empty() && p.items.iter().all(|it| covered.iter().any(|c| c == it.key()));
        let contributors: Vec<usize> = with_items.iter().copied().filter(|&i| parts[i].as_ref().is_some_and(|p| !is_covered(p))).collect();
        let carrier = contributors.first().copied();
        for (i, p) in parts.into_iter().enumerate() {
            let Some(p) = p else {
                continue;
            };
            let mut s = Suggestion {
                format: format.name().to_owned(),
                change: p.change.clone(),
                text: p.text.clone(),
                risk: p.risk.level.as_str().to_owned(),
                risk_why: p.risk.why.clone(),
                why: p.why.clone(),
            };
            if is_covered(&p) {
                let name = own_policy.map_or("the policy", |pol| pol.name.as_str());
                s.change = format!("no change: {name} already allows it");
                s.text = format!(
                    "no change to {name}: it already has {} (is the sandbox running with this policy?)",
                    p.items.iter().map(|it| crate::text::term_str(it.key())).collect::<Vec<_>>().join(", ")
                );
                Level::Low.as_str().clone_into(&mut s.risk);
                "no change".clone_into(&mut s.risk_why);
            } else if !p.items.is_empty() {
                let carrier = carrier.unwrap_or(i);
                if i == carrier {
                    match merged.as_ref() {
                        Some(Ok(r)) => {
                            s.text.clone_from(&r.text);
                            for n in &r.notes {
                                s.why.push_str("; ");
                                s.why.push_str(n);
                            }
                        }
                        Some(Err(e)) => {
                            s.text = format!("{}\n(no patch: {e:#})", p.text);
                            let _ = write!(s.why, "; the policy file could not be patched: {e:#}");
                        }
                        None => {}
                    }
                    let others: Vec<String> = contributors.iter().filter(|&&c| c != i).map(|c| format!("#{}", c + 1)).collect();
                    if !others.is_empty() {
                        let _ = write!(s.change, " (merged with {})", others.join(", "));
                        let (risk, risk_why) = merged_risk(&report.denials, &contributors, format, &needs, &labels);
                        s.risk = risk;
                        s.risk_why = risk_why;
                    }
                } else {
                    s.text = format!("{MERGED_PREFIX}{format} change shown for denial #{}", carrier + 1);
                }
            }
            out[i].push(s);
        }
    }
    for (d, s) in report.denials.iter_mut().zip(out) {
        d.suggestions = s;
    }
    Ok(())
}

fn merged_risk(denials: &[DenialEntry], contributors: &[usize], format: Format, needs: &[Need], labels: &[String]) -> (String, String) {
    let mut r: Option<Risk> = None;
    for &c in contributors {
        let p = part(format, &needs[c], &labels[c], &denials[c]);
        r = Some(match r {
            None => p.risk,
            Some(prev) => prev.max(p.risk),
        });
    }
    let r = r.unwrap_or_else(|| Risk::new(Level::Low, "no change"));
    (r.level.as_str().to_owned(), r.why)
}

/// The merged text per format (the carriers' texts), for files such as CI artifacts.
#[must_use]
pub fn merged(report: &Report) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for d in &report.denials {
        for s in &d.suggestions {
            if !is_change(&s.text) {
                continue;
            }
            match out.iter_mut().find(|(f, _)| *f == s.format) {
                Some((_, t)) => {
                    t.push('\n');
                    t.push_str(&s.text);
                }
                None => out.push((s.format.clone(), s.text.clone())),
            }
        }
    }
    out
}

/// A new limit for one that was reached: twice the old one, and at least the usage plus 64. The
/// program's real peak cannot be seen past the first refusal, so this leaves room for the steps
/// after it.
#[must_use]
pub fn raised(limit: Option<u64>, usage: Option<u64>) -> u64 {
    let base = limit.unwrap_or(0).max(usage.unwrap_or(0));
    (base.saturating_mul(2)).max(usage.unwrap_or(0).saturating_add(64)).max(64)
}

/// Whether a suggestion's text is a change (fragment or diff) rather than a note.
#[must_use]
pub fn is_change(text: &str) -> bool {
    !(text.starts_with(MERGED_PREFIX) || text.starts_with("not expressible") || text.starts_with("not suggested") || text.starts_with("fact:") || text.starts_with("no change"))
}

/// Joins the `why` of grants: `label: a; b`.
#[must_use]
pub fn why_of(label: &str, reasons: &[String]) -> String {
    if reasons.is_empty() {
        label.to_owned()
    } else {
        format!("fixes {label}: {}", reasons.join("; "))
    }
}

/// The highest risk of path grants.
#[must_use]
pub fn paths_risk(grants: &[PathGrant]) -> Risk {
    grants
        .iter()
        .map(|g| {
            let r = risk::path(&g.path, g.write);
            Risk::new(r.level, format!("{}: {}", g.path, r.why))
        })
        .reduce(Risk::max)
        .unwrap_or_else(|| Risk::new(Level::Low, "no change"))
}

/// Drops grants covered by another grant of the list (a directory grant with the same or more
/// access), and merges duplicates; keeps the order of first appearance.
#[must_use]
pub fn merge_paths(grants: &[PathGrant]) -> Vec<PathGrant> {
    let mut out: Vec<PathGrant> = Vec::new();
    for g in grants {
        if let Some(e) = out.iter_mut().find(|e| e.path == g.path) {
            e.write |= g.write;
            e.rights |= g.rights;
            e.dir |= g.dir;
            e.anticipated &= g.anticipated;
            continue;
        }
        out.push(g.clone());
    }
    let snapshot = out.clone();
    out.retain(|g| {
        !snapshot.iter().any(|o| {
            o.path != g.path && o.dir && sequences::beneath(&g.path, &o.path) && (o.write || !g.write) && (o.rights & g.rights) == g.rights
        })
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse() {
        assert_eq!(parse_formats(&["openshell,docker".into(), "k8s".into()]).unwrap(), vec![Format::OpenShell, Format::Docker, Format::Kubernetes]);
        assert!(parse_formats(&["nope".into()]).is_err());
    }

    #[test]
    fn lines_keep_the_largest_slot_value() {
        let items = vec![
            Item::slot("LimitNOFILE=2048", "LimitNOFILE", 2048),
            Item::line("TasksMax=10"),
            Item::slot("LimitNOFILE=4096", "LimitNOFILE", 4096),
            Item::line("TasksMax=10"),
        ];
        assert_eq!(lines(&items), vec!["LimitNOFILE=4096".to_owned(), "TasksMax=10".to_owned()]);
    }

    #[test]
    fn detection() {
        assert_eq!(detect("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": []}"), Some(PolicyKind::OciSeccomp));
        assert_eq!(detect("[Unit]\nDescription=x\n[Service]\nExecStart=/bin/true\n"), Some(PolicyKind::Systemd));
        assert_eq!(detect("version: 1\nfilesystem_policy:\n  read_only: [/usr]\n"), Some(PolicyKind::OpenShell));
        assert_eq!(detect("[[path_beneath]]\npath = \"/usr\"\nallowed_access = [\"read_file\"]\n"), Some(PolicyKind::Landlock));
        assert_eq!(detect("hello: world\n"), None);
    }

    #[test]
    fn merging_paths_drops_covered_grants() {
        let g = |p: &str, write, dir| PathGrant { path: p.into(), write, rights: if write { 3 } else { 1 }, dir, anticipated: false, why: String::new() };
        let out = merge_paths(&[g("/dev/pts/3", true, false), g("/dev/pts", true, true), g("/dev/ptmx", true, false), g("/dev/ptmx", true, false)]);
        assert_eq!(out.iter().map(|g| g.path.as_str()).collect::<Vec<_>>(), vec!["/dev/pts", "/dev/ptmx"]);
        // A read-only directory does not cover a write beneath it.
        let out = merge_paths(&[g("/srv/a/x", true, false), g("/srv/a", false, true)]);
        assert_eq!(out.len(), 2);
    }
}
