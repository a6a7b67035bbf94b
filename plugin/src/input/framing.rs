//! Streaming framer: a stream of top-level JSON values in, raw records out
//! (`spec/input-formats.md` §0 sniffing, §1.3 file body, §5 decode procedure;
//! `spec/reliability.md` §3.1 C3, §3.2 J2–J8, J12–J13).
//!
//! A byte-level scanner that tracks strings, escapes and nesting; it never builds a tree. For a
//! top-level object with a member `"Records"` whose value is an array, every element is one
//! record (its exact text), emitted as soon as its last byte arrives; the object's other members
//! are ignored. Any other top-level object is captured whole and classified by its member names
//! ([`super::shape`]). Values may be concatenated or separated by whitespace (NDJSON).
//!
//! Memory is bounded by the record being captured: a record longer than the record cap keeps
//! only its first [`EXCERPT_BYTES`] and is reported as [`RecordBody::TooLarge`] once its end is
//! found; scanning goes on with the next record. The scanner's own nesting stack is one bit per
//! level, capped (see [`JsonFramer::new`]).
//!
//! The scanner checks structure (brackets, quotes, separators), not the grammar of scalars or
//! escapes: a record with a bad literal reaches the pipeline's strict parser, which turns it into
//! an error document. Keys are compared as written (`"Rec\u006frds"` is not `Records`).

use std::collections::VecDeque;
use std::sync::Arc;

use super::shape::{self, Shape};
use crate::api::{DecodeError, LimitError, LimitKind};

/// Bytes of an oversized or cut record kept for its error document.
pub const EXCERPT_BYTES: usize = 1024;
/// Maximum number of top-level member names remembered for classification.
const MAX_KEYS: usize = 64;
/// Longest member name remembered (longer names never match a known key).
const MAX_KEY_LEN: usize = 64;
/// Bytes shown in hex for unrecognized content.
const HEX_BYTES: usize = 16;

/// How a raw record ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordBody {
    /// The whole record text.
    Complete,
    /// Longer than the record cap: `text` is the first [`EXCERPT_BYTES`], `size` the full size.
    TooLarge,
    /// Cut by the end of input, a syntax error or a stop; the reason says which.
    Cut(String),
}

/// What a framed record is, for the decoder (`spec/input-formats.md` §0 "JSON shape by keys").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum RecordKind {
    /// A CloudTrail record or digest: one pipeline run.
    #[default]
    Cloudtrail,
    /// A whole CloudWatch Logs subscription envelope (`logEvents` and `messageType`/`owner`/…).
    CwlEnvelope,
    /// A whole EventBridge event (`detail-type` and `detail`).
    EventBridge,
    /// One element of the `records` array of a Firehose HTTP-endpoint request body; the body's
    /// `requestId` when it came before `records` (as Firehose writes it).
    FirehoseRecord {
        /// The body's `requestId` (raw text between the quotes, bounded).
        request_id: Option<Arc<str>>,
    },
}

/// One framed record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawRecord {
    /// Offset of the record's first byte in the decoded stream.
    pub offset: u64,
    /// The record text (or its excerpt, see [`RecordBody`]).
    pub text: Vec<u8>,
    /// Bytes of the record seen (the full size for a complete or oversized record).
    pub size: u64,
    /// How it ended.
    pub body: RecordBody,
    /// What it is.
    pub kind: RecordKind,
}

/// A record being captured, bounded by the record cap.
#[derive(Debug)]
pub struct Capture {
    offset: u64,
    buf: Vec<u8>,
    size: u64,
    max: u64,
    oversize: bool,
}

impl Capture {
    /// Start capturing a record at `offset`, capped at `max` bytes.
    pub fn new(offset: u64, max: u64) -> Capture {
        Capture {
            offset,
            buf: Vec::new(),
            size: 0,
            max,
            oversize: false,
        }
    }

    /// Append bytes; past the cap only the first [`EXCERPT_BYTES`] are kept (the same bytes
    /// however the input was chunked).
    pub fn append(&mut self, bytes: &[u8]) {
        self.size += bytes.len() as u64;
        if !self.oversize && self.size > self.max {
            self.oversize = true;
            self.buf.truncate(EXCERPT_BYTES);
            self.buf.shrink_to_fit();
        }
        if self.oversize {
            let keep = EXCERPT_BYTES
                .saturating_sub(self.buf.len())
                .min(bytes.len());
            self.buf
                .extend_from_slice(bytes.get(..keep).unwrap_or_default());
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// Drop one trailing byte if it is `b` (the `\r` of a CRLF line).
    pub fn strip_trailing(&mut self, b: u8) {
        if !self.oversize && self.buf.last() == Some(&b) {
            self.buf.pop();
            self.size -= 1;
        }
    }

    /// The record, complete (or too large).
    pub fn into_record(self) -> RawRecord {
        let body = if self.oversize {
            RecordBody::TooLarge
        } else {
            RecordBody::Complete
        };
        RawRecord {
            offset: self.offset,
            text: self.buf,
            size: self.size,
            body,
            kind: RecordKind::Cloudtrail,
        }
    }

    /// The record, cut for `reason`; an oversized partial record keeps its excerpt.
    pub fn into_cut(self, reason: String) -> RawRecord {
        RawRecord {
            offset: self.offset,
            text: self.buf,
            size: self.size,
            body: RecordBody::Cut(reason),
            kind: RecordKind::Cloudtrail,
        }
    }
}

/// A stack of container kinds, one bit per level (1 = object).
#[derive(Debug, Default)]
struct BitStack {
    words: Vec<u64>,
    len: usize,
}

impl BitStack {
    fn push(&mut self, is_object: bool) {
        let (w, bit) = (self.len / 64, self.len % 64);
        if w >= self.words.len() {
            self.words.push(0);
        }
        if let Some(word) = self.words.get_mut(w) {
            if is_object {
                *word |= 1 << bit;
            } else {
                *word &= !(1 << bit);
            }
        }
        self.len += 1;
    }

    fn top(&self) -> Option<bool> {
        let i = self.len.checked_sub(1)?;
        self.words.get(i / 64).map(|w| w & (1 << (i % 64)) != 0)
    }

    fn pop(&mut self) -> Option<bool> {
        let top = self.top()?;
        self.len -= 1;
        Some(top)
    }

    fn len(&self) -> usize {
        self.len
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    /// Between top-level values.
    Top,
    /// Inside a byte-order mark (`n` bytes matched).
    Bom(u8),
    /// Collecting the first bytes of unrecognized content.
    Unrecognized,
    /// After `{`: a key or `}`.
    ObjFirst,
    /// After `,` in an object: a key.
    ObjKey,
    /// After a key: `:`.
    Colon,
    /// After `[`: a value or `]`.
    ArrFirst,
    /// A value.
    Value,
    /// After a value in a container: `,` or the closing bracket.
    After,
    /// Inside a string.
    Str,
    /// After a backslash in a string.
    StrEsc,
    /// Inside a number or literal.
    Scalar,
    /// Stopped; input is ignored.
    Stopped,
}

/// Which record a capture is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CapKind {
    /// A whole top-level object (until a `Records` array shows it is a container).
    Whole,
    /// An element of a `Records` array.
    Element,
    /// An element of a Firehose request body's `records` array.
    FirehoseElement,
}

/// Longest Firehose `requestId` kept, in bytes (real ones are 36-character GUIDs).
const MAX_REQUEST_ID: usize = 256;

/// The streaming JSON framer.
#[derive(Debug)]
pub struct JsonFramer {
    max_record: u64,
    max_depth: usize,
    /// Offset of the next byte.
    pos: u64,
    started: bool,
    st: St,
    str_is_key: bool,
    stack: BitStack,
    /// Member names of the current top-level object.
    keys: Vec<String>,
    key_buf: Vec<u8>,
    key_long: bool,
    collect_key: bool,
    key_is_records: bool,
    saw_records: bool,
    in_records: bool,
    checked_first: bool,
    /// Firehose request bodies are recognised (false for the payload of a Firehose record).
    firehose_bodies: bool,
    /// Capture cap of one Firehose `records` element.
    max_firehose_element: u64,
    /// The last member name was `records` / `requestId`.
    key_is_fh_records: bool,
    key_is_request_id: bool,
    /// Inside the `records` array of a Firehose request body.
    in_fh_records: bool,
    /// Collecting the `requestId` string of the current top-level object.
    request_id_buf: Option<Vec<u8>>,
    /// The current top-level object's `requestId`.
    request_id: Option<Arc<str>>,
    cap: Option<(Capture, CapKind)>,
    hex: Vec<u8>,
    stopped: Option<DecodeError>,
    /// Offset of the byte being scanned (so a stop knows where it happened).
    cur: u64,
    /// Bytes consumed when the framer stopped: up to and including the byte that stopped it.
    stop_end: Option<u64>,
}

impl JsonFramer {
    /// A framer with a record cap of `max_record` bytes. The scanner's nesting stack is capped
    /// at `max_record` levels (at least 1024, at most 2^24): a record nested deeper is larger
    /// than the cap anyway; past that the scan stops with a nesting-depth limit error.
    pub fn new(max_record: u64) -> JsonFramer {
        let max_depth = usize::try_from(max_record.clamp(1024, 1 << 24)).unwrap_or(1 << 24) + 8;
        JsonFramer {
            max_record,
            max_depth,
            pos: 0,
            started: false,
            st: St::Top,
            str_is_key: false,
            stack: BitStack::default(),
            keys: Vec::new(),
            key_buf: Vec::new(),
            key_long: false,
            collect_key: false,
            key_is_records: false,
            saw_records: false,
            in_records: false,
            checked_first: false,
            firehose_bodies: true,
            max_firehose_element: max_record,
            key_is_fh_records: false,
            key_is_request_id: false,
            in_fh_records: false,
            request_id_buf: None,
            request_id: None,
            cap: None,
            hex: Vec::new(),
            stopped: None,
            cur: 0,
            stop_end: None,
        }
    }

    /// Recognise Firehose request bodies (the default), capturing each element of their
    /// `records` array with a cap of `max_element` bytes (the base64 text of a record is larger
    /// than the record).
    pub fn with_firehose_element_cap(mut self, max_element: u64) -> JsonFramer {
        self.max_firehose_element = max_element;
        self
    }

    /// A framer for the payload of one Firehose record: a `records` array is an ordinary member
    /// there (no Firehose body inside a Firehose record).
    pub fn without_firehose_bodies(mut self) -> JsonFramer {
        self.firehose_bodies = false;
        self
    }

    /// Why the framer stopped, if it did.
    pub fn stopped(&self) -> Option<&DecodeError> {
        self.stopped.as_ref()
    }

    /// Whether the framer no longer accepts input.
    pub fn is_stopped(&self) -> bool {
        self.st == St::Stopped
    }

    /// Scan `data`, pushing completed records to `out`. Returns the bytes consumed: all of
    /// them, unless the framer stopped (then up to and including the byte that stopped it,
    /// whatever the chunking; nothing once stopped).
    pub fn push(&mut self, data: &[u8], out: &mut VecDeque<RawRecord>) -> usize {
        let base = self.pos;
        if self.st == St::Stopped {
            return 0;
        }
        let n = data.len();
        // Start (in `data`) of the part of the current capture not yet appended.
        let mut seg: Option<usize> = self.cap.as_ref().map(|_| 0);
        let mut i = 0usize;
        while i < n {
            let Some(&b) = data.get(i) else { break };
            self.cur = base + i as u64;
            match self.st {
                St::Stopped => break,
                St::Top => {
                    if is_ws(b) {
                        i += 1;
                    } else if b == 0xef {
                        self.hex.clear();
                        self.hex.push(b);
                        self.st = St::Bom(1);
                        i += 1;
                    } else if b == b'{' {
                        self.started = true;
                        self.keys.clear();
                        self.saw_records = false;
                        self.in_records = false;
                        self.in_fh_records = false;
                        self.checked_first = false;
                        self.request_id = None;
                        self.request_id_buf = None;
                        self.cap = Some((
                            Capture::new(base + i as u64, self.max_record),
                            CapKind::Whole,
                        ));
                        seg = Some(i);
                        self.stack.push(true);
                        self.st = St::ObjFirst;
                        i += 1;
                    } else if !self.started {
                        if b == b'[' || b == b'"' {
                            let what = if b == b'[' { "an array" } else { "a string" };
                            self.stop(DecodeError::NotCloudtrail(format!(
                                "the top-level JSON value is {what}, not an object"
                            )));
                        } else {
                            self.hex.clear();
                            self.st = St::Unrecognized;
                        }
                    } else if matches!(b, b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n') {
                        self.stop(DecodeError::NotCloudtrail(format!(
                            "the top-level JSON value at byte {} is not an object",
                            base + i as u64
                        )));
                    } else {
                        self.stop(DecodeError::MalformedJson(format!(
                            "unexpected byte 0x{b:02x} between top-level values at byte {}",
                            base + i as u64
                        )));
                    }
                }
                St::Bom(k) => {
                    self.hex.push(b);
                    let expected = if k == 1 { 0xbb } else { 0xbf };
                    if b != expected {
                        if self.started {
                            self.stop(DecodeError::MalformedJson(format!(
                                "unexpected byte 0x{b:02x} between top-level values at byte {}",
                                base + i as u64
                            )));
                        } else {
                            self.st = St::Unrecognized;
                            self.check_hex_full();
                        }
                    } else if k == 2 {
                        self.hex.clear();
                        self.st = St::Top;
                    } else {
                        self.st = St::Bom(2);
                    }
                    i += 1;
                }
                St::Unrecognized => {
                    self.hex.push(b);
                    i += 1;
                    self.check_hex_full();
                }
                St::ObjFirst | St::ObjKey => {
                    if is_ws(b) {
                        i += 1;
                    } else if b == b'"' {
                        self.str_is_key = true;
                        self.collect_key = self.stack.len() == 1;
                        if self.collect_key {
                            self.key_buf.clear();
                            self.key_long = false;
                            self.key_is_records = false;
                            self.key_is_fh_records = false;
                            self.key_is_request_id = false;
                        }
                        self.st = St::Str;
                        i += 1;
                    } else if b == b'}' && self.st == St::ObjFirst {
                        self.close(data, &mut seg, i, out);
                        i += 1;
                    } else {
                        self.syntax_error(data, &mut seg, i, "expected a member name", out);
                    }
                }
                St::Colon => {
                    if is_ws(b) {
                        i += 1;
                    } else if b == b':' {
                        self.st = St::Value;
                        i += 1;
                    } else {
                        self.syntax_error(data, &mut seg, i, "expected `:`", out);
                    }
                }
                St::ArrFirst => {
                    if is_ws(b) {
                        i += 1;
                    } else if b == b']' {
                        self.close(data, &mut seg, i, out);
                        i += 1;
                    } else {
                        self.st = St::Value;
                    }
                }
                St::Value => {
                    if is_ws(b) {
                        i += 1;
                    } else {
                        self.value_start(data, &mut seg, i, out);
                        i += 1;
                    }
                }
                St::After => {
                    if is_ws(b) {
                        i += 1;
                    } else if b == b',' {
                        self.st = if self.stack.top() == Some(true) {
                            St::ObjKey
                        } else {
                            St::Value
                        };
                        i += 1;
                    } else if (b == b'}' && self.stack.top() == Some(true))
                        || (b == b']' && self.stack.top() == Some(false))
                    {
                        self.close(data, &mut seg, i, out);
                        i += 1;
                    } else {
                        let what = if b == b'}' || b == b']' {
                            "mismatched closing bracket"
                        } else {
                            "expected `,` or a closing bracket"
                        };
                        self.syntax_error(data, &mut seg, i, what, out);
                    }
                }
                St::Str => {
                    let rest = data.get(i..).unwrap_or_default();
                    match rest.iter().position(|&c| c == b'"' || c == b'\\') {
                        None => {
                            self.key_bytes(rest);
                            i = n;
                        }
                        Some(k) => {
                            self.key_bytes(rest.get(..k).unwrap_or_default());
                            i += k;
                            self.cur = base + i as u64;
                            if rest.get(k) == Some(&b'\\') {
                                self.key_bytes(b"\\");
                                self.st = St::StrEsc;
                            } else if self.str_is_key {
                                self.key_done();
                                self.st = St::Colon;
                            } else {
                                self.value_done(data, &mut seg, i + 1, out);
                            }
                            i += 1;
                        }
                    }
                }
                St::StrEsc => {
                    self.key_bytes(&[b]);
                    self.st = St::Str;
                    i += 1;
                }
                St::Scalar => {
                    if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.') {
                        i += 1;
                    } else {
                        // The terminator is not part of the value: handle it in `After`.
                        self.value_done(data, &mut seg, i, out);
                    }
                }
            }
        }
        if let (Some(s), Some((cap, _))) = (seg, self.cap.as_mut()) {
            cap.append(data.get(s..).unwrap_or_default());
        }
        self.pos = base + n as u64;
        match self.stop_end {
            Some(end) => usize::try_from(end.saturating_sub(base)).map_or(n, |c| c.min(n)),
            None => n,
        }
    }

    /// The input ended.
    pub fn finish(&mut self, out: &mut VecDeque<RawRecord>) {
        if self.st != St::Stopped {
            self.stop_end = Some(self.pos);
        }
        match self.st {
            St::Stopped => {}
            St::Top => {}
            St::Bom(_) | St::Unrecognized if !self.started => {
                let hex = hex_string(&self.hex);
                self.stop(DecodeError::UnrecognizedContent(hex));
            }
            St::Bom(_) => self.stop(DecodeError::MalformedJson(format!(
                "incomplete byte-order mark at the end of input (byte {})",
                self.pos
            ))),
            _ => {
                let msg = format!(
                    "unexpected end of input at byte {}: unterminated JSON value",
                    self.pos
                );
                self.cut_and_stop(DecodeError::MalformedJson(msg.clone()), msg, out);
            }
        }
    }

    /// Stop for a reason outside the framer (gzip error, cap): the record being captured, if
    /// any, becomes a cut record.
    pub fn abort(&mut self, error: DecodeError, reason: String, out: &mut VecDeque<RawRecord>) {
        if self.st == St::Stopped {
            return;
        }
        self.stop_end = Some(self.pos);
        self.cut_and_stop(error, reason, out);
    }

    /// Stop; the record being captured, if any, becomes a cut record.
    fn cut_and_stop(&mut self, error: DecodeError, reason: String, out: &mut VecDeque<RawRecord>) {
        if let Some((cap, kind)) = self.cap.take() {
            let mut rec = cap.into_cut(reason);
            if kind == CapKind::FirehoseElement {
                // A cut `records` element is still a Firehose record: its error document gets
                // the request's transport fields, and its text is held to the record cap like
                // any error text (the element cap is far larger than `max_record_bytes`).
                rec.kind = RecordKind::FirehoseRecord {
                    request_id: self.request_id.clone(),
                };
            }
            out.push_back(rec);
        }
        self.stop(error);
    }

    fn stop(&mut self, error: DecodeError) {
        if self.stop_end.is_none() {
            self.stop_end = Some(self.cur + 1);
        }
        self.st = St::Stopped;
        self.cap = None;
        if self.stopped.is_none() {
            self.stopped = Some(error);
        }
    }

    fn check_hex_full(&mut self) {
        if self.hex.len() >= HEX_BYTES {
            let hex = hex_string(&self.hex);
            self.stop(DecodeError::UnrecognizedContent(hex));
        }
    }

    fn key_bytes(&mut self, bytes: &[u8]) {
        if let Some(buf) = &mut self.request_id_buf {
            let room = MAX_REQUEST_ID.saturating_sub(buf.len()).min(bytes.len());
            buf.extend_from_slice(bytes.get(..room).unwrap_or_default());
        }
        if !self.collect_key || self.key_long {
            return;
        }
        if self.key_buf.len() + bytes.len() > MAX_KEY_LEN {
            self.key_long = true;
        } else {
            self.key_buf.extend_from_slice(bytes);
        }
    }

    fn key_done(&mut self) {
        if !self.collect_key {
            return;
        }
        self.collect_key = false;
        if self.key_long {
            return;
        }
        self.key_is_records = self.key_buf == b"Records";
        self.key_is_fh_records = self.key_buf == b"records";
        self.key_is_request_id = self.key_buf == b"requestId";
        let key = String::from_utf8_lossy(&self.key_buf).into_owned();
        if self.keys.len() < MAX_KEYS && !self.keys.contains(&key) {
            self.keys.push(key);
        }
    }

    /// A value starts with `data[i]` at the current depth.
    fn value_start(
        &mut self,
        data: &[u8],
        seg: &mut Option<usize>,
        i: usize,
        out: &mut VecDeque<RawRecord>,
    ) {
        let Some(&b) = data.get(i) else { return };
        let depth = self.stack.len();
        if !matches!(
            b,
            b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
        ) {
            self.syntax_error(data, seg, i, "expected a value", out);
            return;
        }
        if depth == 1 && self.key_is_records {
            self.key_is_records = false;
            if b == b'[' {
                self.saw_records = true;
                self.in_records = true;
                self.cap = None;
                *seg = None;
            } else {
                self.stop(DecodeError::NotCloudtrail(format!(
                    "`Records` is not an array (it is {}, at byte {})",
                    value_kind(b),
                    self.pos + i as u64
                )));
                return;
            }
        } else if depth == 1 && self.key_is_fh_records && self.firehose_bodies && !self.is_record()
        {
            self.key_is_fh_records = false;
            if b == b'[' {
                self.saw_records = true;
                self.in_records = true;
                self.in_fh_records = true;
                self.cap = None;
                *seg = None;
            } else {
                self.stop(DecodeError::NotCloudtrail(format!(
                    "`records` of a Firehose request body is not an array (it is {}, at byte {})",
                    value_kind(b),
                    self.pos + i as u64
                )));
                return;
            }
        } else if depth == 1 && self.key_is_request_id && b == b'"' {
            self.request_id_buf = Some(Vec::new());
        } else if depth == 2 && self.in_records && self.cap.is_none() {
            let (max, kind) = if self.in_fh_records {
                (self.max_firehose_element, CapKind::FirehoseElement)
            } else {
                (self.max_record, CapKind::Element)
            };
            self.cap = Some((Capture::new(self.pos + i as u64, max), kind));
            *seg = Some(i);
        }
        match b {
            b'{' | b'[' => {
                if self.stack.len() >= self.max_depth {
                    let actual = self.stack.len() as u64 + 1;
                    let error = DecodeError::LimitExceeded(LimitError {
                        limit: LimitKind::NestingDepth,
                        max: self.max_depth as u64,
                        actual,
                    });
                    let reason = format!(
                        "JSON nesting deeper than the framer's {} levels at byte {}",
                        self.max_depth,
                        self.pos + i as u64
                    );
                    self.flush_seg(data, seg, i + 1);
                    self.cut_and_stop(error, reason, out);
                    return;
                }
                self.stack.push(b == b'{');
                self.st = if b == b'{' {
                    St::ObjFirst
                } else {
                    St::ArrFirst
                };
            }
            b'"' => {
                self.str_is_key = false;
                self.collect_key = false;
                self.st = St::Str;
            }
            _ if depth == 1 => {
                // A scalar member value: not a key, and not the requestId string.
                self.key_is_fh_records = false;
                self.st = St::Scalar;
            }
            _ => self.st = St::Scalar,
        }
    }

    /// Close the container whose closing bracket is `data[i]`.
    fn close(
        &mut self,
        data: &[u8],
        seg: &mut Option<usize>,
        i: usize,
        out: &mut VecDeque<RawRecord>,
    ) {
        self.stack.pop();
        self.value_done(data, seg, i + 1, out);
    }

    /// A value ended just before `data[end]` at the current depth.
    fn value_done(
        &mut self,
        data: &[u8],
        seg: &mut Option<usize>,
        end: usize,
        out: &mut VecDeque<RawRecord>,
    ) {
        let depth = self.stack.len();
        let ends_capture = match self.cap {
            Some((_, CapKind::Whole)) => depth == 0,
            Some((_, CapKind::Element | CapKind::FirehoseElement)) => depth == 2,
            None => false,
        };
        if depth == 1
            && let Some(buf) = self.request_id_buf.take()
        {
            self.request_id = Some(Arc::from(String::from_utf8_lossy(&buf).as_ref()));
        }
        let mut finished = None;
        if ends_capture {
            self.flush_seg(data, seg, end);
            finished = self.cap.take();
        }
        if depth == 1 && self.in_records {
            self.in_records = false;
            self.in_fh_records = false;
        }
        self.st = if depth == 0 { St::Top } else { St::After };
        match finished {
            Some((cap, CapKind::Element)) => self.element_done(cap, out),
            Some((cap, CapKind::FirehoseElement)) => self.firehose_element_done(cap, out),
            Some((cap, CapKind::Whole)) => self.object_done(cap, out),
            None => {}
        }
    }

    /// A `Records` element is complete.
    fn element_done(&mut self, cap: Capture, out: &mut VecDeque<RawRecord>) {
        let rec = cap.into_record();
        if !self.checked_first
            && rec.body == RecordBody::Complete
            && rec.text.first() == Some(&b'{')
        {
            self.checked_first = true;
            if let Err(reason) = shape::check_records_element(&rec.text) {
                self.stop(DecodeError::NotCloudtrail(reason));
                return;
            }
        }
        out.push_back(rec);
    }

    /// An element of a Firehose body's `records` array is complete. The first one must look
    /// like a Firehose record (`data`, no Lambda-transformation `recordId`); later ones become
    /// documents or error documents whatever they hold.
    fn firehose_element_done(&mut self, cap: Capture, out: &mut VecDeque<RawRecord>) {
        let mut rec = cap.into_record();
        if !self.checked_first && rec.body == RecordBody::Complete {
            self.checked_first = true;
            if let Err(reason) = shape::check_firehose_element(&rec.text) {
                self.stop(DecodeError::NotCloudtrail(reason));
                return;
            }
        }
        rec.kind = RecordKind::FirehoseRecord {
            request_id: self.request_id.clone(),
        };
        out.push_back(rec);
    }

    /// The keys seen so far mark the current top-level object as a CloudTrail record (a
    /// `records` member there is an ordinary member).
    fn is_record(&self) -> bool {
        matches!(
            shape::classify_object(&self.keys),
            Shape::BareRecord | Shape::Digest
        )
    }

    /// A top-level object without a `Records` array is complete.
    fn object_done(&mut self, cap: Capture, out: &mut VecDeque<RawRecord>) {
        if self.saw_records {
            return;
        }
        match shape::classify_object(&self.keys) {
            Shape::Digest => out.push_back(cap.into_record()),
            Shape::BareRecord => {
                let rec = cap.into_record();
                if rec.body == RecordBody::Complete
                    && let Err(reason) = shape::check_bare_record(&rec.text)
                {
                    self.stop(DecodeError::NotCloudtrail(reason));
                    return;
                }
                out.push_back(rec);
            }
            Shape::CwlEnvelope => {
                let mut rec = cap.into_record();
                rec.kind = RecordKind::CwlEnvelope;
                out.push_back(rec);
            }
            Shape::EventBridge => {
                let mut rec = cap.into_record();
                rec.kind = RecordKind::EventBridge;
                out.push_back(rec);
            }
            Shape::NotCloudtrail(reason) => self.stop(DecodeError::NotCloudtrail(reason)),
        }
    }

    /// Append `data[seg..end]` to the capture.
    fn flush_seg(&mut self, data: &[u8], seg: &mut Option<usize>, end: usize) {
        if let (Some(s), Some((cap, _))) = (seg.take(), self.cap.as_mut()) {
            cap.append(data.get(s..end).unwrap_or_default());
        }
    }

    /// Bad structure at `data[i]`: the record being captured (bad byte included) is cut.
    fn syntax_error(
        &mut self,
        data: &[u8],
        seg: &mut Option<usize>,
        i: usize,
        what: &str,
        out: &mut VecDeque<RawRecord>,
    ) {
        let at = self.pos + i as u64;
        let shown = data.get(i).map_or(String::new(), |b| {
            if b.is_ascii_graphic() {
                format!(" (`{}`)", char::from(*b))
            } else {
                format!(" (0x{b:02x})")
            }
        });
        let msg = format!("{what} at byte {at}{shown}");
        self.flush_seg(data, seg, (i + 1).min(data.len()));
        self.cut_and_stop(DecodeError::MalformedJson(msg.clone()), msg, out);
    }
}

/// What a JSON value starting with `b` is, for messages.
fn value_kind(b: u8) -> &'static str {
    match b {
        b'{' => "an object",
        b'[' => "an array",
        b'"' => "a string",
        b't' | b'f' => "a boolean",
        b'n' => "null",
        _ => "a number",
    }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

/// Lower-case hex of `bytes`.
pub fn hex_string(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: u64 = 1 << 20;

    /// Frame `input` in chunks of `step`; records and the stop.
    fn frame(input: &[u8], step: usize, max: u64) -> (Vec<RawRecord>, Option<DecodeError>) {
        let mut f = JsonFramer::new(max);
        let mut out = VecDeque::new();
        for chunk in input.chunks(step.max(1)) {
            f.push(chunk, &mut out);
        }
        f.finish(&mut out);
        (out.into_iter().collect(), f.stopped().cloned())
    }

    fn texts(recs: &[RawRecord]) -> Vec<String> {
        recs.iter()
            .map(|r| String::from_utf8_lossy(&r.text).into_owned())
            .collect()
    }

    #[test]
    fn records_elements_are_emitted_verbatim_with_offsets() {
        let input =
            br#"{"Records":[ {"eventVersion":"1.08","a":[1,{"b":"}]"}]} ,{"eventTime":"x"}]}"#;
        for step in [1, 2, 5, input.len()] {
            let (recs, stop) = frame(input, step, MAX);
            assert_eq!(stop, None);
            assert_eq!(
                texts(&recs),
                [
                    r#"{"eventVersion":"1.08","a":[1,{"b":"}]"}]}"#,
                    r#"{"eventTime":"x"}"#
                ]
            );
            for r in &recs {
                let off = usize::try_from(r.offset).expect("offset");
                assert_eq!(&input[off..off + r.text.len()], r.text.as_slice());
                assert_eq!(r.size, r.text.len() as u64);
            }
        }
    }

    #[test]
    fn table_of_shapes_gives_records_or_a_typed_stop() {
        type Case<'a> = (&'a str, &'a [&'a str], Option<&'a str>);
        let cases: &[Case<'_>] = &[
            ("", &[], None),
            ("  \n\t ", &[], None),
            (r#"{"Records":[]}"#, &[], None),
            // Records after other members; the other members are ignored
            (
                r#"{"x":{"y":1},"Records":[{"eventVersion":"1"}],"z":2}"#,
                &[r#"{"eventVersion":"1"}"#],
                None,
            ),
            // concatenated and newline-separated documents
            (
                "{\"Records\":[{\"eventID\":\"1\"}]}{\"Records\":[{\"eventID\":\"2\"}]}\n{\"Records\":[{\"eventID\":\"3\"}]}\n",
                &[
                    r#"{"eventID":"1"}"#,
                    r#"{"eventID":"2"}"#,
                    r#"{"eventID":"3"}"#,
                ],
                None,
            ),
            // BOM then whitespace
            (
                "\u{feff} {\"Records\":[{\"eventID\":\"1\"}]}",
                &[r#"{"eventID":"1"}"#],
                None,
            ),
            // bare records, NDJSON
            (
                "{\"eventVersion\":\"1.08\"}\n{\"eventTime\":\"t\"}\n",
                &[r#"{"eventVersion":"1.08"}"#, r#"{"eventTime":"t"}"#],
                None,
            ),
            // digest
            (
                r#"{"digestStartTime":"a","logFiles":[]}"#,
                &[r#"{"digestStartTime":"a","logFiles":[]}"#],
                None,
            ),
            // non-object elements are records too
            (
                r#"{"Records":[{"eventID":"1"},"x",1,null,[],-2.5e3,true]}"#,
                &[
                    r#"{"eventID":"1"}"#,
                    r#""x""#,
                    "1",
                    "null",
                    "[]",
                    "-2.5e3",
                    "true",
                ],
                None,
            ),
            // Records not an array
            (
                r#"{"Records":{"eventVersion":"1"}}"#,
                &[],
                Some("NotCloudtrail"),
            ),
            (r#"{"Records":null}"#, &[], Some("NotCloudtrail")),
            // S3 notification
            (
                r#"{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","s3":{}}]}"#,
                &[],
                Some("NotCloudtrail"),
            ),
            (
                r#"{"Service":"Amazon S3","Event":"s3:TestEvent"}"#,
                &[],
                Some("NotCloudtrail"),
            ),
            // top-level not an object
            ("[1,2]", &[], Some("NotCloudtrail")),
            ("\"text\"", &[], Some("NotCloudtrail")),
            (
                "{\"eventVersion\":\"1\"}\n[1]",
                &[r#"{"eventVersion":"1"}"#],
                Some("NotCloudtrail"),
            ),
            // garbage
            ("hello world", &[], Some("UnrecognizedContent")),
            (
                "<html><body>error</body></html>",
                &[],
                Some("UnrecognizedContent"),
            ),
            ("123", &[], Some("UnrecognizedContent")),
            ("\u{feff}x", &[], Some("UnrecognizedContent")),
            // stray characters and mismatches
            (
                "{\"eventVersion\":\"1\"},{\"eventVersion\":\"2\"}",
                &[r#"{"eventVersion":"1"}"#],
                Some("MalformedJson"),
            ),
            (r#"{"Records":[{"a":1]]}"#, &[], Some("MalformedJson")),
            (
                r#"{"Records":[{"eventID":"1"} {"eventID":"2"}]}"#,
                &[r#"{"eventID":"1"}"#],
                Some("MalformedJson"),
            ),
            (r#"{"Records" 1}"#, &[], Some("MalformedJson")),
            (r#"{1:2}"#, &[], Some("MalformedJson")),
            // truncated
            (
                r#"{"Records":[{"eventID":"1"},{"eventID":"#,
                &[r#"{"eventID":"1"}"#],
                Some("MalformedJson"),
            ),
            (
                r#"{"Records":[{"eventID":"1"}"#,
                &[r#"{"eventID":"1"}"#],
                Some("MalformedJson"),
            ),
        ];
        for (input, want, stop) in cases {
            for step in [1, 3, usize::MAX] {
                let (recs, got_stop) = frame(input.as_bytes(), step, MAX);
                let complete: Vec<RawRecord> = recs
                    .iter()
                    .filter(|r| r.body == RecordBody::Complete)
                    .cloned()
                    .collect();
                assert_eq!(texts(&complete), *want, "{input:?} step {step}");
                let kind = got_stop.as_ref().map(|e| match e {
                    DecodeError::NotCloudtrail(_) => "NotCloudtrail",
                    DecodeError::MalformedJson(_) => "MalformedJson",
                    DecodeError::UnrecognizedContent(_) => "UnrecognizedContent",
                    _ => "other",
                });
                assert_eq!(kind, *stop, "{input:?} step {step}: {got_stop:?}");
            }
        }
    }

    #[test]
    fn a_syntax_error_cuts_the_record_being_captured_and_says_where() {
        let input = br#"{"Records":[{"eventID":"1"},{"eventID":"2"]}"#;
        let (recs, stop) = frame(input, 4, MAX);
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].body, RecordBody::Complete);
        assert!(matches!(&recs[1].body, RecordBody::Cut(m) if m.contains("byte 42")));
        assert_eq!(recs[1].text, br#"{"eventID":"2"]"#);
        assert!(matches!(stop, Some(DecodeError::MalformedJson(m)) if m.contains("byte 42")));
    }

    #[test]
    fn truncated_input_cuts_the_last_record_only() {
        let input = br#"{"Records":[{"eventID":"1"},{"eventID":"2","x":"abc"#;
        let (recs, stop) = frame(input, 7, MAX);
        assert_eq!(
            texts(&recs),
            [r#"{"eventID":"1"}"#, r#"{"eventID":"2","x":"abc"#]
        );
        assert!(matches!(&recs[1].body, RecordBody::Cut(m) if m.contains("end of input")));
        assert!(matches!(stop, Some(DecodeError::MalformedJson(_))));
    }

    #[test]
    fn oversized_records_keep_an_excerpt_and_scanning_continues() {
        let big = format!(r#"{{"eventID":"{}"}}"#, "x".repeat(5000));
        let input = format!(r#"{{"Records":[{{"eventID":"a"}},{big},{{"eventID":"b"}}]}}"#);
        for step in [1, 100, usize::MAX] {
            let (recs, stop) = frame(input.as_bytes(), step, 2000);
            assert_eq!(stop, None);
            assert_eq!(recs.len(), 3);
            assert_eq!(recs[1].body, RecordBody::TooLarge);
            assert_eq!(recs[1].size, big.len() as u64);
            assert_eq!(recs[1].text, big.as_bytes()[..EXCERPT_BYTES]);
            assert_eq!(texts(&recs[2..]), [r#"{"eventID":"b"}"#]);
        }
    }

    #[test]
    fn an_oversized_object_without_records_is_one_too_large_record() {
        let input = format!(r#"{{"eventVersion":"1","p":"{}"}}"#, "y".repeat(3000));
        let (recs, stop) = frame(input.as_bytes(), 64, 1000);
        assert_eq!(stop, None);
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].body, RecordBody::TooLarge);
        assert_eq!(recs[0].size, input.len() as u64);
    }

    #[test]
    fn deep_nesting_is_counted_not_recursed() {
        let depth = 100_000;
        let rec = format!(
            r#"{{"eventVersion":"1","p":{}{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let input = format!(r#"{{"Records":[{rec}]}}"#);
        let (recs, stop) = frame(input.as_bytes(), 4096, 1 << 20);
        assert_eq!(stop, None);
        assert_eq!(texts(&recs), [rec]);
        // Deeper than the framer's stack cap: a typed stop, the record cut.
        let input = format!(r#"{{"Records":[{{"p":{}"#, "[".repeat(3000));
        let (recs, stop) = frame(input.as_bytes(), 4096, 1000);
        assert!(
            matches!(
                stop,
                Some(DecodeError::LimitExceeded(LimitError {
                    limit: LimitKind::NestingDepth,
                    ..
                }))
            ),
            "{stop:?}"
        );
        assert!(matches!(
            recs.as_slice(),
            [RawRecord {
                body: RecordBody::Cut(_),
                ..
            }]
        ));
    }

    #[test]
    fn unrecognized_content_shows_at_most_16_bytes_of_hex_whatever_the_chunking() {
        for step in [1, 5, usize::MAX] {
            let (_, stop) = frame(b"  GIF89a-some-binary-content", step, MAX);
            assert_eq!(
                stop,
                Some(DecodeError::UnrecognizedContent(hex_string(
                    b"GIF89a-some-bina"
                )))
            );
            let (_, stop) = frame(b"PK", step, MAX);
            assert_eq!(stop, Some(DecodeError::UnrecognizedContent("504b".into())));
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut seed = 0x1234_5678_u32;
        for _ in 0..300 {
            let len = (seed % 200) as usize;
            let mut v = Vec::with_capacity(len);
            for _ in 0..len {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let alphabet = b"{}[]\":,\\ ab1Records\xef\xbb\xbf";
                v.push(alphabet[(seed >> 16) as usize % alphabet.len()]);
            }
            let _ = frame(&v, 3, 50);
        }
    }
}
