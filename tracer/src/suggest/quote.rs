//! Writing names that came from the sandbox into YAML, JSON, TOML, systemd units and shell
//! command lines, so that no name can break the syntax or add anything: plain when the name is
//! made of safe characters only, else quoted with every special or invisible character escaped.
//! A name a format cannot carry exactly is refused with the reason.

use std::fmt::Write as _;

/// Characters a path may keep unquoted everywhere (YAML plain scalars in block and flow context,
/// TOML, systemd, shell).
fn plain_safe(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with('/')
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'-' | b'+' | b'@' | b'='))
}

/// The path as UTF-8, or why it cannot be written in a text format.
pub fn utf8(bytes: &[u8]) -> Result<&str, String> {
    let s = std::str::from_utf8(bytes).map_err(|_| "the path is not valid UTF-8, which YAML, JSON and TOML cannot carry exactly".to_owned())?;
    if s.contains('\0') {
        return Err("the path contains a NUL byte".to_owned());
    }
    Ok(s)
}

/// Why a path cannot be a filesystem grant (not absolute, `.` or `..` components, too long).
#[must_use]
pub fn grant_problem(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return Some("the path is not absolute".to_owned());
    }
    if path.split('/').any(|c| c == ".." || c == ".") {
        return Some("the path has `.` or `..` components".to_owned());
    }
    if path.len() > 4096 {
        return Some(format!("the path is {} bytes long, over the 4096 a policy path may have", path.len()));
    }
    None
}

/// Escapes for the characters that must not appear raw in a double-quoted scalar or string, shared
/// by YAML and TOML (`\uXXXX`), and JSON.
fn escape_into(out: &mut String, c: char, long_u: bool) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        c if c.is_ascii_graphic() || c == ' ' => out.push(c),
        c if (c as u32) <= 0xffff => {
            let _ = write!(out, "\\u{:04X}", c as u32);
        }
        c if long_u => {
            let _ = write!(out, "\\U{:08X}", c as u32);
        }
        c => {
            // JSON: a UTF-16 surrogate pair.
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                let _ = write!(out, "\\u{unit:04X}");
            }
        }
    }
}

/// A YAML scalar: plain when safe, else double-quoted with escapes. Everything outside printable
/// ASCII is escaped, so no line break, comment, bidirectional control or look-alike gets through.
#[must_use]
pub fn yaml(s: &str) -> String {
    if plain_safe(s) { s.to_owned() } else { yaml_double(s) }
}

/// A double-quoted YAML scalar.
#[must_use]
pub fn yaml_double(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        escape_into(&mut out, c, true);
    }
    out.push('"');
    out
}

/// A single-quoted YAML scalar when that needs no escape (printable ASCII only), else double-quoted.
#[must_use]
pub fn yaml_single(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
        format!("'{}'", s.replace('\'', "''"))
    } else {
        yaml_double(s)
    }
}

/// A TOML basic string: the same escapes as a double-quoted YAML scalar (`\"`, `\\`, `\uXXXX`).
#[must_use]
pub fn toml(s: &str) -> String {
    yaml_double(s)
}

/// A JSON string.
#[must_use]
pub fn json(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        escape_into(&mut out, c, false);
    }
    out.push('"');
    out
}

/// One shell word: as is when safe, in single quotes when printable, else in bash `$'...'`.
#[must_use]
pub fn shell(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'-' | b'+' | b'@' | b'=' | b':' | b',')) {
        return s.to_owned();
    }
    if s.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
        return format!("'{}'", s.replace('\'', r"'\''"));
    }
    let mut out = String::from("$'");
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii_graphic() || c == ' ' => out.push(c),
            c => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "\\x{b:02x}");
                }
            }
        }
    }
    out.push('\'');
    out
}

/// One bash word for any bytes: [`shell`] when they are UTF-8, else bash `$'...'` with every byte
/// outside printable ASCII written as `\xNN`, which bash reads back to the exact bytes.
#[must_use]
pub fn shell_bytes(bytes: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return shell(s);
    }
    let mut out = String::from("$'");
    for &b in bytes {
        match b {
            b'\'' => out.push_str("\\'"),
            b'\\' => out.push_str("\\\\"),
            b' '..=b'~' => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('\'');
    out
}

/// A path in a systemd directive, or why it cannot be one: unit files split values on whitespace
/// and give quotes, backslashes and `%` meanings; `%` is doubled, the rest refused.
pub fn systemd(path: &str) -> Result<String, String> {
    if let Some(c) = path.chars().find(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '\\' | ';')) {
        return Err(format!("the path contains {c:?}, which a systemd directive cannot carry safely"));
    }
    if !path.is_ascii() {
        return Err("the path has non-ASCII characters; write it with systemd-escape by hand".to_owned());
    }
    Ok(path.replace('%', "%%"))
}

/// A path as a Docker `-v`/`--device` operand, or why not (Docker splits it on `:`).
pub fn docker_path(path: &str) -> Result<String, String> {
    if path.contains(':') || path.contains(',') {
        return Err("the path contains `:` or `,`, which Docker's -v and --device split on".to_owned());
    }
    Ok(shell(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_stay_plain() {
        assert_eq!(yaml("/dev/pts"), "/dev/pts");
        assert_eq!(toml("/dev/pts"), "\"/dev/pts\"");
        assert_eq!(shell("/dev/pts"), "/dev/pts");
    }

    #[test]
    fn hostile_paths_are_escaped() {
        let p = "/tmp/a: b #c\n- /\"'\u{202e}";
        let y = yaml(p);
        assert_eq!(y, "\"/tmp/a: b #c\\n- /\\\"'\\u202E\"");
        assert!(!y.contains('\n'));
        let j = json(p);
        assert_eq!(serde_json::from_str::<String>(&j).unwrap(), p);
        assert_eq!(json("/x\u{1F600}"), "\"/x\\uD83D\\uDE00\"");
        assert_eq!(serde_json::from_str::<String>(&json("/x\u{1F600}")).unwrap(), "/x\u{1F600}");
        assert_eq!(shell("/a b'c"), r"'/a b'\''c'");
        assert_eq!(shell("/a\nb"), r"$'/a\nb'");
        assert!(systemd("/a b").is_err());
        assert_eq!(systemd("/a%b").unwrap(), "/a%%b");
        assert!(docker_path("/a:b").is_err());
        assert_eq!(shell_bytes(b"/a\xff'b\\"), r"$'/a\xff\'b\\'");
        assert_eq!(shell_bytes(b"/plain"), "/plain");
        assert_eq!(yaml_single("/it's"), "'/it''s'");
    }

    #[test]
    fn grant_problems() {
        assert!(grant_problem("relative").is_some());
        assert!(grant_problem("/a/../b").is_some());
        assert!(grant_problem("/a/b").is_none());
        assert!(utf8(b"/a\xff").is_err());
    }
}
