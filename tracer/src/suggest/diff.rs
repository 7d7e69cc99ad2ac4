//! Unified diffs. The patchers edit whole lines of the user's file, so a diff is built from those
//! edits directly (no diff algorithm, no reformatting): three lines of context, hunks merged when
//! their context touches, `\ No newline at end of file` where a last line has none.

use std::fmt::Write as _;

use anyhow::{Result, bail};

/// Replace `remove` lines of the original starting at line `at` (0-based) with `insert`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// First original line concerned (for a pure insertion: the line it goes before).
    pub at: usize,
    /// Original lines removed.
    pub remove: usize,
    /// New lines, without line terminators.
    pub insert: Vec<String>,
}

impl Edit {
    /// Inserts lines before original line `at`.
    #[must_use]
    pub fn insert(at: usize, lines: Vec<String>) -> Self {
        Self { at, remove: 0, insert: lines }
    }

    /// Replaces original line `at` with lines.
    #[must_use]
    pub fn replace(at: usize, lines: Vec<String>) -> Self {
        Self { at, remove: 1, insert: lines }
    }
}

/// A text split into lines, remembering whether the last one ended with a newline.
#[derive(Debug, Clone)]
pub struct Lines<'a> {
    /// The lines, without terminators.
    pub lines: Vec<&'a str>,
    /// Whether the text ends with `\n` (true for an empty text).
    pub final_newline: bool,
}

/// Splits a text into lines.
#[must_use]
pub fn lines(text: &str) -> Lines<'_> {
    let final_newline = text.is_empty() || text.ends_with('\n');
    let body = text.strip_suffix('\n').unwrap_or(text);
    let lines = if text.is_empty() { Vec::new() } else { body.split('\n').collect() };
    Lines { lines, final_newline }
}

/// One line of the old or new file with its terminator.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    text: String,
    newline: bool,
}

fn sorted(edits: &[Edit], n: usize) -> Result<Vec<Edit>> {
    let mut edits = edits.to_vec();
    edits.sort_by_key(|e| (e.at, e.remove));
    let mut end = 0;
    for e in &edits {
        if e.at < end || e.at + e.remove > n {
            bail!("overlapping or out-of-range edits");
        }
        end = e.at + e.remove;
    }
    Ok(edits)
}

/// The old and new files as lines with terminators, and the edits adjusted so that a change of the
/// last line's terminator is itself an edit.
fn prepare(original: &str, edits: &[Edit]) -> Result<(Vec<Line>, Vec<Edit>)> {
    let l = lines(original);
    let n = l.lines.len();
    let mut edits = sorted(edits, n)?;
    // When the original has no final newline and an edit appends after its last line, the last
    // line gains a newline: show it as replaced.
    if !l.final_newline && n > 0 {
        if let Some(last) = edits.last_mut() {
            if last.at == n && last.remove == 0 {
                last.at = n - 1;
                last.remove = 1;
                last.insert.insert(0, l.lines[n - 1].to_owned());
            }
        }
        // Merge a now-overlapping previous edit (only possible when one ends at n - 1 exactly).
        if edits.len() >= 2 {
            let k = edits.len();
            if edits[k - 2].at + edits[k - 2].remove > edits[k - 1].at {
                bail!("overlapping edits at the end of the file");
            }
        }
    }
    let old = l
        .lines
        .iter()
        .enumerate()
        .map(|(i, s)| Line { text: (*s).to_owned(), newline: i + 1 < n || l.final_newline })
        .collect();
    Ok((old, edits))
}

fn new_lines(old: &[Line], edits: &[Edit], final_newline: bool) -> Vec<Line> {
    let mut out = Vec::new();
    let mut i = 0;
    for e in edits {
        out.extend_from_slice(&old[i..e.at]);
        out.extend(e.insert.iter().map(|t| Line { text: t.clone(), newline: true }));
        i = e.at + e.remove;
    }
    out.extend_from_slice(&old[i..]);
    if let Some(last) = out.last_mut() {
        last.newline = final_newline;
    }
    out
}

/// The text after the edits (keeping the original's final-newline style).
pub fn apply(original: &str, edits: &[Edit]) -> Result<String> {
    let final_newline = lines(original).final_newline;
    let (old, edits) = prepare(original, edits)?;
    let new = new_lines(&old, &edits, final_newline);
    let mut out = String::with_capacity(original.len() + 256);
    for l in &new {
        out.push_str(&l.text);
        if l.newline {
            out.push('\n');
        }
    }
    Ok(out)
}

const CONTEXT: usize = 3;

/// A unified diff of the edits, with `name` in both headers. Empty when there is no edit.
pub fn unified(original: &str, edits: &[Edit], name: &str) -> Result<String> {
    let final_newline = lines(original).final_newline;
    let (old, edits) = prepare(original, edits)?;
    if edits.is_empty() {
        return Ok(String::new());
    }
    let new = new_lines(&old, &edits, final_newline);
    // Group edits into hunks.
    let mut groups: Vec<Vec<&Edit>> = Vec::new();
    for e in &edits {
        match groups.last_mut() {
            Some(g) if g.last().is_some_and(|p| p.at + p.remove + 2 * CONTEXT >= e.at) => g.push(e),
            _ => groups.push(vec![e]),
        }
    }
    let mut out = format!("--- {name}\n+++ {name}\n");
    // Offset from old to new line numbers before the current edit.
    let mut delta: isize = 0;
    let mut edit_index = 0;
    for g in groups {
        let first = g[0];
        let last = g[g.len() - 1];
        let start = first.at.saturating_sub(CONTEXT);
        let end = (last.at + last.remove + CONTEXT).min(old.len());
        // The new-file start is the old start shifted by earlier edits.
        let mut body = Vec::new();
        let mut old_count = 0;
        let mut new_count = 0;
        let mut i = start;
        let mut delta_in = 0isize;
        for e in &g {
            for l in &old[i..e.at] {
                body.push((' ', l.clone()));
                old_count += 1;
                new_count += 1;
            }
            for l in &old[e.at..e.at + e.remove] {
                body.push(('-', l.clone()));
                old_count += 1;
            }
            let new_at = to_usize(to_isize(e.at) + delta + delta_in);
            for l in &new[new_at..new_at + e.insert.len()] {
                body.push(('+', l.clone()));
                new_count += 1;
            }
            delta_in += to_isize(e.insert.len()) - to_isize(e.remove);
            i = e.at + e.remove;
            edit_index += 1;
        }
        for l in &old[i..end] {
            body.push((' ', l.clone()));
            old_count += 1;
            new_count += 1;
        }
        // Context lines end the same way in both files: the final-newline style is kept, and an
        // append after a last line without one was turned into a replacement by `prepare`.
        let new_start = to_usize(to_isize(start) + delta);
        let _ = writeln!(out, "@@ -{} +{} @@", range(start, old_count), range(new_start, new_count));
        for (tag, l) in body {
            let _ = writeln!(out, "{tag}{}", l.text);
            if !l.newline {
                out.push_str("\\ No newline at end of file\n");
            }
        }
        delta += delta_in;
    }
    debug_assert_eq!(edit_index, edits.len());
    Ok(out)
}

fn range(start0: usize, count: usize) -> String {
    match count {
        0 => format!("{start0},0"),
        1 => format!("{}", start0 + 1),
        n => format!("{},{n}", start0 + 1),
    }
}

fn to_isize(n: usize) -> isize {
    isize::try_from(n).unwrap_or(isize::MAX)
}

fn to_usize(n: isize) -> usize {
    usize::try_from(n).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn insertion_in_the_middle() {
        let text = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let edits = [Edit::insert(4, l(&["X"]))];
        assert_eq!(apply(text, &edits).unwrap(), "a\nb\nc\nd\nX\ne\nf\ng\nh\n");
        assert_eq!(
            unified(text, &edits, "f.txt").unwrap(),
            "--- f.txt\n+++ f.txt\n@@ -2,6 +2,7 @@\n b\n c\n d\n+X\n e\n f\n g\n"
        );
    }

    #[test]
    fn two_hunks_and_line_numbers() {
        let text = (1..=20).fold(String::new(), |mut t, i| {
            let _ = writeln!(t, "{i}");
            t
        });
        let edits = [Edit::insert(2, l(&["A", "B"])), Edit::replace(15, l(&["C"]))];
        let d = unified(&text, &edits, "n").unwrap();
        assert!(d.contains("@@ -1,5 +1,7 @@\n 1\n 2\n+A\n+B\n 3\n 4\n 5\n"), "{d}");
        assert!(d.contains("@@ -13,7 +15,7 @@\n 13\n 14\n 15\n-16\n+C\n 17\n 18\n 19\n"), "{d}");
    }

    #[test]
    fn appending_to_a_file_without_final_newline() {
        let text = "a\nb";
        let edits = [Edit::insert(2, l(&["c"]))];
        assert_eq!(apply(text, &edits).unwrap(), "a\nb\nc");
        let d = unified(text, &edits, "x").unwrap();
        assert_eq!(d, "--- x\n+++ x\n@@ -1,2 +1,3 @@\n a\n-b\n\\ No newline at end of file\n+b\n+c\n\\ No newline at end of file\n");
    }

    #[test]
    fn insertion_at_the_end_with_newline() {
        let text = "a\n";
        let edits = [Edit::insert(1, l(&["b"]))];
        assert_eq!(unified(text, &edits, "x").unwrap(), "--- x\n+++ x\n@@ -1 +1,2 @@\n a\n+b\n");
    }

    #[test]
    fn insertion_into_an_empty_file() {
        let edits = [Edit::insert(0, l(&["a"]))];
        assert_eq!(apply("", &edits).unwrap(), "a\n");
        assert_eq!(unified("", &edits, "x").unwrap(), "--- x\n+++ x\n@@ -0,0 +1 @@\n+a\n");
    }

    #[test]
    fn overlapping_edits_are_refused() {
        assert!(apply("a\nb\n", &[Edit::replace(0, vec![]), Edit::replace(0, vec![])]).is_err());
    }
}
