//! Landlock rules in denytrace's TOML form (docs/landlock-toml.md): one `[[path_beneath]]` table
//! per rule, with `path` and `allowed_access` (the right names of `<linux/landlock.h>`). A rule
//! carries exactly the rights that were missing plus those of the accesses anticipated next,
//! limited to what the ruleset handles (a rule with an unhandled right is refused by the kernel)
//! and, on a file, to the rights a file can have.

use anyhow::{Result, bail};

use super::{
    Format, Item, Part, Policy, Rendered, diff,
    diff::Edit,
    merge_paths,
    need::{Need, PathGrant},
    paths_risk, quote, remedies,
    sequences::beneath,
    why_of,
};
use crate::attribution::landlock::{FILE_RIGHTS, bit_of, names_of};

const FORMAT: Format = Format::Landlock;

/// What a Landlock ruleset can do about one denial.
#[must_use]
pub fn part(need: &Need, label: &str) -> Part {
    match need {
        Need::Paths { grants, problem: Some(p), .. } if grants.is_empty() => Part {
            change: "no rule suggested: the path cannot be written safely".into(),
            text: format!("not suggested: {p}"),
            risk: super::risk::Risk::new(super::risk::Level::Low, "no change"),
            why: label.to_owned(),
            items: Vec::new(),
        },
        Need::Paths { grants, handled, .. } => {
            let grants: Vec<PathGrant> = grants
                .iter()
                .map(|g| {
                    let mut g = g.clone();
                    if *handled != 0 {
                        g.rights &= *handled;
                    }
                    if !g.dir {
                        g.rights &= FILE_RIGHTS;
                    }
                    g
                })
                .filter(|g| g.rights != 0)
                .collect();
            Part {
                change: format!(
                    "add path_beneath rules: {}",
                    grants.iter().map(|g| format!("{} ({})", g.path, names_of(g.rights).join(", "))).collect::<Vec<_>>().join("; ")
                ),
                text: fragment(&grants),
                risk: paths_risk(&grants),
                why: why_of(label, &grants.iter().map(|g| format!("{}: {}", g.path, g.why)).collect::<Vec<_>>()),
                items: grants.into_iter().map(Item::Path).collect(),
            }
        }
        Need::LandlockScope => Part::not_expressible(
            FORMAT,
            label,
            "Landlock refused a signal or an abstract unix socket (a scope), not a path: remove that scope from the ruleset's \
             scoped field if the program must reach outside its domain",
        ),
        Need::Dac(d) => remedies::dac(FORMAT, d, label, None),
        Need::ReadOnly(r) => remedies::read_only(FORMAT, r, label, None),
        other => Part::not_expressible(FORMAT, label, &remedies::elsewhere(other, "Landlock rules only grant filesystem and network access")),
    }
}

fn table(g: &PathGrant) -> Vec<String> {
    vec![
        "[[path_beneath]]".to_owned(),
        format!("path = {}", quote::toml(&g.path)),
        format!("allowed_access = [{}]", names_of(g.rights).iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")),
    ]
}

fn fragment(grants: &[PathGrant]) -> String {
    merge_paths(grants).iter().map(|g| table(g).join("\n") + "\n").collect::<Vec<_>>().join("\n")
}

/// The merged change: rules to add, or a unified diff against a rules file.
pub fn render(grants: &[PathGrant], policy: Option<&Policy>) -> Result<Rendered> {
    let grants = merge_paths(grants);
    match policy {
        None => Ok(Rendered { text: fragment(&grants), ..Rendered::default() }),
        Some(p) => patch(&grants, p),
    }
}

/// A rule read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// `path`.
    pub path: String,
    /// `allowed_access` as a mask.
    pub access: u32,
    /// Lines of the `allowed_access` value (first, last).
    pub access_lines: (usize, usize),
}

/// A rules file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct File {
    /// `abi`.
    pub abi: Option<u32>,
    /// `handled_access_fs` as a mask.
    pub handled: Option<u32>,
    /// The rules.
    pub rules: Vec<Rule>,
}

/// Whether a text looks like a rules file without rules yet (`abi = N` or `handled_access_fs`).
#[must_use]
pub fn looks_like(text: &str) -> bool {
    parse(text).is_ok_and(|f| f.abi.is_some() || f.handled.is_some())
}

fn toml_string(s: &str) -> Result<(String, &str)> {
    if let Some(rest) = s.strip_prefix('\'') {
        let end = rest.find('\'').ok_or_else(|| anyhow::anyhow!("unterminated string"))?;
        return Ok((rest[..end].to_owned(), &rest[end + 1..]));
    }
    let Some(rest) = s.strip_prefix('"') else {
        bail!("expected a string");
    };
    let mut out = String::new();
    let mut chars = rest.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &rest[i + 1..])),
            '\\' => {
                let (_, e) = chars.next().ok_or_else(|| anyhow::anyhow!("bad escape"))?;
                match e {
                    '"' => out.push('"'),
                    '\\' => out.push('\\'),
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'u' | 'U' => {
                        let n = if e == 'u' { 4 } else { 8 };
                        let hex: String = (0..n).filter_map(|_| chars.next().map(|(_, c)| c)).collect();
                        let v = u32::from_str_radix(&hex, 16)?;
                        out.push(char::from_u32(v).ok_or_else(|| anyhow::anyhow!("bad code point"))?);
                    }
                    _ => bail!("bad escape \\{e}"),
                }
            }
            c if c.is_control() && c != '\t' => bail!("control character in a string"),
            c => out.push(c),
        }
    }
    bail!("unterminated string")
}

fn strip_comment(s: &str) -> Result<&str> {
    let s = s.trim();
    if s.is_empty() || s.starts_with('#') {
        return Ok("");
    }
    bail!("unexpected {s:?}")
}

fn parse_array(text: &str) -> Result<(Vec<String>, &str)> {
    let mut rest = text.strip_prefix('[').ok_or_else(|| anyhow::anyhow!("expected an array"))?;
    let mut out = Vec::new();
    loop {
        rest = rest.trim_start_matches([' ', '\t', '\n', '\r']);
        if let Some(r) = rest.strip_prefix('#') {
            rest = r.split_once('\n').map_or("", |(_, r)| r);
            continue;
        }
        if let Some(r) = rest.strip_prefix(']') {
            return Ok((out, r));
        }
        let (s, r) = toml_string(rest)?;
        out.push(s);
        rest = r.trim_start_matches([' ', '\t', '\n', '\r']);
        if let Some(r) = rest.strip_prefix(',') {
            rest = r;
        } else if !rest.starts_with(']') {
            bail!("expected , or ]");
        }
    }
}

fn rights_mask(names: &[String]) -> Result<u32> {
    names.iter().try_fold(0, |m, n| Ok(m | bit_of(n).ok_or_else(|| anyhow::anyhow!("unknown right {n:?}"))?))
}

/// A `[[path_beneath]]` table being read: its path, and its rights with their lines.
type Pending = Option<(Option<String>, Option<(u32, (usize, usize))>)>;

/// Parses a rules file (the subset of TOML the format uses) and checks it.
pub fn parse(text: &str) -> Result<File> {
    let lines = diff::lines(text).lines;
    let mut file = File::default();
    let mut current: Pending = None;
    let finish = |cur: Pending, file: &mut File| -> Result<()> {
        if let Some((path, access)) = cur {
            let (Some(path), Some((access, lines))) = (path, access) else {
                bail!("a [[path_beneath]] table needs path and allowed_access");
            };
            if !path.starts_with('/') {
                bail!("path {path:?} is not absolute");
            }
            file.rules.push(Rule { path, access, access_lines: lines });
        }
        Ok(())
    };
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        if line.is_empty() || line.starts_with('#') {
            i += 1;
            continue;
        }
        if line.starts_with("[[") {
            let rest = line.strip_prefix("[[path_beneath]]").ok_or_else(|| anyhow::anyhow!("line {}: unknown table", i + 1))?;
            strip_comment(rest)?;
            finish(current.take(), &mut file)?;
            current = Some((None, None));
            i += 1;
            continue;
        }
        let (key, value) = line.split_once('=').ok_or_else(|| anyhow::anyhow!("line {}: expected key = value", i + 1))?;
        let (key, value) = (key.trim(), value.trim_start());
        let start = i;
        // Arrays may span lines.
        let mut joined = value.to_owned();
        if value.starts_with('[') {
            while parse_array(&joined).is_err() && i + 1 < lines.len() {
                i += 1;
                joined.push('\n');
                joined.push_str(lines[i]);
            }
        }
        let err = |e: anyhow::Error| anyhow::anyhow!("line {}: {e:#}", start + 1);
        match (&mut current, key) {
            (None, "abi") => {
                let digits = joined.split('#').next().unwrap_or("").trim();
                file.abi = Some(digits.parse().map_err(|_| anyhow::anyhow!("line {}: abi must be a number", start + 1))?);
            }
            (None, "handled_access_fs") => {
                let (names, rest) = parse_array(&joined).map_err(err)?;
                strip_comment(rest).map_err(err)?;
                file.handled = Some(rights_mask(&names).map_err(err)?);
            }
            (Some((path, _)), "path") => {
                let (s, rest) = toml_string(&joined).map_err(err)?;
                strip_comment(rest).map_err(err)?;
                if path.replace(s).is_some() {
                    bail!("line {}: duplicate path", start + 1);
                }
            }
            (Some((_, access)), "allowed_access") => {
                let (names, rest) = parse_array(&joined).map_err(err)?;
                strip_comment(rest).map_err(err)?;
                if access.replace((rights_mask(&names).map_err(err)?, (start, i))).is_some() {
                    bail!("line {}: duplicate allowed_access", start + 1);
                }
            }
            _ => bail!("line {}: unknown key {key}", start + 1),
        }
        i += 1;
    }
    finish(current, &mut file)?;
    if let Some(h) = file.handled {
        if let Some(r) = file.rules.iter().find(|r| r.access & !h != 0) {
            bail!("the rule for {} allows rights the ruleset does not handle", r.path);
        }
    }
    Ok(file)
}

fn patch(grants: &[PathGrant], policy: &Policy) -> Result<Rendered> {
    let file = parse(&policy.text)?;
    let n = diff::lines(&policy.text).lines.len();
    let mut notes = Vec::new();
    let mut covered = Vec::new();
    let mut edits = Vec::new();
    let mut appended: Vec<String> = Vec::new();
    let mut expected: Vec<(String, u32)> = file.rules.iter().map(|r| (r.path.clone(), r.access)).collect();
    for g in grants {
        let mut rights = g.rights;
        if let Some(h) = file.handled {
            rights &= h;
        }
        if rights == 0 {
            notes.push(format!("{}: the ruleset does not handle the rights it lacked", crate::text::term_str(&g.path)));
            covered.push(g.path.clone());
            continue;
        }
        if let Some(r) = file.rules.iter().find(|r| beneath(&g.path, &r.path) && r.access & rights == rights) {
            notes.push(format!("{} is already covered by the rule for {} (is the sandbox using this file?)", crate::text::term_str(&g.path), crate::text::term_str(&r.path)));
            covered.push(g.path.clone());
            continue;
        }
        if let Some((k, r)) = file.rules.iter().enumerate().find(|(_, r)| r.path == g.path) {
            let merged = r.access | rights;
            let (a, b) = r.access_lines;
            edits.push(Edit { at: a, remove: b - a + 1, insert: vec![format!("allowed_access = [{}]", names_of(merged).iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", "))] });
            expected[k].1 = merged;
            continue;
        }
        appended.push(String::new());
        appended.extend(table(&PathGrant { rights, ..g.clone() }));
        expected.push((g.path.clone(), rights));
    }
    if !appended.is_empty() {
        edits.push(Edit::insert(n, appended));
    }
    if edits.is_empty() {
        return Ok(Rendered { text: format!("no change to {}: {}", policy.name, notes.join("; ")), notes, covered });
    }
    let patched = diff::apply(&policy.text, &edits)?;
    let got = parse(&patched).map_err(|e| anyhow::anyhow!("the patched rules would not parse: {e:#}"))?;
    let got: Vec<(String, u32)> = got.rules.iter().map(|r| (r.path.clone(), r.access)).collect();
    if got != expected {
        bail!("the patched rules would not mean what was intended");
    }
    Ok(Rendered { text: diff::unified(&policy.text, &edits, &policy.name)?, notes, covered })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suggest::PolicyKind;

    fn g(path: &str, rights: &[&str], dir: bool) -> PathGrant {
        PathGrant { path: path.into(), write: true, rights: rights.iter().filter_map(|r| bit_of(r)).fold(0, |a, b| a | b), dir, anticipated: false, why: String::new() }
    }

    #[test]
    fn fragment_round_trips() {
        let hostile = "/tmp/a\"b\n# c";
        let r = render(&[g("/dev/pts", &["read_file", "write_file", "ioctl_dev"], true), g(hostile, &["read_file"], false)], None).unwrap();
        let f = parse(&r.text).unwrap();
        assert_eq!(f.rules.len(), 2);
        assert_eq!(f.rules[0].path, "/dev/pts");
        assert_eq!(names_of(f.rules[0].access), vec!["write_file", "read_file", "ioctl_dev"]);
        assert_eq!(f.rules[1].path, hostile);
    }

    #[test]
    fn patch_appends_or_widens() {
        let text = "# rules\nabi = 5\n\n[[path_beneath]]\npath = \"/usr\"\nallowed_access = [\"read_file\", \"read_dir\", \"execute\"]\n\n[[path_beneath]]\npath = \"/dev/ptmx\"\nallowed_access = [\n  \"read_file\",  # reading\n]\n";
        let p = Policy { name: "r.toml".into(), text: text.into(), kind: PolicyKind::Landlock };
        let r = render(&[g("/dev/ptmx", &["read_file", "write_file"], false), g("/dev/pts", &["read_file", "write_file"], true), g("/usr/bin/x", &["read_file"], false)], Some(&p)).unwrap();
        assert!(r.text.contains("-allowed_access = [\n-  \"read_file\",  # reading\n-]\n+allowed_access = [\"write_file\", \"read_file\"]"), "{}", r.text);
        assert!(r.text.contains("+[[path_beneath]]\n+path = \"/dev/pts\"\n"), "{}", r.text);
        assert!(r.notes.iter().any(|n| n.contains("/usr/bin/x is already covered")));
    }

    #[test]
    fn bad_files_are_refused() {
        assert!(parse("[[path_beneath]]\npath = \"/a\"\n").is_err());
        assert!(parse("[[path_beneath]]\npath = \"rel\"\nallowed_access = []\n").is_err());
        assert!(parse("[[path_beneath]]\npath = \"/a\"\nallowed_access = [\"fly\"]\n").is_err());
        assert!(parse("[[other]]\n").is_err());
        assert!(parse("abi = 3\nhandled_access_fs = [\"read_file\"]\n[[path_beneath]]\npath = \"/a\"\nallowed_access = [\"write_file\"]\n").is_err());
    }
}
