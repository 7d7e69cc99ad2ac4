//! A JSON reader that remembers where every value is in the text, so a profile can be patched by
//! editing its lines in place (keeping its indentation, order and style) instead of being
//! re-serialised. Strict RFC 8259 grammar; values are checked again with `serde_json` after a
//! patch.

use anyhow::{Result, bail};

/// A value and its byte span `[start, end)` in the text.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// An object: members in order.
    Object {
        /// Span.
        span: (usize, usize),
        /// (key, value).
        members: Vec<(String, Node)>,
    },
    /// An array.
    Array {
        /// Span.
        span: (usize, usize),
        /// Items.
        items: Vec<Node>,
    },
    /// A string, decoded.
    Str {
        /// Span (with the quotes).
        span: (usize, usize),
        /// The value.
        value: String,
    },
    /// A number, `true`, `false` or `null`, as written.
    Scalar {
        /// Span.
        span: (usize, usize),
        /// The text.
        raw: String,
    },
}

impl Node {
    /// The span.
    #[must_use]
    pub fn span(&self) -> (usize, usize) {
        match self {
            Self::Object { span, .. } | Self::Array { span, .. } | Self::Str { span, .. } | Self::Scalar { span, .. } => *span,
        }
    }

    /// A member of an object.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Self::Object { members, .. } => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string value.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str { value, .. } => Some(value),
            _ => None,
        }
    }

    /// The items of an array.
    #[must_use]
    pub fn items(&self) -> Option<&[Node]> {
        match self {
            Self::Array { items, .. } => Some(items),
            _ => None,
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

/// Parses a whole JSON text.
pub fn parse(text: &str) -> Result<Node> {
    let mut p = Parser { s: text.as_bytes(), i: 0, depth: 0 };
    p.ws();
    let v = p.value()?;
    p.ws();
    if p.i != p.s.len() {
        bail!("trailing characters at byte {}", p.i);
    }
    Ok(v)
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn expect(&mut self, c: u8) -> Result<()> {
        if self.peek() != Some(c) {
            bail!("expected {:?} at byte {}", c as char, self.i);
        }
        self.i += 1;
        Ok(())
    }

    fn value(&mut self) -> Result<Node> {
        self.depth += 1;
        if self.depth > 128 {
            bail!("nested too deeply");
        }
        let v = match self.peek() {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => {
                let start = self.i;
                let value = self.string()?;
                Ok(Node::Str { span: (start, self.i), value })
            }
            Some(_) => self.scalar(),
            None => bail!("unexpected end of text"),
        };
        self.depth -= 1;
        v
    }

    fn object(&mut self) -> Result<Node> {
        let start = self.i;
        self.expect(b'{')?;
        let mut members = Vec::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(Node::Object { span: (start, self.i), members });
        }
        loop {
            self.ws();
            let key = self.string()?;
            self.ws();
            self.expect(b':')?;
            self.ws();
            let v = self.value()?;
            if members.iter().any(|(k, _)| *k == key) {
                bail!("duplicate key {key:?}");
            }
            members.push((key, v));
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Node::Object { span: (start, self.i), members });
                }
                _ => bail!("expected , or }} at byte {}", self.i),
            }
        }
    }

    fn array(&mut self) -> Result<Node> {
        let start = self.i;
        self.expect(b'[')?;
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(Node::Array { span: (start, self.i), items });
        }
        loop {
            self.ws();
            items.push(self.value()?);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Node::Array { span: (start, self.i), items });
                }
                _ => bail!("expected , or ] at byte {}", self.i),
            }
        }
    }

    fn string(&mut self) -> Result<String> {
        let start = self.i;
        self.expect(b'"')?;
        while let Some(c) = self.peek() {
            match c {
                b'"' => {
                    self.i += 1;
                    let raw = std::str::from_utf8(&self.s[start..self.i])?;
                    return Ok(serde_json::from_str(raw)?);
                }
                b'\\' => self.i += 2,
                0..=0x1f => bail!("control character in a string at byte {}", self.i),
                _ => self.i += 1,
            }
        }
        bail!("unterminated string")
    }

    fn scalar(&mut self) -> Result<Node> {
        let start = self.i;
        while self.i < self.s.len() && !matches!(self.s[self.i], b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
        let raw = std::str::from_utf8(&self.s[start..self.i])?.to_owned();
        if !serde_json::from_str::<serde_json::Value>(&raw).is_ok_and(|v| v.is_number() || v.is_boolean() || v.is_null()) {
            bail!("invalid value {raw:?} at byte {start}");
        }
        Ok(Node::Scalar { span: (start, self.i), raw })
    }
}

/// The 0-based line of a byte offset.
#[must_use]
#[expect(clippy::naive_bytecount, reason = "policy files are small; no extra dependency for this")]
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_the_values() {
        let text = "{\n\t\"a\": [\n\t\t\"x\",\n\t\t\"y\"\n\t],\n\t\"b\": 1\n}\n";
        let n = parse(text).unwrap();
        let a = n.get("a").unwrap();
        let items = a.items().unwrap();
        assert_eq!(items[1].as_str(), Some("y"));
        let (s, e) = items[1].span();
        assert_eq!(&text[s..e], "\"y\"");
        assert_eq!(line_of(text, s), 3);
        assert!(matches!(n.get("b"), Some(Node::Scalar { raw, .. }) if raw == "1"));
    }

    #[test]
    fn invalid_json_is_refused() {
        assert!(parse("{\"a\": }").is_err());
        assert!(parse("{\"a\": 1,}").is_err());
        assert!(parse("{\"a\": 1, \"a\": 2}").is_err());
        assert!(parse("[1] x").is_err());
        assert!(parse("{\"a\": tru}").is_err());
    }
}
