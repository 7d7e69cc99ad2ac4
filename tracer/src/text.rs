//! Bytes that come from the traced programs (paths, comm, arguments) and how they are written out
//! safely: lossless in JSON, escaped on terminals.
//!
//! JSON: a valid UTF-8 name is a plain string; any other is `{"bytes_hex": "...", "lossy": "..."}`
//! (documented in docs/schema.md), so nothing is lost and nothing is guessed.
//! Terminal: control characters (C0, DEL, C1, so every escape sequence), bidirectional and
//! zero-width format characters, backslashes and invalid bytes are written as `\xNN`, `\u{...}` or
//! `\\`; what is printed is always plain, visible text.

use std::fmt::{self, Write as _};

use serde::{Deserialize, Serialize};

/// A name from the traced side.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Text {
    /// Valid UTF-8.
    Utf8(String),
    /// Anything else, kept whole.
    Bytes {
        /// The exact bytes, hex-encoded.
        bytes_hex: String,
        /// A readable rendering with U+FFFD for invalid sequences (not reversible).
        lossy: String,
    },
}

impl Text {
    /// From raw bytes.
    #[must_use]
    pub fn from_bytes(bytes: &[u8]) -> Self {
        match std::str::from_utf8(bytes) {
            Ok(s) => Self::Utf8(s.to_owned()),
            Err(_) => Self::Bytes {
                bytes_hex: bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut acc, b| {
                    let _ = write!(acc, "{b:02x}");
                    acc
                }),
                lossy: String::from_utf8_lossy(bytes).into_owned(),
            },
        }
    }

    /// The exact bytes.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Self::Utf8(s) => s.as_bytes().to_vec(),
            Self::Bytes { bytes_hex, .. } => (0..bytes_hex.len() / 2)
                .filter_map(|i| u8::from_str_radix(bytes_hex.get(2 * i..2 * i + 2)?, 16).ok())
                .collect(),
        }
    }

    /// The text when it is valid UTF-8.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Utf8(s) => Some(s),
            Self::Bytes { .. } => None,
        }
    }

    /// A terminal-safe rendering.
    #[must_use]
    pub fn term(&self) -> String {
        term(&self.to_bytes())
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Self::Utf8(s.to_owned())
    }
}

impl fmt::Display for Text {
    /// Displays the terminal-safe rendering: nothing the sandbox chose reaches a terminal raw.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.term())
    }
}

/// Whether a character must not reach a terminal as is: controls (C0, DEL, C1), line and
/// paragraph separators, and every format character (Unicode category Cf: bidi embeddings,
/// overrides and isolates, zero-width characters, invisible tags...).
#[must_use]
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00ad}' | '\u{0600}'..='\u{0605}' | '\u{061c}' | '\u{06dd}' | '\u{070f}'
            | '\u{0890}'..='\u{0891}' | '\u{08e2}' | '\u{180e}' | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}'
            | '\u{110bd}' | '\u{110cd}' | '\u{13430}'..='\u{1343f}' | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}' | '\u{e0001}' | '\u{e0020}'..='\u{e007f}')
}

/// Renders bytes for a terminal: printable text as is; `\\`, `\xNN` for invalid bytes and ASCII
/// controls, `\u{...}` for other control and format characters.
#[must_use]
pub fn term(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else if needs_escape(c) {
                if c.is_ascii() {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                } else {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// Terminal-safe rendering of a `&str` that may hold sandbox-chosen text.
#[must_use]
pub fn term_str(s: &str) -> String {
    term(s.as_bytes())
}

/// A name between double quotes for a terminal, as in `openat("/etc/x")`: [`term`], with `"` also
/// escaped (`\"`) so that a name cannot close the quotes and pass for more arguments.
#[must_use]
pub fn quoted(bytes: &[u8]) -> String {
    format!("\"{}\"", term(bytes).replace('"', "\\\""))
}

/// A sentence that denytrace wrote (a verdict, evidence, a suggested change), whose embedded names
/// were already rendered with [`term`]: control and format characters are escaped as by [`term`]
/// in case one slipped through, but backslashes are left as they are, so names are not escaped
/// twice.
#[must_use]
pub fn prose(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if needs_escape(c) {
            out.push_str(&term(c.encode_utf8(&mut [0u8; 4]).as_bytes()));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_output_has_no_raw_escapes() {
        let hostile = b"a\x1b[2J\x1b]0;pwned\x07\r\nb\xff\xfe\xc2\x9b31m\\\xe2\x80\xaeevil";
        let out = term(hostile);
        assert!(out.chars().all(|c| !c.is_control()), "{out:?}");
        assert!(!out.contains('\u{202e}'));
        assert_eq!(out, "a\\x1b[2J\\x1b]0;pwned\\x07\\x0d\\x0ab\\xff\\xfe\\u{9b}31m\\\\\\u{202e}evil");
    }

    #[test]
    fn format_characters_are_escaped() {
        for c in ['\u{202e}', '\u{2066}', '\u{200b}', '\u{00ad}', '\u{e0041}', '\u{feff}', '\u{2029}'] {
            let out = term(c.encode_utf8(&mut [0u8; 4]).as_bytes());
            assert_eq!(out, format!("\\u{{{:x}}}", c as u32));
        }
    }

    #[test]
    fn quoted_names_cannot_close_their_quotes() {
        assert_eq!(quoted(b"a\", x=\"b"), "\"a\\\", x=\\\"b\"");
        assert_eq!(quoted(b"a\\\""), "\"a\\\\\\\"\"");
    }

    #[test]
    fn prose_escapes_controls_but_not_backslashes() {
        let sentence = format!("permission bits of {} refuse read", term(b"/tmp/a\nb"));
        assert_eq!(prose(&sentence), "permission bits of /tmp/a\\x0ab refuse read");
        assert_eq!(prose("x\x1b[2Jy\u{202e}"), "x\\x1b[2Jy\\u{202e}");
    }

    #[test]
    fn plain_names_are_untouched() {
        assert_eq!(term(b"/dev/pts/0"), "/dev/pts/0");
        assert_eq!(term("/tmp/caf\u{e9}".as_bytes()), "/tmp/caf\u{e9}");
    }

    #[test]
    fn json_round_trips_every_byte() {
        let raw: Vec<u8> = (0u8..=255).collect();
        let text = Text::from_bytes(&raw);
        let json = serde_json::to_string(&text).unwrap();
        let back: Text = serde_json::from_str(&json).unwrap();
        assert_eq!(back.to_bytes(), raw);
        let utf8 = Text::from_bytes("line\nbreak: \"quoted\" #x".as_bytes());
        let json = serde_json::to_string(&utf8).unwrap();
        assert_eq!(serde_json::from_str::<Text>(&json).unwrap(), utf8);
    }
}
