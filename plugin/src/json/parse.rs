//! Strict RFC 8259 parser into [`Value`] (spec `reliability.md` §3.2, rows J9–J14; nesting cap
//! from §2.6 "JSON nesting depth").
//!
//! Why our own parser: the document model keeps number literals and the parsed member count,
//! duplicate keys must be rejected (the reference rejects such records), and lone surrogate
//! escapes are replaced and counted instead of failing the record.
//!
//! The parser works on bytes with an explicit stack (no recursion, so any `max_depth` is safe
//! for the parser itself) and never panics: every failure is a [`ParseError`] with the byte
//! offset where the offending token starts (the input length for a truncated input).

use std::collections::HashSet;
use std::fmt;
use std::hash::{BuildHasher, RandomState};

use super::value::{Map, Number, Value};

/// Parser limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseOptions {
    /// Deepest allowed nesting of arrays and objects (a bare scalar is depth 0, `[]` depth 1).
    pub max_depth: u32,
}

/// serde_json's default recursion limit (`reliability.md` §2.6).
pub const DEFAULT_MAX_DEPTH: u32 = 128;

impl Default for ParseOptions {
    fn default() -> ParseOptions {
        ParseOptions {
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }
}

/// What the parser repaired while accepting the input (the decoder tags such records).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParseReport {
    /// `\uXXXX` escapes that were an unpaired surrogate, each replaced with U+FFFD.
    pub lone_surrogates: usize,
}

/// A parse failure and where it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// Byte offset of the offending token (input length when the input ended too early).
    pub offset: usize,
}

/// The kinds of parse failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// The input ended inside a value, or held no value at all.
    Eof,
    /// Bad syntax; the text says what was expected.
    Syntax(&'static str),
    /// Non-whitespace after a complete value.
    TrailingCharacters,
    /// An object repeats a key (Elasticsearch rejects such documents).
    DuplicateKey(String),
    /// Arrays/objects nested deeper than the limit (the limit is carried).
    DepthLimit(u32),
    /// An unpaired surrogate escape. Never returned by [`parse`], which replaces them with
    /// U+FFFD and counts them in [`ParseReport`]; available to callers that want strictness
    /// (see [`ParseReport::into_strict`]).
    LoneSurrogate,
    /// A number that breaks the JSON grammar (`01`, `1.`, `-`, `.5`, `+1`, `1e`).
    InvalidNumber,
    /// A raw control character (below U+0020) inside a string.
    ControlCharacterInString,
}

impl ParseReport {
    /// Turn a repaired lone surrogate into an error, for callers that must reject them.
    pub fn into_strict(self) -> Result<(), ParseError> {
        if self.lone_surrogates > 0 {
            Err(ParseError {
                kind: ParseErrorKind::LoneSurrogate,
                offset: 0,
            })
        } else {
            Ok(())
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.offset;
        match &self.kind {
            ParseErrorKind::Eof => write!(f, "unexpected end of input at byte {at}"),
            ParseErrorKind::Syntax(what) => write!(f, "{what} at byte {at}"),
            ParseErrorKind::TrailingCharacters => {
                write!(f, "trailing characters after the value at byte {at}")
            }
            ParseErrorKind::DuplicateKey(key) => {
                // Keys come from untrusted input: bound what goes into a message.
                let shown: String = key.chars().take(64).collect();
                let more = if shown.len() < key.len() { "…" } else { "" };
                write!(f, "duplicate key `{shown}{more}` at byte {at}")
            }
            ParseErrorKind::DepthLimit(max) => {
                write!(f, "nesting deeper than {max} levels at byte {at}")
            }
            ParseErrorKind::LoneSurrogate => write!(f, "lone surrogate escape at byte {at}"),
            ParseErrorKind::InvalidNumber => write!(f, "invalid number at byte {at}"),
            ParseErrorKind::ControlCharacterInString => {
                write!(f, "control character in string at byte {at}")
            }
        }
    }
}

impl std::error::Error for ParseError {}

/// Parse exactly one JSON value; only whitespace may follow it.
pub fn parse(text: &str, opts: &ParseOptions) -> Result<Value, ParseError> {
    parse_with_report(text, opts).map(|(v, _)| v)
}

/// [`parse`], also reporting what was repaired (lone surrogates).
pub fn parse_with_report(
    text: &str,
    opts: &ParseOptions,
) -> Result<(Value, ParseReport), ParseError> {
    let (value, used, report) = parse_prefix_with_report(text, opts)?;
    if used < text.len() {
        return Err(ParseError {
            kind: ParseErrorKind::TrailingCharacters,
            offset: used,
        });
    }
    Ok((value, report))
}

/// Parse one value at the start of `text` (leading whitespace allowed) and return it with the
/// number of bytes consumed, trailing whitespace included: the next value of a concatenated
/// stream starts there.
pub fn parse_prefix(text: &str, opts: &ParseOptions) -> Result<(Value, usize), ParseError> {
    parse_prefix_with_report(text, opts).map(|(v, used, _)| (v, used))
}

/// [`parse_prefix`], also reporting what was repaired.
pub fn parse_prefix_with_report(
    text: &str,
    opts: &ParseOptions,
) -> Result<(Value, usize, ParseReport), ParseError> {
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        max_depth: opts.max_depth,
        report: ParseReport::default(),
        hasher: None,
    };
    let value = p.parse_value()?;
    p.skip_ws();
    Ok((value, p.pos, p.report))
}

/// Initial member capacity of a parsed non-empty object.
const OBJECT_CAPACITY: usize = 8;

/// Objects with at least this many members check duplicates through a hash index instead of a
/// linear scan (keeps a 10k-key payload O(n) while small objects stay allocation-free).
const INDEX_THRESHOLD: usize = 16;

/// Byte classes the string scanner stops at: `"`, `\` and controls below 0x20.
const fn special_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
}
static SPECIAL: [bool; 256] = special_table();

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Which bytes of the word need attention (`"`, `\`, < 0x20)? Classic SWAR tests ("has zero
/// byte", "has byte less than n"): the result is non-zero exactly when some byte does, and its
/// lowest set bit (the high bit of a byte) marks the first such byte exactly: a false positive
/// can only come from a borrow out of a lower, truly special byte.
#[inline]
fn special_mask(w: u64) -> u64 {
    let quote = w ^ (ONES * u64::from(b'"'));
    let backslash = w ^ (ONES * u64::from(b'\\'));
    let zero_in = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let control = w.wrapping_sub(ONES * 0x20) & !w & HIGHS;
    zero_in(quote) | zero_in(backslash) | control
}

/// Index of the first byte at or after `from` that is `"`, `\` or a control character, or
/// `bytes.len()` when there is none. Shared with the writer, which escapes exactly this set.
#[inline]
pub(crate) fn find_special(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let mask = special_mask(u64::from_le_bytes(word));
        if mask != 0 {
            // Little-endian: byte k of the word is bits 8k..8k+7.
            return i + (mask.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&b) = bytes.get(i) {
        if SPECIAL[usize::from(b)] {
            return i;
        }
        i += 1;
    }
    bytes.len()
}

/// An open container on the explicit stack.
enum Frame {
    Array(Vec<Value>),
    Object(ObjectFrame),
}

struct ObjectFrame {
    map: Map,
    /// Key of the member whose value is being parsed.
    key: String,
    /// Hashes of the keys so far, built once the object reaches [`INDEX_THRESHOLD`] members.
    index: Option<HashSet<u64>>,
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    max_depth: u32,
    report: ParseReport,
    /// Randomly keyed (hash flooding), created only when a large object needs an index.
    hasher: Option<RandomState>,
}

type PResult<T> = Result<T, ParseError>;

fn err<T>(kind: ParseErrorKind, offset: usize) -> PResult<T> {
    Err(ParseError { kind, offset })
}

impl<'a> Parser<'a> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn eof<T>(&self) -> PResult<T> {
        err(ParseErrorKind::Eof, self.bytes.len())
    }

    fn depth_check(&self, open: usize) -> PResult<()> {
        // `open` containers are already on the stack; this one would be one deeper.
        if open >= self.max_depth as usize {
            return err(ParseErrorKind::DepthLimit(self.max_depth), self.pos);
        }
        Ok(())
    }

    /// Parse one complete value starting at the next non-whitespace byte.
    fn parse_value(&mut self) -> PResult<Value> {
        let mut stack: Vec<Frame> = Vec::new();
        'value: loop {
            self.skip_ws();
            let Some(b) = self.peek() else {
                return self.eof();
            };
            let mut done = match b {
                b'{' => {
                    self.depth_check(stack.len())?;
                    self.pos += 1;
                    self.skip_ws();
                    match self.peek() {
                        Some(b'}') => {
                            self.pos += 1;
                            Value::Object(Map::new())
                        }
                        Some(b'"') => {
                            let key = self.parse_string()?;
                            self.expect_colon()?;
                            stack.push(Frame::Object(ObjectFrame {
                                // Room for a typical CloudTrail object without regrowth.
                                map: Map::with_capacity(OBJECT_CAPACITY),
                                key,
                                index: None,
                            }));
                            continue 'value;
                        }
                        Some(_) => {
                            return err(
                                ParseErrorKind::Syntax("expected string key or `}`"),
                                self.pos,
                            );
                        }
                        None => return self.eof(),
                    }
                }
                b'[' => {
                    self.depth_check(stack.len())?;
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        Value::Array(Vec::new())
                    } else {
                        stack.push(Frame::Array(Vec::new()));
                        continue 'value;
                    }
                }
                b'"' => Value::String(self.parse_string()?),
                b'-' | b'0'..=b'9' => self.parse_number()?,
                b'+' | b'.' => return err(ParseErrorKind::InvalidNumber, self.pos),
                b't' => self.parse_literal(b"true", Value::Bool(true))?,
                b'f' => self.parse_literal(b"false", Value::Bool(false))?,
                b'n' => self.parse_literal(b"null", Value::Null)?,
                _ if self
                    .text
                    .get(self.pos..)
                    .is_some_and(|r| r.starts_with('\u{feff}')) =>
                {
                    return err(
                        ParseErrorKind::Syntax("unexpected byte order mark"),
                        self.pos,
                    );
                }
                _ => return err(ParseErrorKind::Syntax("expected value"), self.pos),
            };
            // A value is complete: hand it to the enclosing containers, closing those that end.
            loop {
                match stack.last_mut() {
                    None => return Ok(done),
                    Some(Frame::Array(items)) => {
                        items.push(done);
                        self.skip_ws();
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                                continue 'value;
                            }
                            Some(b']') => {
                                self.pos += 1;
                                done = match stack.pop() {
                                    Some(Frame::Array(items)) => Value::Array(items),
                                    _ => unreachable!("top frame was just seen as an array"),
                                };
                            }
                            Some(_) => {
                                return err(
                                    ParseErrorKind::Syntax("expected `,` or `]`"),
                                    self.pos,
                                );
                            }
                            None => return self.eof(),
                        }
                    }
                    Some(Frame::Object(obj)) => {
                        let key = std::mem::take(&mut obj.key);
                        obj.map.push_unchecked(key, done);
                        self.skip_ws();
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                                self.skip_ws();
                                match self.peek() {
                                    Some(b'"') => {}
                                    Some(_) => {
                                        return err(
                                            ParseErrorKind::Syntax("expected string key"),
                                            self.pos,
                                        );
                                    }
                                    None => return self.eof(),
                                }
                                let key_at = self.pos;
                                let key = self.parse_string()?;
                                if self.is_duplicate(obj, &key) {
                                    return err(ParseErrorKind::DuplicateKey(key), key_at);
                                }
                                self.expect_colon()?;
                                obj.key = key;
                                continue 'value;
                            }
                            Some(b'}') => {
                                self.pos += 1;
                                done = match stack.pop() {
                                    Some(Frame::Object(obj)) => Value::Object(obj.map),
                                    _ => unreachable!("top frame was just seen as an object"),
                                };
                            }
                            Some(_) => {
                                return err(
                                    ParseErrorKind::Syntax("expected `,` or `}`"),
                                    self.pos,
                                );
                            }
                            None => return self.eof(),
                        }
                    }
                }
            }
        }
    }

    fn expect_colon(&mut self) -> PResult<()> {
        self.skip_ws();
        match self.peek() {
            Some(b':') => {
                self.pos += 1;
                Ok(())
            }
            Some(_) => err(ParseErrorKind::Syntax("expected `:`"), self.pos),
            None => self.eof(),
        }
    }

    /// Is `key` already a member? Linear for small objects, hashed past the threshold (a hash
    /// hit is confirmed by a scan, so collisions only cost time, never correctness).
    fn is_duplicate(&mut self, obj: &mut ObjectFrame, key: &str) -> bool {
        if obj.index.is_none() && obj.map.len() < INDEX_THRESHOLD {
            return obj.map.contains_key(key);
        }
        let hasher = self.hasher.get_or_insert_with(RandomState::new);
        let index = obj.index.get_or_insert_with(|| {
            let mut set = HashSet::with_capacity(obj.map.len() * 2);
            for k in obj.map.keys() {
                set.insert(hasher.hash_one(k));
            }
            set
        });
        if index.insert(hasher.hash_one(key)) {
            false
        } else {
            obj.map.contains_key(key)
        }
    }

    fn parse_literal(&mut self, word: &'static [u8], value: Value) -> PResult<Value> {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        if rest.starts_with(word) {
            self.pos += word.len();
            Ok(value)
        } else if word.starts_with(rest) {
            self.eof()
        } else {
            err(ParseErrorKind::Syntax("invalid literal"), self.pos)
        }
    }

    fn skip_digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, kept as its literal text.
    fn parse_number(&mut self) -> PResult<Value> {
        let start = self.pos;
        let invalid = || err(ParseErrorKind::InvalidNumber, start);
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return invalid();
                }
            }
            Some(b'1'..=b'9') => {
                self.skip_digits();
            }
            _ => return invalid(),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.skip_digits() == 0 {
                return invalid();
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.skip_digits() == 0 {
                return invalid();
            }
        }
        match self.text.get(start..self.pos) {
            Some(lit) => Ok(Value::Number(Number::from_literal(lit))),
            None => invalid(),
        }
    }

    /// Parse a string literal; `self.pos` is at the opening quote.
    fn parse_string(&mut self) -> PResult<String> {
        let start = self.pos + 1;
        let mut i = find_special(self.bytes, start);
        match self.bytes.get(i) {
            None => return self.eof(),
            Some(b'"') => {
                self.pos = i + 1;
                return Ok(self.slice(start, i)?.to_owned());
            }
            Some(b'\\') => {}
            Some(_) => return err(ParseErrorKind::ControlCharacterInString, i),
        }
        // Slow path: at least one escape.
        let mut out = String::with_capacity(i - start + 16);
        out.push_str(self.slice(start, i)?);
        loop {
            // bytes[i] == b'\\'
            i = self.parse_escape(i, &mut out)?;
            let run = i;
            i = find_special(self.bytes, run);
            out.push_str(self.slice(run, i)?);
            match self.bytes.get(i) {
                None => return self.eof(),
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok(out);
                }
                Some(b'\\') => {}
                Some(_) => return err(ParseErrorKind::ControlCharacterInString, i),
            }
        }
    }

    /// `&text[a..b]`; the bounds sit on ASCII bytes so they are char boundaries, but stay total.
    fn slice(&self, a: usize, b: usize) -> PResult<&'a str> {
        self.text.get(a..b).ok_or(ParseError {
            kind: ParseErrorKind::Syntax("string boundary inside a character"),
            offset: a,
        })
    }

    /// Decode the escape whose backslash is at `at`; returns the index after it.
    fn parse_escape(&mut self, at: usize, out: &mut String) -> PResult<usize> {
        let Some(&e) = self.bytes.get(at + 1) else {
            return self.eof();
        };
        let simple = match e {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4(at)?;
                let mut next = at + 6;
                let c = match unit {
                    0xD800..=0xDBFF => {
                        let low = if self.bytes.get(next..next + 2) == Some(b"\\u") {
                            self.hex4(next)
                                .ok()
                                .filter(|u| (0xDC00..=0xDFFF).contains(u))
                        } else {
                            None
                        };
                        match low {
                            Some(low) => {
                                next += 6;
                                let cp = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                                char::from_u32(cp).unwrap_or('\u{fffd}')
                            }
                            None => {
                                self.report.lone_surrogates += 1;
                                '\u{fffd}'
                            }
                        }
                    }
                    0xDC00..=0xDFFF => {
                        self.report.lone_surrogates += 1;
                        '\u{fffd}'
                    }
                    _ => char::from_u32(unit).unwrap_or('\u{fffd}'),
                };
                out.push(c);
                return Ok(next);
            }
            _ => return err(ParseErrorKind::Syntax("invalid escape"), at),
        };
        out.push(simple);
        Ok(at + 2)
    }

    /// The 4 hex digits of the `\u` escape whose backslash is at `at`.
    fn hex4(&self, at: usize) -> PResult<u32> {
        let digits = self.bytes.get(at + 2..).unwrap_or_default();
        let mut unit = 0u32;
        for k in 0..4 {
            let Some(&d) = digits.get(k) else {
                return self.eof();
            };
            let v = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return err(ParseErrorKind::Syntax("invalid unicode escape"), at),
            };
            unit = unit * 16 + u32::from(v);
        }
        Ok(unit)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::json::write::to_json;
    use proptest::prelude::*;

    fn p(text: &str) -> Result<Value, ParseError> {
        parse(text, &ParseOptions::default())
    }

    fn num(s: &str) -> Value {
        Value::Number(Number::from_literal(s))
    }

    #[test]
    fn valid_documents_parse_to_the_expected_tree() {
        let obj = |members: Vec<(&str, Value)>| {
            Value::Object(Map::from_entries(
                members
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
            ))
        };
        let cases: Vec<(&str, Value)> = vec![
            ("null", Value::Null),
            (" true ", Value::Bool(true)),
            ("\t\r\nfalse\n", Value::Bool(false)),
            ("0", num("0")),
            ("-0", num("-0")),
            ("1.0", num("1.0")),
            ("-12.5e-3", num("-12.5e-3")),
            ("1E+2", num("1E+2")),
            ("1e400", num("1e400")),
            (r#""""#, Value::str("")),
            (r#""héllo €""#, Value::str("héllo €")),
            ("[]", Value::Array(vec![])),
            ("{}", obj(vec![])),
            (
                r#"[1, "a", [null], {}]"#,
                Value::Array(vec![
                    num("1"),
                    Value::str("a"),
                    Value::Array(vec![Value::Null]),
                    obj(vec![]),
                ]),
            ),
            (
                r#"{"b": 1, "a": {"c": [true]}}"#,
                obj(vec![
                    ("b", num("1")),
                    ("a", obj(vec![("c", Value::Array(vec![Value::Bool(true)]))])),
                ]),
            ),
            (r#"{"":""}"#, obj(vec![("", Value::str(""))])),
        ];
        for (text, want) in cases {
            assert_eq!(p(text), Ok(want), "input {text:?}");
        }
    }

    #[test]
    fn invalid_documents_fail_with_kind_and_offset() {
        use ParseErrorKind::*;
        let cases: Vec<(&str, ParseErrorKind, usize)> = vec![
            ("", Eof, 0),
            ("   \n", Eof, 4),
            ("[", Eof, 1),
            ("[1,", Eof, 3),
            (r#"{"a""#, Eof, 4),
            (r#"{"a":"#, Eof, 5),
            (r#""abc"#, Eof, 4),
            (r#""a\"#, Eof, 3),
            (r#""\u12"#, Eof, 5),
            ("tru", Eof, 3),
            ("nul", Eof, 3),
            ("trux", Syntax("invalid literal"), 0),
            ("True", Syntax("expected value"), 0),
            ("NaN", Syntax("expected value"), 0),
            ("-Infinity", InvalidNumber, 0),
            ("[1,]", Syntax("expected value"), 3),
            (r#"{"a":1,}"#, Syntax("expected string key"), 7),
            ("{,}", Syntax("expected string key or `}`"), 1),
            ("{1:2}", Syntax("expected string key or `}`"), 1),
            (r#"{"a" 1}"#, Syntax("expected `:`"), 5),
            ("[1 2]", Syntax("expected `,` or `]`"), 3),
            (r#"{"a":1 "b":2}"#, Syntax("expected `,` or `}`"), 7),
            ("// c\n1", Syntax("expected value"), 0),
            ("'a'", Syntax("expected value"), 0),
            ("\u{feff}{}", Syntax("unexpected byte order mark"), 0),
            ("\u{a0}1", Syntax("expected value"), 0),
            ("\u{b}1", Syntax("expected value"), 0),
            ("1 2", TrailingCharacters, 2),
            ("{} x", TrailingCharacters, 3),
            ("[]]", TrailingCharacters, 2),
            ("01", InvalidNumber, 0),
            ("-01", InvalidNumber, 0),
            ("1.", InvalidNumber, 0),
            ("[1.e5]", InvalidNumber, 1),
            (".5", InvalidNumber, 0),
            ("+1", InvalidNumber, 0),
            ("-", InvalidNumber, 0),
            ("1e", InvalidNumber, 0),
            ("1e+", InvalidNumber, 0),
            (r#""a\x""#, Syntax("invalid escape"), 2),
            (r#""\u12g4""#, Syntax("invalid unicode escape"), 1),
            ("\"a\nb\"", ControlCharacterInString, 2),
            ("\"\u{0}\"", ControlCharacterInString, 1),
            ("\"a\\n\tb\"", ControlCharacterInString, 4),
            (r#"{"a":1,"a":2}"#, DuplicateKey("a".into()), 7),
            (r#"{"x":{"k":1,"j":2,"k":3}}"#, DuplicateKey("k".into()), 18),
            (r#"{"\u0061":1,"a":2}"#, DuplicateKey("a".into()), 12),
        ];
        for (text, kind, offset) in cases {
            assert_eq!(p(text), Err(ParseError { kind, offset }), "input {text:?}");
        }
    }

    #[test]
    fn escapes_and_surrogate_pairs_decode() {
        let cases = [
            (r#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{8}\u{c}\n\r\t"),
            (r#""\u0041\u00e9\u20AC""#, "Aé€"),
            (r#""\u0000""#, "\u{0}"),
            (r#""\ud83d\ude00""#, "😀"),
            (r#""x\uD834\uDD1Ey""#, "x𝄞y"),
            (r#""plain then \n escape""#, "plain then \n escape"),
        ];
        for (text, want) in cases {
            let (v, report) = parse_with_report(text, &ParseOptions::default()).unwrap();
            assert_eq!(v, Value::str(want), "input {text}");
            assert_eq!(report.lone_surrogates, 0, "input {text}");
        }
    }

    #[test]
    fn lone_surrogates_become_replacement_characters_and_are_counted() {
        let cases = [
            (r#""\ud800""#, "\u{fffd}", 1),
            (r#""\udc00""#, "\u{fffd}", 1),
            (r#""a\ud800b""#, "a\u{fffd}b", 1),
            (r#""\ud800\u0041""#, "\u{fffd}A", 1),
            (r#""\ud800\ud800\udc00""#, "\u{fffd}𐀀", 1),
            (r#""\udc00\ud800""#, "\u{fffd}\u{fffd}", 2),
            (r#"["\ud800", {"\udfff": 1}]"#, "", 2),
        ];
        for (text, want, count) in cases {
            let (v, report) = parse_with_report(text, &ParseOptions::default()).unwrap();
            if let Value::String(s) = &v {
                assert_eq!(s, want, "input {text}");
            }
            assert_eq!(report.lone_surrogates, count, "input {text}");
            assert_eq!(report.clone().into_strict().is_err(), count > 0);
        }
        // `parse` accepts them as well.
        assert_eq!(p(r#""\ud800""#), Ok(Value::str("\u{fffd}")));
    }

    #[test]
    fn depth_limit_allows_exactly_max_and_rejects_max_plus_one() {
        for max in [0u32, 1, 5, 128] {
            let opts = ParseOptions { max_depth: max };
            let n = max as usize;
            let arrays = format!("{}1{}", "[".repeat(n), "]".repeat(n));
            assert!(parse(&arrays, &opts).is_ok(), "arrays at depth {max}");
            let objects = format!("{}1{}", r#"{"a":"#.repeat(n), "}".repeat(n));
            assert!(parse(&objects, &opts).is_ok(), "objects at depth {max}");

            let deeper = format!("{}{}", "[".repeat(n + 1), "]".repeat(n + 1));
            assert_eq!(
                parse(&deeper, &opts),
                Err(ParseError {
                    kind: ParseErrorKind::DepthLimit(max),
                    offset: n
                })
            );
            let mixed = format!("{}{{}}{}", "[".repeat(n), "]".repeat(n));
            assert_eq!(
                parse(&mixed, &opts).map_err(|e| e.kind),
                Err(ParseErrorKind::DepthLimit(max))
            );
        }
    }

    #[test]
    fn hostile_nesting_fails_cleanly_without_overflowing_the_stack() {
        let text = "[".repeat(200_000);
        let e = p(&text).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::DepthLimit(DEFAULT_MAX_DEPTH));
        // The explicit stack copes with a large limit too (only the input ends early).
        let e = parse(
            &text,
            &ParseOptions {
                max_depth: 1_000_000,
            },
        )
        .unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::Eof);
    }

    #[test]
    fn numbers_keep_their_literal_text() {
        let big = format!("-{}", "9".repeat(400));
        for lit in [
            "-0",
            "0.0",
            "1.0",
            "1e400",
            "-1E-400",
            "123456789012345678901234567890",
            &big,
        ] {
            assert_eq!(p(lit), Ok(num(lit)), "literal {lit}");
            let in_array = format!("[{lit}]");
            assert_eq!(p(&in_array), Ok(Value::Array(vec![num(lit)])));
        }
    }

    #[test]
    fn parsed_len_counts_members_as_parsed() {
        let v = p(r#"{"a":1,"b":{"x":null,"y":2,"z":3},"c":[]}"#).unwrap();
        let m = v.as_object().unwrap();
        assert_eq!(m.parsed_len(), 3);
        let inner = m.get("b").and_then(Value::as_object).unwrap();
        assert_eq!(inner.parsed_len(), 3);
        assert_eq!(inner.keys().collect::<Vec<_>>(), ["x", "y", "z"]);
    }

    #[test]
    fn duplicate_keys_are_found_in_large_objects() {
        let n = 10_000;
        let mut text = String::from("{");
        for i in 0..n {
            text.push_str(&format!("\"k{i}\":{i},"));
        }
        let ok = format!("{text}\"last\":0}}");
        let v = p(&ok).unwrap();
        assert_eq!(v.as_object().map(Map::parsed_len), Some(n + 1));

        for dup in [0, 15, 16, 17, n - 1] {
            let bad = format!("{text}\"k{dup}\":0}}");
            let e = p(&bad).unwrap_err();
            assert_eq!(e.kind, ParseErrorKind::DuplicateKey(format!("k{dup}")));
            assert_eq!(e.offset, text.len());
        }
    }

    #[test]
    fn parse_prefix_reads_concatenated_values() {
        let text = "{\"a\":1} \n[2]3 \"s\"";
        let opts = ParseOptions::default();
        let mut rest = text;
        let mut got = Vec::new();
        while !rest.is_empty() {
            let (v, used) = parse_prefix(rest, &opts).unwrap();
            got.push(to_json(&v));
            rest = &rest[used..];
        }
        assert_eq!(got, ["{\"a\":1}", "[2]", "3", "\"s\""]);
        assert_eq!(
            parse_prefix("  ", &opts).unwrap_err().kind,
            ParseErrorKind::Eof
        );
        assert_eq!(parse_prefix("{} ", &opts).map(|(_, n)| n), Ok(3));
    }

    #[test]
    fn display_is_short_and_names_the_offset() {
        let e = p(r#"{"eventName":1,"eventName":2}"#).unwrap_err();
        assert_eq!(e.to_string(), "duplicate key `eventName` at byte 15");
        assert_eq!(
            p("[").unwrap_err().to_string(),
            "unexpected end of input at byte 1"
        );
        assert_eq!(p("01").unwrap_err().to_string(), "invalid number at byte 0");
    }

    #[test]
    fn scanner_finds_every_special_byte_position() {
        // Exercise the 8-byte word path at every alignment.
        for special in [b'"', b'\\', 0u8, 0x1f] {
            for pos in 0..20 {
                let mut bytes = vec![b'a'; 20];
                bytes[pos] = special;
                assert_eq!(find_special(&bytes, 0), pos, "byte {special} at {pos}");
            }
        }
        let clean: Vec<u8> = (0x20u8..=0xff)
            .filter(|b| *b != b'"' && *b != b'\\')
            .collect();
        assert_eq!(find_special(&clean, 0), clean.len());
    }

    #[test]
    fn scanner_matches_a_byte_by_byte_scan_on_dense_near_special_bytes() {
        // Several specials and near misses in one word (borrows of the SWAR tests run upward,
        // so only the first flagged byte is trusted): compare with the obvious scan.
        let alphabet = [
            0u8, 1, 0x1f, 0x20, 0x21, b'"', 0x23, 0x5b, b'\\', 0x5d, 0x7f, 0x80, 0xff,
        ];
        let naive = |b: &[u8], from: usize| {
            (from..b.len())
                .find(|&i| SPECIAL[usize::from(b[i])])
                .unwrap_or(b.len())
        };
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 24) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|k| {
                    let r = state.rotate_left(k as u32 * 5);
                    // Mostly plain letters, so specials land at every offset of a word.
                    if r.is_multiple_of(3) {
                        alphabet[(r >> 8) as usize % alphabet.len()]
                    } else {
                        b'a'
                    }
                })
                .collect();
            for from in 0..=len {
                assert_eq!(
                    find_special(&bytes, from),
                    naive(&bytes, from),
                    "{bytes:?} from {from}"
                );
            }
        }
    }

    #[test]
    fn sample_files_parse_without_panicking() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/samples");
        let root = std::path::Path::new(root);
        if !root.is_dir() {
            println!("skipping: ../shared not found");
            return;
        }
        let mut files = Vec::new();
        let mut dirs = vec![root.join("aws-docs-current"), root.join("otel")];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "json") {
                    files.push(path);
                }
            }
        }
        assert!(
            !files.is_empty(),
            "no sample files under {}",
            root.display()
        );
        let mut ok = 0;
        for path in &files {
            let bytes = std::fs::read(path).unwrap();
            let Ok(text) = std::str::from_utf8(&bytes) else {
                continue;
            };
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            // Some files hold several concatenated values: read them all.
            let opts = ParseOptions::default();
            let mut rest = text;
            let outcome = loop {
                match parse_prefix(rest, &opts) {
                    Ok((_, used)) if used < rest.len() => rest = &rest[used..],
                    Ok(_) => break Ok(()),
                    Err(e) => break Err(e),
                }
            };
            match outcome {
                Ok(()) => ok += 1,
                Err(e) => println!("{}: {e}", path.display()),
            }
        }
        println!("{ok}/{} sample files parsed", files.len());
        assert!(
            ok * 4 >= files.len() * 3,
            "only {ok}/{} parsed",
            files.len()
        );
    }

    /// Strings with the characters that need escaping mixed into arbitrary unicode.
    fn arb_string() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                4 => any::<char>(),
                1 => prop::sample::select(vec!['"', '\\', '/', '\n', '\u{0}', '\u{1f}', '\u{7f}', '\u{2028}', '\u{fffd}']),
            ],
            0..12,
        )
        .prop_map(|cs| cs.into_iter().collect())
    }

    fn arb_number() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<i64>().prop_map(|n| Value::Number(n.into())),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| num(&format!("{f:e}"))),
            "-?(0|[1-9][0-9]{0,30})(\\.[0-9]{1,8})?([eE][+-]?[0-9]{1,4})?".prop_map(|s| num(&s)),
        ]
    }

    pub(crate) fn arb_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            arb_number(),
            arb_string().prop_map(Value::String),
        ];
        leaf.prop_recursive(5, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::vec((arb_string(), inner), 0..8).prop_map(|members| {
                    let mut seen = std::collections::HashSet::new();
                    let unique = members
                        .into_iter()
                        .filter(|(k, _)| seen.insert(k.clone()))
                        .collect();
                    Value::Object(Map::from_entries(unique))
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn written_values_parse_back_equal(v in arb_value()) {
            let text = to_json(&v);
            prop_assert_eq!(p(&text), Ok(v));
        }

        #[test]
        fn every_prefix_of_a_valid_document_parses_or_reports_truncation(
            v in arb_value(),
            cut in any::<prop::sample::Index>(),
        ) {
            let text = to_json(&v);
            let boundaries: Vec<usize> = (0..text.len()).filter(|&i| text.is_char_boundary(i)).collect();
            let end = boundaries[cut.index(boundaries.len())];
            match p(&text[..end]) {
                Ok(_) => {}
                Err(ParseError { kind: ParseErrorKind::Eof, offset }) => prop_assert_eq!(offset, end),
                Err(ParseError { kind: ParseErrorKind::InvalidNumber, .. }) => {}
                Err(e) => prop_assert!(false, "prefix {:?} gave {:?}", &text[..end], e),
            }
        }

        #[test]
        fn corrupted_documents_never_panic(
            v in arb_value(),
            at in any::<prop::sample::Index>(),
            junk in "[\\\"{}\\[\\],:0-9a-zA-Z\u{0}-\u{1f} ]{1,3}",
        ) {
            let mut text = to_json(&v);
            let boundaries: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
            text.insert_str(boundaries[at.index(boundaries.len())], &junk);
            let _ = p(&text);
        }

        #[test]
        fn arbitrary_input_never_panics(text in "[\\[\\]{}\",:0-9a-z\\\\ .eE+-]{0,40}") {
            let _ = p(&text);
        }
    }
}
