//! A glance at a payload that is not decoded (or not yet): its `id`, so that a payload the
//! receiver refuses can still be answered with `rejected` (docs/protocol.md §5), and its
//! `kind`, so that the hub can send a photo to be checked before it handles it.
//!
//! Tolerant on purpose, and cheap: it reads the envelope's top-level members in order,
//! skips over their values without decoding them, and stops at the first byte that cannot
//! continue a JSON object. Invalid UTF-8 inside a skipped value does not stop it (bytes
//! are bytes here); a member name or a value written with escapes is not read.

use crate::ids::MessageId;

/// What a glance found: the first top-level `"id"` and `"kind"` members with a plain
/// string value, written before anything that stops the payload being a JSON object.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Glance<'a> {
    /// The raw `id` string (not yet checked to be a message id).
    pub id: Option<&'a str>,
    /// The raw `kind` string.
    pub kind: Option<&'a str>,
}

impl Glance<'_> {
    /// The `id`, when it is a valid message id.
    pub fn message_id(&self) -> Option<MessageId> {
        self.id.and_then(|id| MessageId::parse(id).ok())
    }
}

/// Reads the top-level `id` and `kind` of a payload, as far as it can (see the module).
pub fn glance(payload: &[u8]) -> Glance<'_> {
    let mut found = Glance::default();
    let mut at = Cursor {
        bytes: payload,
        i: 0,
    };
    at.space();
    if !at.eat(b'{') {
        return found;
    }
    loop {
        at.space();
        if !at.eat(b'"') {
            return found;
        }
        let Some(name) = at.string() else {
            return found;
        };
        at.space();
        if !at.eat(b':') {
            return found;
        }
        at.space();
        if at.eat(b'"') {
            let Some(value) = at.string() else {
                return found;
            };
            let slot = match name {
                b"id" => &mut found.id,
                b"kind" => &mut found.kind,
                _ => &mut None,
            };
            // A value with escapes is not read (no valid id or kind needs one); the first
            // member of a name counts (a decoder refuses a second one anyway).
            if slot.is_none() && !value.contains(&b'\\') {
                *slot = std::str::from_utf8(value).ok();
            }
            if found.id.is_some() && found.kind.is_some() {
                return found;
            }
        } else if !at.skip_value() {
            return found;
        }
        at.space();
        if !at.eat(b',') {
            return found;
        }
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.i).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// JSON's white space (RFC 8259: space, tab, line feed, carriage return).
    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    /// The raw bytes of a string whose opening quote was eaten, up to its closing quote
    /// (eaten too); `None` when it never closes.
    fn string(&mut self) -> Option<&'a [u8]> {
        let start = self.i;
        let rest = &self.bytes[start..];
        let mut k = 0;
        while k < rest.len() {
            match rest[k] {
                b'"' => {
                    self.i = start + k + 1;
                    return Some(&rest[..k]);
                }
                // An escape: whatever follows the backslash is part of the string.
                b'\\' => k += 2,
                _ => k += 1,
            }
        }
        None
    }

    /// Skips a value that is not a string: an object or array (up to its matching
    /// bracket, strings inside skipped as strings), or a number or literal (up to the
    /// next delimiter). False when the payload ends first.
    fn skip_value(&mut self) -> bool {
        match self.peek() {
            Some(b'{' | b'[') => {
                let mut depth = 0usize;
                while let Some(byte) = self.peek() {
                    self.i += 1;
                    match byte {
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                return true;
                            }
                        }
                        // A string inside: skipped as a string, brackets in it and all.
                        b'"' if self.string().is_none() => return false,
                        _ => {}
                    }
                }
                false
            }
            Some(b'}' | b']' | b',' | b':') | None => false,
            Some(_) => {
                let start = self.i;
                while let Some(byte) = self.peek() {
                    if matches!(byte, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.i += 1;
                }
                self.i > start
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(payload: &[u8], id: Option<&str>, kind: Option<&str>) {
        let found = glance(payload);
        assert_eq!(
            (found.id, found.kind),
            (id, kind),
            "{}",
            String::from_utf8_lossy(payload)
        );
    }

    #[test]
    fn reads_id_and_kind_wherever_they_stand_at_the_top_level() {
        check(
            br#"{"v":1,"id":"m-12345678","from":"d-1","ts":1,"kind":"text","body":{}}"#,
            Some("m-12345678"),
            Some("text"),
        );
        check(
            br#" { "body" : {"id":"not-this","kind":["x",{"y":"}"}]}, "ts": 1.5e3, "ok": true ,
                "kind":"photo", "id" : "m-87654321" }"#,
            Some("m-87654321"),
            Some("photo"),
        );
    }

    #[test]
    fn stops_at_the_first_mistake_but_keeps_what_came_before() {
        // Cut short inside the body, invalid UTF-8 inside it, garbage after it.
        check(
            br#"{"v":1,"id":"m-12345678","kind":"photo","body":{"data":"AAA"#,
            Some("m-12345678"),
            Some("photo"),
        );
        check(
            b"{\"id\":\"m-12345678\",\"body\":{\"text\":\"\xff\xfe\"},\"kind\":\"text\"} trailing",
            Some("m-12345678"),
            Some("text"),
        );
        check(br#"{"v":1 "id":"m-12345678"}"#, None, None);
        check(br#"{"body":{"a":1,"id":"m-12345678""#, None, None);
        check(br#"["id","m-12345678"]"#, None, None);
        check(b"", None, None);
        check(b"\xef\xbb\xbf{\"id\":\"m-12345678\"}", None, None);
    }

    #[test]
    fn escaped_names_and_values_are_not_read_and_the_first_member_counts() {
        check(br#"{"\u0069d":"m-12345678","kind":"te\"xt"}"#, None, None);
        check(
            br#"{"id":"m-first-one","id":"m-second-one"}"#,
            Some("m-first-one"),
            None,
        );
        assert_eq!(glance(br#"{"id":"x/y"}"#).message_id(), None, "not an id");
        assert_eq!(
            glance(br#"{"id":"m-12345678"}"#)
                .message_id()
                .map(|m| m.as_str().to_owned()),
            Some("m-12345678".to_owned())
        );
    }
}
