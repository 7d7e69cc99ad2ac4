//! What the policy fuzz targets share: how an input splits into a policy file and the grants to
//! add, and an independent applier of the unified diffs the patchers print (so a target checks
//! the diff a user would apply, not the patcher's own idea of the result).

/// Splits an input into the policy text (before the first `\0\0`; it must be UTF-8) and the
/// items after it, separated by `\0` (paths and syscall names cannot hold NUL). Each item's
/// first byte is a flag (`w`: a write grant), the rest its name.
#[must_use]
pub fn split(data: &[u8]) -> Option<(&str, Vec<(bool, String)>)> {
    let at = data.windows(2).position(|w| w == b"\0\0").unwrap_or(data.len());
    let policy = std::str::from_utf8(&data[..at]).ok()?;
    let rest = data.get(at + 2..).unwrap_or_default();
    let items = rest
        .split(|&b| b == 0)
        .filter_map(|item| {
            let (&flag, name) = item.split_first()?;
            Some((flag == b'w', std::str::from_utf8(name).ok()?.to_owned()))
        })
        .take(64)
        .collect();
    Some((policy, items))
}

/// Applies a single-file unified diff (`--- `/`+++ ` headers, `@@ -a,b +c,d @@` hunks, ` `/`-`/`+`
/// lines, `\ No newline at end of file`) to `original`, checking every context and removed line.
///
/// # Panics
/// When the diff does not apply: that is what the fuzz targets look for.
#[must_use]
pub fn apply_unified(original: &str, diff: &str) -> String {
    let old: Vec<&str> = original.split_inclusive('\n').collect();
    let mut out = String::with_capacity(original.len() + diff.len());
    let mut next = 0usize;
    let mut lines = diff.split_inclusive('\n').peekable();
    assert!(lines.next().is_some_and(|l| l.starts_with("--- ")), "no --- header:\n{diff}");
    assert!(lines.next().is_some_and(|l| l.starts_with("+++ ")), "no +++ header:\n{diff}");
    let mut last_pushed_new = false;
    while let Some(header) = lines.next() {
        let header = header.trim_end_matches('\n');
        let range = header.strip_prefix("@@ -").and_then(|h| h.split(' ').next()).unwrap_or_else(|| panic!("bad hunk header {header:?}"));
        let start: usize = range.split(',').next().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("bad range {range:?}"));
        let count: usize = range.split(',').nth(1).map_or(Some(1), |c| c.parse().ok()).expect("count");
        // Ranges are 1-based; an empty old range names the line before.
        let first = if count == 0 { start } else { start - 1 };
        assert!(first >= next, "hunks overlap or go backwards:\n{diff}");
        for l in &old[next..first] {
            out.push_str(l);
        }
        next = first;
        while let Some(l) = lines.peek() {
            if l.starts_with("@@") {
                break;
            }
            let l = lines.next().expect("peeked");
            if l.starts_with('\\') {
                // The previous line had no newline: take back the one it was given.
                if last_pushed_new && out.ends_with('\n') {
                    out.pop();
                }
                continue;
            }
            let (tag, text) = l.split_at(1);
            match tag {
                " " | "-" => {
                    let have = old.get(next).unwrap_or_else(|| panic!("diff goes past the end at old line {}", next + 1));
                    assert_eq!(have.trim_end_matches('\n'), text.trim_end_matches('\n'), "line {} differs:\n{diff}", next + 1);
                    next += 1;
                    if tag == " " {
                        out.push_str(have);
                        last_pushed_new = false;
                    }
                }
                "+" => {
                    out.push_str(text);
                    last_pushed_new = true;
                }
                _ => panic!("bad diff line {l:?}"),
            }
        }
    }
    for l in &old[next..] {
        out.push_str(l);
    }
    out
}
