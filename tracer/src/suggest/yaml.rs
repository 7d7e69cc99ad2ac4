//! Appending items to a list in a YAML file by editing its lines, so the user's comments, key
//! order, indentation and quoting stay as they were. It understands the block style that policy
//! files use (nested mappings, block and single-line flow sequences, comments) and refuses
//! anything else (multi-line flow collections, anchors, tags, tabs) rather than guess. The result
//! is always re-parsed by the caller with a real YAML parser and compared with what was meant.

use anyhow::{Result, bail};

use super::diff::{self, Edit};

/// One line of the file.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    /// Leading spaces.
    indent: usize,
    /// The rest of the line.
    content: &'a str,
    /// Blank or comment only.
    skip: bool,
}

/// The file as lines.
pub struct Doc<'a> {
    lines: Vec<Line<'a>>,
}

/// Where a key is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    /// Its line.
    line: usize,
    /// Its indentation.
    indent: usize,
    /// One past the last line of its value (comments and blank lines at the end excluded).
    end: usize,
}

impl<'a> Doc<'a> {
    /// Splits a YAML text into lines; refuses tab indentation and multi-document files.
    pub fn new(text: &'a str) -> Result<Self> {
        let mut lines = Vec::new();
        for (n, raw) in diff::lines(text).lines.into_iter().enumerate() {
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            let content = raw.trim_start_matches(' ');
            let indent = raw.len() - content.len();
            let skip = content.trim().is_empty() || content.starts_with('#');
            if !skip && content.starts_with('\t') {
                bail!("line {}: tab indentation is not YAML", n + 1);
            }
            if indent == 0 && (content.starts_with("---") && n > 0 || content.starts_with("...")) {
                bail!("line {}: several YAML documents in one file", n + 1);
            }
            lines.push(Line { indent, content, skip });
        }
        Ok(Self { lines })
    }

    /// The key name on a line, when the line is `key:` or `key: value`.
    fn key_name(content: &str) -> Option<&str> {
        let end = content.find(':')?;
        let name = &content[..end];
        let after = &content[end + 1..];
        let ok_name = !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        (ok_name && (after.is_empty() || after.starts_with([' ', '\t']))).then_some(name)
    }

    /// The end of the value of the key at `line` with indentation `indent`.
    fn block_end(&self, line: usize, indent: usize) -> usize {
        let mut end = line + 1;
        for (j, l) in self.lines.iter().enumerate().skip(line + 1) {
            if l.skip {
                continue;
            }
            let sequence_item = l.content == "-" || l.content.starts_with("- ");
            if l.indent < indent || (l.indent == indent && !sequence_item) {
                break;
            }
            end = j + 1;
        }
        end
    }

    /// The indentation of a mapping's children (the first content line of its block).
    fn child_indent(&self, parent: Key) -> Option<usize> {
        self.lines[parent.line + 1..parent.end].iter().find(|l| !l.skip).map(|l| l.indent)
    }

    /// Finds a key by its path from the top (`["filesystem_policy", "read_write"]`).
    fn find(&self, path: &[&str]) -> Result<Option<Key>> {
        let mut range = (0, self.lines.len());
        let mut indent = 0;
        let mut found = None;
        for (depth, name) in path.iter().enumerate() {
            if depth > 0 {
                let parent: Key = found.ok_or_else(|| anyhow::anyhow!("no parent"))?;
                if !value_of(self.lines[parent.line].content).0.is_empty() {
                    bail!("line {}: {} is not written in block style", parent.line + 1, path[depth - 1]);
                }
                match self.child_indent(parent) {
                    Some(i) if i > parent.indent => indent = i,
                    _ => return Ok(None),
                }
                range = (parent.line + 1, parent.end);
            }
            let mut hit = None;
            for j in range.0..range.1 {
                let l = self.lines[j];
                if l.skip || l.indent != indent {
                    continue;
                }
                if Self::key_name(l.content) == Some(name) {
                    if hit.is_some() {
                        bail!("line {}: duplicate key {name}", j + 1);
                    }
                    hit = Some(Key { line: j, indent, end: self.block_end(j, indent) });
                }
            }
            let Some(hit) = hit else {
                return Ok(None);
            };
            found = Some(hit);
        }
        Ok(found)
    }
}

/// Splits the text after a key's colon into value and comment (a `#` after whitespace, outside
/// quotes).
fn value_of(content: &str) -> (&str, &str) {
    let Some(colon) = content.find(':') else {
        return ("", "");
    };
    let rest = &content[colon + 1..];
    let mut quote = None;
    let mut prev_space = true;
    for (i, c) in rest.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if prev_space => return (rest[..i].trim(), rest[i..].trim_end()),
            _ => {}
        }
        prev_space = c == ' ' || c == '\t';
    }
    (rest.trim(), "")
}

/// How new list items are written: the quoting of the existing ones when they are quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quoting {
    /// Plain when safe, else double quotes.
    Plain,
    /// Single quotes when possible.
    Single,
    /// Double quotes.
    Double,
}

fn render(item: &str, quoting: Quoting) -> String {
    match quoting {
        Quoting::Plain => super::quote::yaml(item),
        Quoting::Single => super::quote::yaml_single(item),
        Quoting::Double => super::quote::yaml_double(item),
    }
}

/// Edits that append `items` (unquoted values) to the list at `parent` + `key`, creating the key
/// (after the sibling `after`, when present) or the one-level parent mapping (after the top-level
/// key `top_after`, else at the end) when missing.
pub fn list_append(text: &str, parent: &[&str], key: &str, items: &[String], after: Option<&str>, top_after: &str) -> Result<Vec<Edit>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let doc = Doc::new(text)?;
    let mut path = parent.to_vec();
    path.push(key);
    if let Some(k) = doc.find(&path)? {
        return append_to_existing(&doc, k, key, items);
    }
    if let Some(p) = doc.find(parent)? {
        let (value, _) = value_of(doc.lines[p.line].content);
        if !value.is_empty() {
            bail!("line {}: {} is not written in block style", p.line + 1, parent.join("."));
        }
        // Indentation of the parent's children, and of list items below a key, copied from a
        // sibling list when there is one.
        let ci = doc.child_indent(p).filter(|i| *i > p.indent).unwrap_or(p.indent + 2);
        let sibling = match after {
            Some(a) => {
                let mut sp = parent.to_vec();
                sp.push(a);
                doc.find(&sp)?
            }
            None => None,
        };
        let item_offset = sibling
            .and_then(|s| doc.lines[s.line + 1..s.end].iter().find(|l| !l.skip).map(|l| l.indent.saturating_sub(s.indent)))
            .unwrap_or(2);
        let at = sibling.map_or(p.end, |s| s.end);
        let mut lines = vec![format!("{}{key}:", " ".repeat(ci))];
        lines.extend(items.iter().map(|i| format!("{}- {}", " ".repeat(ci + item_offset), render(i, Quoting::Plain))));
        return Ok(vec![Edit::insert(at, lines)]);
    }
    // No parent mapping: a new top-level block after `top_after` (or at the end).
    if parent.len() != 1 {
        bail!("{} is missing", parent.join("."));
    }
    let anchor = doc.find(&[top_after])?;
    let at = anchor.map_or(doc.lines.len(), |a| a.end);
    let mut lines = vec![String::new(), format!("{}:", parent[0]), format!("  {key}:")];
    lines.extend(items.iter().map(|i| format!("    - {}", render(i, Quoting::Plain))));
    Ok(vec![Edit::insert(at, lines)])
}

fn append_to_existing(doc: &Doc<'_>, k: Key, key: &str, items: &[String]) -> Result<Vec<Edit>> {
    let line = doc.lines[k.line];
    let (value, comment) = value_of(line.content);
    let full = format!("{}{}", " ".repeat(line.indent), line.content);
    if value.is_empty() {
        let body: Vec<(usize, Line<'_>)> = (k.line + 1..k.end).map(|j| (j, doc.lines[j])).filter(|(_, l)| !l.skip).collect();
        if body.is_empty() {
            // `key:` with nothing below (null): the items go below it.
            let lines = items.iter().map(|i| format!("{}  - {}", " ".repeat(k.indent), render(i, Quoting::Plain))).collect();
            return Ok(vec![Edit::insert(k.line + 1, lines)]);
        }
        let item_indent = body[0].1.indent;
        let entries: Vec<&(usize, Line<'_>)> = body.iter().filter(|(_, l)| l.indent == item_indent).collect();
        if entries.iter().any(|(_, l)| !(l.content == "-" || l.content.starts_with("- "))) {
            bail!("line {}: {key} is not a list", k.line + 1);
        }
        let (last_line, last) = *entries[entries.len() - 1];
        let after_dash = last.content[1..].trim_start_matches(' ');
        let gap = last.content.len() - 1 - after_dash.len();
        let quoting = match after_dash.chars().next() {
            Some('"') => Quoting::Double,
            Some('\'') => Quoting::Single,
            _ => Quoting::Plain,
        };
        if after_dash.starts_with(['&', '*', '!', '|', '>', '[', '{']) {
            bail!("line {}: list items with anchors, tags or nested collections are not supported", last_line + 1);
        }
        let prefix = format!("{}-{}", " ".repeat(item_indent), " ".repeat(gap.max(1)));
        let lines = items.iter().map(|i| format!("{prefix}{}", render(i, quoting))).collect();
        return Ok(vec![Edit::insert(k.end, lines)]);
    }
    let rendered: Vec<String> = items.iter().map(|i| render(i, Quoting::Plain)).collect();
    if value == "null" || value == "~" {
        let head = &full[..=full.find(':').unwrap_or(0)];
        let tail = if comment.is_empty() { String::new() } else { format!(" {comment}") };
        return Ok(vec![Edit::replace(k.line, vec![format!("{head} [{}]{tail}", rendered.join(", "))])]);
    }
    if value.starts_with('[') && value.ends_with(']') {
        // A single-line flow sequence: insert before its closing bracket.
        let colon = full.find(':').unwrap_or(0);
        let vstart = colon + 1 + full[colon + 1..].find(value).unwrap_or(0);
        let close = vstart + value.len() - 1;
        let inner = value[1..value.len() - 1].trim();
        let joined = rendered.join(", ");
        let before = full[..close].trim_end();
        let insertion = if inner.is_empty() { joined } else { format!(", {joined}") };
        let new_line = format!("{before}{insertion}{}", &full[close..]);
        return Ok(vec![Edit::replace(k.line, vec![new_line])]);
    }
    bail!("line {}: {key} is not written as a block or single-line list", k.line + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patched(text: &str, items: &[&str]) -> String {
        let items: Vec<String> = items.iter().map(|s| (*s).to_owned()).collect();
        let edits = list_append(text, &["fs"], "rw", &items, Some("ro"), "version").unwrap();
        diff::apply(text, &edits).unwrap()
    }

    #[test]
    fn appends_to_a_block_list_after_its_last_item() {
        let text = "version: 1\nfs:\n  ro:\n    - /usr\n  rw:\n    - /tmp   # scratch\n    # trailing comment\n\nother: 1\n";
        assert_eq!(
            patched(text, &["/dev/pts"]),
            "version: 1\nfs:\n  ro:\n    - /usr\n  rw:\n    - /tmp   # scratch\n    - /dev/pts\n    # trailing comment\n\nother: 1\n"
        );
    }

    #[test]
    fn compact_lists_and_quoting_are_copied() {
        let text = "fs:\n  rw:\n  - \"/tmp\"\n  x: 1\n";
        assert_eq!(patched(text, &["/dev/pts"]), "fs:\n  rw:\n  - \"/tmp\"\n  - \"/dev/pts\"\n  x: 1\n");
    }

    #[test]
    fn flow_lists_and_missing_keys() {
        assert_eq!(patched("fs:\n  rw: [/tmp] # c\n", &["/a"]), "fs:\n  rw: [/tmp, /a] # c\n");
        assert_eq!(patched("fs:\n  rw: []\n", &["/a"]), "fs:\n  rw: [/a]\n");
        assert_eq!(patched("fs:\n  ro:\n  - /usr\n", &["/a"]), "fs:\n  ro:\n  - /usr\n  rw:\n  - /a\n");
        assert_eq!(patched("fs:\n  ro:\n    - /usr\n  z: 1\n", &["/a"]), "fs:\n  ro:\n    - /usr\n  rw:\n    - /a\n  z: 1\n");
        assert_eq!(patched("version: 1\nother: 2\n", &["/a"]), "version: 1\n\nfs:\n  rw:\n    - /a\nother: 2\n");
        assert_eq!(patched("fs:\n  rw:\n", &["/a"]), "fs:\n  rw:\n    - /a\n");
    }

    #[test]
    fn hostile_items_are_quoted_on_one_line() {
        let out = patched("fs:\n  rw:\n    - /tmp\n", &["/x: y #z\n- /etc"]);
        assert_eq!(out, "fs:\n  rw:\n    - /tmp\n    - \"/x: y #z\\n- /etc\"\n");
    }

    #[test]
    fn unsupported_styles_are_refused() {
        assert!(list_append("fs: {rw: [/a]}\n", &["fs"], "rw", &["/b".into()], None, "version").is_err());
        assert!(list_append("fs:\n  rw:\n    a: 1\n", &["fs"], "rw", &["/b".into()], None, "version").is_err());
        assert!(list_append("fs:\n\trw: []\n", &["fs"], "rw", &["/b".into()], None, "version").is_err());
    }
}
