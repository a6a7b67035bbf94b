//! Fuzz target bodies and their oracles (`spec/reliability.md` §2.5, §5 item 4).
//!
//! Each `pub fn <target>(data)` is one target: libFuzzer calls it from `fuzz_targets/<target>.rs`
//! (nightly, `cargo fuzz run <target>`), and `tests/smoke.rs` calls it on stable over [`seeds`]
//! plus [`Mutator`] mutations. A target returns normally or panics: every panic is a finding.
//!
//! Configuration (caps, chunking, options) comes from a hash of the input, so every byte stays
//! data (a gzip seed keeps its magic) and a crash reproduces from the bytes alone.
//!
//! Oracles, per target:
//! - [`gzip`]: same output and result for any chunking; output never past the cap; a stream we
//!   accept inflates to the same bytes with flate2's `MultiGzDecoder` (differential); with a
//!   ratio cap the output is a prefix of the uncapped output.
//! - [`framing`]: same records and stop for any chunking; offsets increase; a complete record is
//!   exactly the input bytes at its offset and within the record cap; an oversized one keeps
//!   exactly its first `EXCERPT_BYTES`.
//! - [`json_parse`]: depth cap respected; write → parse round trip gives the same value;
//!   differential with serde_json (both accept the same texts, except for our documented
//!   rejections of duplicate keys and depth and repair of lone surrogates).
//! - [`decode`]: the whole decoder: counts balance in every batch, positions are 0..n, ids are
//!   unique, documents are single-line JSON objects whose kind matches `event.kind`, caps hold
//!   (decoded bytes, per-call records, payload strings, excerpts), `keep_original` is obeyed, a
//!   re-run is byte-identical and any chunking gives the one-shot result.
//! - [`firehose`]: Firehose HTTP-endpoint bodies (raw, or record payloads we encode as Firehose
//!   does, some damaged, in a well-formed body): the [`decode`] oracle; a well-formed body stops
//!   only at a cap whatever its records hold (one bad record never fails the others); empty
//!   records are `EmptyRecord` skips; every document carries the Firehose transport fields.
//! - [`cwl`]: CloudWatch Logs envelopes: [`cwl::expand`] gives one skip for a control message,
//!   exactly one unit per log event for a data message (never a skip), else one error document,
//!   with record units CloudTrail-shaped and error texts bounded; and the [`decode`] oracle with
//!   the envelope raw, gzipped (one or two members) or inside a Firehose record.

use std::collections::VecDeque;
use std::io::{Read, Write};

use cloudtrail_ecs_plugin::api::{
    Batch, DecodeError, DocumentKind, InputMode, LimitKind, Limits, Options, OutputFormat,
    SkipReason, SourceMeta,
};
use cloudtrail_ecs_plugin::decoder::{self, Decoder};
use cloudtrail_ecs_plugin::input::firehose::FirehoseSource;
use cloudtrail_ecs_plugin::input::framing::{EXCERPT_BYTES, JsonFramer, RawRecord, RecordBody};
use cloudtrail_ecs_plugin::input::gzip::{GzipError, GzipInflater};
use cloudtrail_ecs_plugin::input::unit::{Context, Fields, Sink, Unit, UnitKind};
use cloudtrail_ecs_plugin::input::{cwl, shape};
use cloudtrail_ecs_plugin::json::java::to_java_string;
use cloudtrail_ecs_plugin::json::parse::{ParseErrorKind, ParseOptions, parse, parse_with_report};
use cloudtrail_ecs_plugin::json::write::to_json;
use cloudtrail_ecs_plugin::json::{Map, Value};

// ------------------------------------------------------------------------------------ helpers

/// FNV-1a: the configuration of one run, from the input bytes.
fn fnv(data: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325_u64;
    for &b in data {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A small deterministic generator (xorshift64*).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator; a zero seed is replaced.
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    /// Next value.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

/// Sorted cut points (0..=8 of them) in `0..=len`.
fn cuts(len: usize, seed: u64) -> Vec<usize> {
    let mut r = Rng::new(seed);
    let n = r.below(9);
    let mut c: Vec<usize> = (0..n).map(|_| r.below(len + 1)).collect();
    // Sometimes one-byte steps at the start: every header and sniffing boundary.
    if r.below(4) == 0 {
        c.extend(1..len.min(12));
    }
    c.sort_unstable();
    c
}

/// `data` split at the cut points.
fn chunks<'a>(data: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut prev = 0;
    for &c in cuts.iter().chain(std::iter::once(&data.len())) {
        let c = c.clamp(prev, data.len());
        out.push(&data[prev..c]);
        prev = c;
    }
    out
}

fn pick<T: Copy>(items: &[T], h: u64) -> T {
    items[(h % items.len() as u64) as usize]
}

// --------------------------------------------------------------------------------------- gzip

/// Inflate `input` in the given chunks (then an empty feed, then `finish`).
fn inflate(input: &[u8], cuts: &[usize], g: GzipInflater) -> (Vec<u8>, Result<(), GzipError>) {
    let mut g = g;
    let mut out = Vec::new();
    for chunk in chunks(input, cuts)
        .into_iter()
        .chain(std::iter::once(&[][..]))
    {
        let mut sink = |b: &[u8]| {
            out.extend_from_slice(b);
            true
        };
        if let Err(e) = g.feed(chunk, &mut sink) {
            return (out, Err(e));
        }
    }
    let r = g.finish();
    (out, r)
}

/// Half of the inputs are plain payloads that we compress (one or two members) and then
/// corrupt at places the input picks: valid headers and checksums reach the deflate and
/// trailer code, which raw mutation rarely does.
fn gzip_input(data: &[u8], h: u64) -> Vec<u8> {
    if h & 1 == 0 {
        return data.to_vec();
    }
    let mut r = Rng::new(h);
    let split = r.below(data.len() + 1);
    let level = flate2::Compression::new((r.below(10)) as u32);
    let mut out = Vec::new();
    for part in [&data[..split], &data[split..]] {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), level);
        e.write_all(part).expect("in-memory write");
        out.extend(e.finish().expect("in-memory finish"));
        if r.below(2) == 0 {
            break;
        }
    }
    for _ in 0..r.below(4) {
        let at = r.below(out.len());
        if let Some(b) = out.get_mut(at) {
            *b ^= (r.next_u64() as u8) | 1;
        }
    }
    if r.below(4) == 0 {
        let keep = r.below(out.len() + 1);
        out.truncate(keep);
    }
    out
}

/// Target `gzip`: the push-based multi-member inflater.
pub fn gzip(data: &[u8]) {
    let h = fnv(data);
    let input = gzip_input(data, h);
    let max = pick(&[0u64, 64, 4096, 1 << 20], h >> 8);
    let (out, result) = inflate(&input, &[], GzipInflater::new(max));
    let (out2, result2) = inflate(&input, &cuts(input.len(), h >> 16), GzipInflater::new(max));
    assert_eq!(result, result2, "chunking changed the result");
    assert!(out == out2, "chunking changed the output");
    assert!(out.len() as u64 <= max, "output past the cap");
    match &result {
        Ok(()) => {
            let mut reference = Vec::new();
            let flate = flate2::read::MultiGzDecoder::new(&input[..]).read_to_end(&mut reference);
            assert!(
                flate.is_ok(),
                "we accepted a stream flate2 rejects: {flate:?}"
            );
            assert!(reference == out, "flate2 inflates to other bytes");
        }
        Err(GzipError::TooLarge { max: m, actual }) => {
            assert_eq!(*m, max);
            assert!(*actual > max);
            assert_eq!(
                out.len() as u64,
                max,
                "exactly the allowed bytes are delivered"
            );
        }
        Err(GzipError::Corrupt(msg)) => assert!(!msg.is_empty()),
        Err(GzipError::RatioTooHigh { .. }) => panic!("no ratio cap was set"),
    }
    // With a tiny ratio cap: the output is a prefix of the uncapped output.
    let ratio = pick(&[1u64, 2, 8], h >> 24);
    let grace = pick(&[0u64, 64, 1024], h >> 28);
    let capped = GzipInflater::new(max).with_ratio_cap(ratio, grace);
    let (out3, result3) = inflate(&input, &cuts(input.len(), h >> 32), capped);
    assert!(out.starts_with(&out3), "the ratio cap changed the bytes");
    if let Err(GzipError::RatioTooHigh {
        max: m,
        actual,
        output,
        input: used,
    }) = result3
    {
        assert_eq!(m, ratio);
        assert!(actual >= ratio && output == out3.len() as u64);
        assert!(used <= input.len() as u64);
    }
}

// ------------------------------------------------------------------------------------ framing

fn frame(data: &[u8], cuts: &[usize], max_record: u64) -> (Vec<RawRecord>, Option<DecodeError>) {
    let mut f = JsonFramer::new(max_record);
    let mut q = VecDeque::new();
    for chunk in chunks(data, cuts) {
        let used = f.push(chunk, &mut q);
        assert!(used <= chunk.len());
        if used < chunk.len() {
            assert!(
                f.stopped().is_some(),
                "bytes left unconsumed without a stop"
            );
            break;
        }
    }
    f.finish(&mut q);
    (q.into_iter().collect(), f.stopped().cloned())
}

/// Target `framing`: the streaming JSON framer on plain bytes.
pub fn framing(data: &[u8]) {
    let h = fnv(data);
    let max_record = pick(&[1u64, 16, 64, 1024, 1 << 20], h);
    let (recs, stop) = frame(data, &[], max_record);
    let (recs2, stop2) = frame(data, &cuts(data.len(), h >> 8), max_record);
    assert_eq!(stop, stop2, "chunking changed the stop");
    assert!(recs == recs2, "chunking changed the records");
    let mut last_end = 0u64;
    for r in &recs {
        assert!(r.offset >= last_end, "records overlap or go backwards");
        let start = usize::try_from(r.offset).expect("offset fits");
        assert!(start <= data.len());
        let rest = &data[start..];
        match &r.body {
            RecordBody::Complete => {
                assert!(r.size <= max_record, "complete record over the cap");
                assert_eq!(r.size, r.text.len() as u64);
                assert!(rest.starts_with(&r.text), "record text is not the input");
            }
            RecordBody::TooLarge => {
                assert!(r.size > max_record);
                let n = usize::try_from(r.size).expect("size").min(EXCERPT_BYTES);
                assert!(r.text == rest[..n], "excerpt is not the first bytes");
            }
            RecordBody::Cut(reason) => {
                assert!(!reason.is_empty());
                assert!(rest.starts_with(&r.text), "cut text is not the input");
                assert!(r.text.len() as u64 <= max_record.max(EXCERPT_BYTES as u64));
            }
        }
        last_end = r.offset + r.size;
        assert!(last_end <= data.len() as u64);
    }
}

// --------------------------------------------------------------------------------- json_parse

fn depth(v: &Value) -> u32 {
    // Iterative: the fuzzer builds deep values.
    let mut max = 0;
    let mut stack = vec![(v, 0u32)];
    while let Some((v, d)) = stack.pop() {
        match v {
            Value::Array(a) => {
                max = max.max(d + 1);
                stack.extend(a.iter().map(|x| (x, d + 1)));
            }
            Value::Object(m) => {
                max = max.max(d + 1);
                stack.extend(m.iter().map(|(_, x)| (x, d + 1)));
            }
            _ => {}
        }
    }
    max
}

fn serde_accepts(text: &str) -> bool {
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    let ok = <serde_json::Value as serde::Deserialize>::deserialize(&mut de).is_ok();
    ok && de.end().is_ok()
}

/// Target `json_parse`: the strict parser, the writer and the Java formatter.
pub fn json_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let h = fnv(data);
    let max_depth = pick(&[1u32, 2, 8, 128, 4096], h);
    let opts = ParseOptions { max_depth };
    let ours = parse_with_report(text, &opts);
    let theirs = serde_accepts(text);
    // serde_json's `arbitrary_precision` (used so that `1e400` is valid JSON to it, as to us)
    // gives this one key a meaning of its own, which makes it reject valid JSON.
    let magic = text.contains("$serde_json::private::Number");
    match ours {
        Ok((v, report)) => {
            assert!(depth(&v) <= max_depth, "depth cap not respected");
            let written = to_json(&v);
            assert!(!written.contains('\n'), "writer emitted a raw newline");
            let again = parse(&written, &opts).expect("our own output parses");
            assert!(again == v, "write → parse is not the identity");
            assert_eq!(to_json(&again), written, "writing is not deterministic");
            if report.lone_surrogates == 0 && !magic {
                assert!(theirs, "we accept what serde_json rejects");
            }
            let java = to_java_string(&v);
            assert!(java.len() <= 64 * text.len() + 16, "Java form explodes");
        }
        Err(e) => {
            assert!(e.offset <= text.len(), "error offset outside the input");
            if theirs {
                assert!(
                    matches!(
                        e.kind,
                        ParseErrorKind::DuplicateKey(_) | ParseErrorKind::DepthLimit(_)
                    ),
                    "serde_json accepts what we reject: {e}"
                );
            }
        }
    }
}

// ------------------------------------------------------------------------------------- decode

/// Options and metadata of one run, from the hash.
fn decode_config(h: u64) -> (SourceMeta, Options) {
    let mut r = Rng::new(h);
    let meta = SourceMeta {
        bucket: Some("fuzz-bucket".into()),
        object_key: Some(pick(
            &[
                "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T0000Z_AbCdEf0123456789.json.gz",
                "other/key.json",
            ],
            r.next_u64(),
        ).to_owned()),
        source_name: None,
        received: "2024-05-01T12:00:00.000Z".into(),
        namespace: if r.below(2) == 0 { Some("default".into()) } else { None },
        ..SourceMeta::default()
    };
    let limits = Limits {
        max_decompressed_bytes: pick(&[128u64, 4096, 1 << 30], r.next_u64()),
        max_record_bytes: pick(&[32u64, 512, 1 << 20], r.next_u64()),
        max_depth: pick(&[2u32, 128, u32::MAX], r.next_u64()),
        max_records_per_call: pick(&[0u64, 1, 3, 100_000], r.next_u64()),
        max_compression_ratio: pick(&[0u64, 250], r.next_u64()),
        max_payload_string_bytes: pick(&[8u64, 1 << 20], r.next_u64()),
        max_record_decompressed_bytes: pick(&[64u64, 8 << 20], r.next_u64()),
    };
    let options = Options {
        format: pick(&[OutputFormat::Nested, OutputFormat::Flat], r.next_u64()),
        input_mode: pick(
            &[InputMode::Auto, InputMode::Auto, InputMode::MessageLines],
            r.next_u64(),
        ),
        retain: pick(
            &[
                None,
                Some("all"),
                Some("none"),
                Some("minimal"),
                Some("keyword"),
            ],
            r.next_u64(),
        )
        .map(str::to_owned),
        keep_original: r.below(4) != 0,
        limits,
        ..Options::default()
    };
    (meta, options)
}

/// The checks every batch must pass on its own.
fn check_batch(b: &Batch) {
    assert!(b.counts.balanced(), "unbalanced counts {:?}", b.counts);
    assert_eq!(
        b.counts.records,
        b.documents.len() as u64 + b.counts.skipped_total(),
        "every record is a document or a skip"
    );
    let errors = b
        .documents
        .iter()
        .filter(|d| d.kind == DocumentKind::Error)
        .count() as u64;
    assert_eq!(b.counts.error_documents, errors);
}

fn field<'a>(v: &'a serde_json::Value, dotted: &str) -> Option<&'a serde_json::Value> {
    // Nested or flat: try the dotted key at each level.
    if let Some(x) = v.get(dotted) {
        return Some(x);
    }
    let (head, rest) = dotted.split_once('.')?;
    field(v.get(head)?, rest)
}

/// The document checks; ids must be unique when the input has object metadata (without it an
/// id comes from `event.id`, so two units with one id are meant to collide: a retried Firehose
/// request gives the same ids).
fn check_documents(all: &Batch, meta: &SourceMeta, options: &Options) {
    let object = meta.bucket.is_some() || meta.object_key.is_some() || meta.source_name.is_some();
    let limits = &options.limits;
    let mut ids = std::collections::HashSet::new();
    for (i, d) in all.documents.iter().enumerate() {
        // Positions count records, skipped ones too (so ids do not depend on skips).
        if all.counts.skipped_total() == 0 {
            assert_eq!(d.position, i as u64, "positions are 0..n in order");
        } else {
            assert!(
                d.position >= i as u64 && d.position < all.counts.records,
                "positions are record positions"
            );
            if let Some(prev) = i.checked_sub(1) {
                assert!(
                    all.documents[prev].position < d.position,
                    "positions increase"
                );
            }
        }
        assert!(
            ids.insert(d.id.clone()) || !object,
            "duplicate id with object metadata"
        );
        assert!(
            !d.json.contains('\n') && !d.json.contains('\r'),
            "raw line break"
        );
        let mut de = serde_json::Deserializer::from_str(&d.json);
        de.disable_recursion_limit();
        let v = <serde_json::Value as serde::Deserialize>::deserialize(&mut de)
            .unwrap_or_else(|e| panic!("document {i} is not JSON: {e}"));
        de.end().expect("nothing after the document");
        assert!(v.is_object(), "document is not an object");
        let kind = field(&v, "event.kind").and_then(|k| k.as_str());
        assert_eq!(
            d.kind == DocumentKind::Error,
            kind == Some("pipeline_error"),
            "document kind and event.kind disagree"
        );
        for name in [
            "request_parameters",
            "response_elements",
            "additional_eventdata",
            "service_event_details",
        ] {
            if let Some(s) = field(&v, &format!("aws.cloudtrail.{name}")).and_then(|x| x.as_str()) {
                assert!(
                    s.len() as u64 <= limits.max_payload_string_bytes,
                    "payload string over its cap"
                );
            }
        }
        let original = field(&v, "event.original");
        if !options.keep_original {
            assert!(
                original.is_none(),
                "event.original kept against keep_original"
            );
        }
        if let Some(s) = original.and_then(|x| x.as_str()) {
            // Lossy UTF-8 repair can triple a byte (U+FFFD).
            let bound = 3 * limits.max_record_bytes.max(EXCERPT_BYTES as u64);
            assert!(
                s.len() as u64 <= bound,
                "event.original over the record cap"
            );
        }
    }
    assert!(
        all.counts.bytes_decoded <= limits.max_decompressed_bytes,
        "decoded past the cap"
    );
}

/// Target `decode`: the whole decode session on arbitrary bytes with arbitrary chunking.
pub fn decode(data: &[u8]) {
    let h = fnv(data);
    let (meta, options) = decode_config(h);
    decode_checked(data, &meta, &options, h);
}

/// The [`decode`] oracle on `input`: counts balance in every batch, documents are well formed
/// and within the caps, a re-run is identical, any chunking gives the one-shot result, and the
/// decoder refuses input after `finish`. Returns the one-shot batch for further checks.
fn decode_checked(input: &[u8], meta: &SourceMeta, options: &Options, h: u64) -> Batch {
    let one = decoder::decode(input, meta.clone(), options.clone(), None).expect("valid config");
    check_batch(&one);
    check_documents(&one, meta, options);
    let again = decoder::decode(input, meta.clone(), options.clone(), None).expect("valid config");
    assert!(again == one, "a re-run differs");
    // Chunked, with the per-call cap: the same documents, counts and stop.
    let cap = options.limits.max_records_per_call.max(1);
    let mut d = Decoder::new(meta.clone(), options.clone(), None).expect("valid config");
    let mut all = Batch::default();
    for chunk in chunks(input, &cuts(input.len(), h >> 7)) {
        let b = d.push(chunk);
        check_batch(&b);
        assert!(b.counts.records <= cap, "push exceeded the per-call cap");
        all.documents.extend(b.documents);
        all.counts.add(&b.counts);
        all.stopped = b.stopped.or(all.stopped);
    }
    let b = d.finish();
    check_batch(&b);
    all.documents.extend(b.documents);
    all.counts.add(&b.counts);
    all.stopped = b.stopped;
    assert_eq!(all.stopped, one.stopped, "chunking changed the stop");
    assert_eq!(all.counts, one.counts, "chunking changed the counts");
    assert!(
        all.documents == one.documents,
        "chunking changed the documents"
    );
    let after = d.push(b"x");
    assert_eq!(after.stopped, Some(DecodeError::Finished));
    one
}

// ----------------------------------------------------------------------------------- firehose

/// Separates the record payloads of a structured `firehose` input (ASCII record separator).
pub const RECORD_SEPARATOR: u8 = 0x1e;

/// Standard base64 with padding (what Firehose writes).
pub use cloudtrail_ecs_plugin::input::base64::encode as b64;

/// A Firehose HTTP-endpoint body around `elements` (the texts of `records[]`).
fn firehose_body(elements: &[String], request_id: &str, id_last: bool, pretty: bool) -> Vec<u8> {
    let sep = if pretty { ",\n  " } else { "," };
    let records = format!("[{}]", elements.join(sep));
    let (nl, sp) = if pretty { ("\n", " ") } else { ("", "") };
    let body = if id_last {
        format!(
            r#"{{{nl}"timestamp":{sp}1714521600000,{nl}"records":{sp}{records},{nl}"requestId":{sp}"{request_id}"{nl}}}"#
        )
    } else {
        format!(
            r#"{{{nl}"requestId":{sp}"{request_id}",{nl}"timestamp":{sp}1714521600000,{nl}"records":{sp}{records}{nl}}}"#
        )
    };
    body.into_bytes()
}

/// How the `firehose` target turned its input into a request body.
struct BuiltBody {
    /// The request id in the body.
    request_id: &'static str,
    /// Records whose payload is empty and whose `data` is intact: at least this many
    /// `EmptyRecord` skips.
    empty: u64,
}

/// Half of the inputs are request bodies as they are. The other half are record payloads
/// separated by [`RECORD_SEPARATOR`], each encoded as Firehose does (base64, often of gzip),
/// some damaged (base64 that is not strict, a cut gzip member), in a well-formed body that is
/// itself sometimes gzipped: valid base64 and gzip reach the payload code, which raw mutation
/// of a body rarely does.
fn firehose_input(data: &[u8], h: u64) -> (Vec<u8>, Option<BuiltBody>) {
    if h & 1 == 0 {
        return (data.to_vec(), None);
    }
    let mut r = Rng::new(h);
    let request_id = pick(&["ed4acda5-034f-9f42-bba1-f29aea6d7d8f", "r"], r.next_u64());
    let mut empty = 0;
    let mut elements = Vec::new();
    for payload in data.split(|b| *b == RECORD_SEPARATOR).take(256) {
        let (text, intact) = match r.below(10) {
            0..=3 => (b64(payload), true),
            4 | 5 => (b64(&gz(payload)), true),
            6 => {
                let at = r.below(payload.len() + 1);
                let mut two = gz(&payload[..at]);
                two.extend(gz(&payload[at..]));
                (b64(&two), true)
            }
            7 => {
                // A gzip member cut short (or one without its trailer).
                let full = gz(payload);
                let keep = r.below(full.len());
                (b64(&full[..keep]), false)
            }
            _ => {
                // Not strict base64: a character outside the alphabet (JSON-escaped where it
                // needs to be), whitespace, or padding removed.
                let mut t = b64(payload);
                let bad = pick(
                    &["-", "_", "\\n", " ", "!", "=", "\\u0000", "A"],
                    r.next_u64(),
                );
                if bad == "A" && t.ends_with('=') {
                    t.pop();
                } else {
                    let at = r.below(t.len() + 1);
                    t.insert_str(at, bad);
                }
                (t, false)
            }
        };
        if intact && payload.is_empty() {
            empty += 1;
        }
        let element = match r.below(6) {
            0 => format!(r#"{{ "data" : "{text}" }}"#),
            1 => format!(r#"{{"data":"{text}","extra":[1,{{"x":null}}]}}"#),
            _ => format!(r#"{{"data":"{text}"}}"#),
        };
        elements.push(element);
    }
    let mut body = firehose_body(&elements, request_id, r.below(8) == 0, r.below(4) == 0);
    if r.below(4) == 0 {
        body = gz(&body);
    }
    (body, Some(BuiltBody { request_id, empty }))
}

/// Source metadata of a Firehose delivery: what the HTTP host passes from the headers.
fn firehose_meta(h: u64, meta: SourceMeta) -> SourceMeta {
    let mut r = Rng::new(h ^ 0xf1e0);
    SourceMeta {
        bucket: None,
        object_key: None,
        firehose_request_id: if r.below(2) == 0 {
            Some("ed4acda5-034f-9f42-bba1-f29aea6d7d8f".into())
        } else {
            None
        },
        firehose_source_arn: pick(
            &[
                None,
                Some("arn:aws:firehose:us-east-1:111122223333:deliverystream/cloudtrail-to-http"),
                Some("arn:aws:firehose::1:deliverystream/"),
                Some("not an arn"),
            ],
            r.next_u64(),
        )
        .map(str::to_owned),
        common_attributes: if r.below(2) == 0 {
            vec![("source".into(), "cloudtrail".into())]
        } else {
            Vec::new()
        },
        ..meta
    }
}

/// The configuration of a Firehose delivery: [`decode_config`] with the metadata of
/// `firehose_meta` and the input mode the HTTP host uses (`Auto`: the body is recognised from
/// its bytes).
fn firehose_config(h: u64) -> (SourceMeta, Options) {
    let (meta, mut options) = decode_config(h >> 3);
    options.input_mode = InputMode::Auto;
    (firehose_meta(h, meta), options)
}

/// What the `firehose` target decodes for `data` (body, metadata, options): to reproduce a
/// finding outside the target.
pub fn firehose_case(data: &[u8]) -> (Vec<u8>, SourceMeta, Options) {
    let h = fnv(data);
    let (meta, options) = firehose_config(h);
    (firehose_input(data, h).0, meta, options)
}

fn skipped(b: &Batch, reason: SkipReason) -> u64 {
    b.counts
        .skipped
        .iter()
        .find(|(r, _)| *r == reason)
        .map_or(0, |(_, n)| *n)
}

/// A well-formed body may only stop at a volume cap (decompressed bytes or ratio).
fn only_volume_stops(batch: &Batch, what: &str) {
    match &batch.stopped {
        None => {}
        Some(DecodeError::LimitExceeded(l))
            if matches!(
                l.limit,
                LimitKind::DecompressedBytes | LimitKind::CompressionRatio
            ) => {}
        Some(other) => panic!("{what} stopped: {other}"),
    }
}

/// Target `firehose`: Firehose HTTP-endpoint request bodies through the whole decoder.
///
/// Oracle: the [`decode`] oracle, and for a body we built (well formed whatever its records
/// hold): the decoder never stops except at the decompressed-bytes or compression-ratio cap;
/// an empty record is an `EmptyRecord` skip; every document carries the transport fields
/// (`aws.kinesis.type: deliverystream`, `cloud.provider: aws`, `aws.firehose.request_id`);
/// one bad record never stops the others.
pub fn firehose(data: &[u8]) {
    let h = fnv(data);
    let (body, built) = firehose_input(data, h);
    let (meta, options) = firehose_config(h);
    let batch = decode_checked(&body, &meta, &options, h);
    let Some(built) = built else { return };
    only_volume_stops(&batch, "a well-formed Firehose body");
    if batch.stopped.is_none() {
        assert!(
            skipped(&batch, SkipReason::EmptyRecord) >= built.empty,
            "an empty record is not an EmptyRecord skip: {:?}",
            batch.counts
        );
    }
    let want_id = meta
        .firehose_request_id
        .as_deref()
        .unwrap_or(built.request_id);
    // Every document, also the error document of an element cut by a stop, carries the
    // request's transport fields.
    for d in &batch.documents {
        let v: serde_json::Value = {
            let mut de = serde_json::Deserializer::from_str(&d.json);
            de.disable_recursion_limit();
            serde::Deserialize::deserialize(&mut de).expect("checked JSON")
        };
        assert_eq!(
            field(&v, "aws.kinesis.type").and_then(|x| x.as_str()),
            Some("deliverystream"),
            "document {} lacks the Firehose transport fields: {}",
            d.position,
            d.json.chars().take(2000).collect::<String>()
        );
        assert_eq!(
            field(&v, "cloud.provider").and_then(|x| x.as_str()),
            Some("aws")
        );
        let id = field(&v, "aws.firehose.request_id").and_then(|x| x.as_str());
        if meta.firehose_request_id.is_some() || !body_has_id_last(&body) {
            assert_eq!(id, Some(want_id), "document {}: request id", d.position);
        }
    }
}

/// Whether the `requestId` of a body we built comes after `records` (then the body's id is
/// not known while the records stream by).
fn body_has_id_last(body: &[u8]) -> bool {
    let find = |pat: &[u8]| body.windows(pat.len()).position(|w| w == pat);
    match (find(b"\"requestId\""), find(b"\"records\"")) {
        (Some(i), Some(r)) => i > r,
        // Gzipped: the host id, if any, is what is checked.
        _ => true,
    }
}

// ---------------------------------------------------------------------------------------- cwl

/// The units [`cwl::expand`] gives for `text`, checked against the envelope contract
/// (`spec/input-formats.md` §3.2): a `CONTROL_MESSAGE` is one `ControlMessage` skip; a
/// `DATA_MESSAGE` (or no `messageType`) with a `logEvents` array is exactly one unit per log
/// event, each a CloudTrail record or an error document, never a skip; anything else is one
/// error document. Units are indexed 0..n, carry the base fields first, a record unit is
/// CloudTrail-shaped, and error texts and reasons are bounded.
fn cwl_units(text: &[u8], limits: &Limits) {
    let source = FirehoseSource::default();
    let ctx = Context {
        limits,
        firehose: &source,
    };
    let base: Fields = vec![("x.base", Value::str("b"))];
    let mut out = VecDeque::new();
    let mut sink = Sink::new(&mut out, 7, limits);
    cwl::expand(text, &base, &ctx, &mut sink);
    let units: Vec<Unit> = out.into_iter().collect();
    let opts = ParseOptions {
        max_depth: limits.max_depth.saturating_add(4),
    };
    let one_error = |units: &[Unit], why: &str| {
        assert!(
            matches!(
                units,
                [Unit {
                    kind: UnitKind::Error { .. },
                    ..
                }]
            ),
            "{why}: want one error document, got {units:?}"
        );
    };
    match parse(&String::from_utf8_lossy(text), &opts) {
        Ok(Value::Object(env)) => match env.get("messageType") {
            Some(Value::String(t)) if t == "CONTROL_MESSAGE" => assert!(
                matches!(
                    &units[..],
                    [Unit {
                        kind: UnitKind::Skip(SkipReason::ControlMessage),
                        ..
                    }]
                ),
                "control message: {units:?}"
            ),
            None | Some(Value::Null) => data_units(&env, &units, one_error),
            Some(Value::String(t)) if t == "DATA_MESSAGE" => data_units(&env, &units, one_error),
            Some(_) => one_error(&units, "unknown messageType"),
        },
        Ok(_) => one_error(&units, "not an object"),
        Err(_) => one_error(&units, "not JSON"),
    }
    let bound = limits.max_record_bytes.max(EXCERPT_BYTES as u64);
    for (i, u) in units.iter().enumerate() {
        assert_eq!((u.offset, u.index), (7, i as u64), "unit positions");
        match &u.kind {
            UnitKind::Record { text, body, size } => {
                assert_eq!(u.fields.first(), base.first(), "base fields come first");
                match body {
                    RecordBody::Complete => {
                        assert_eq!(*size, text.len() as u64);
                        assert!(*size <= limits.max_record_bytes);
                        assert!(
                            shape::is_cloudtrail_record(text).is_ok(),
                            "a record unit that is not CloudTrail-shaped"
                        );
                    }
                    _ => assert!(text.len() <= EXCERPT_BYTES && *size > limits.max_record_bytes),
                }
            }
            UnitKind::Error { original, reason } => {
                assert_eq!(u.fields.first(), base.first(), "base fields come first");
                assert!(
                    original.len() as u64 <= bound,
                    "error text over the record cap"
                );
                assert!(
                    !reason.is_empty() && reason.len() <= 2048,
                    "reason unbounded"
                );
            }
            UnitKind::Skip(r) => {
                assert_eq!(
                    *r,
                    SkipReason::ControlMessage,
                    "the only skip of an envelope"
                );
            }
        }
    }
}

fn data_units(env: &Map, units: &[Unit], one_error: impl Fn(&[Unit], &str)) {
    match env.get("logEvents") {
        Some(Value::Array(events)) => {
            assert_eq!(units.len(), events.len(), "one unit per log event");
            assert!(
                units.iter().all(|u| !matches!(u.kind, UnitKind::Skip(_))),
                "a log event was skipped: {units:?}"
            );
        }
        _ => one_error(units, "no logEvents array"),
    }
}

/// Target `cwl`: CloudWatch Logs subscription envelopes (JSON text), through [`cwl::expand`]
/// directly (oracle of `cwl_units`) and through the whole decoder raw, gzipped (one or two
/// members) and as the gzipped `data` of a Firehose record, with the [`decode`] oracle; an
/// envelope inside a well-formed Firehose body never stops the decoder except at a cap.
pub fn cwl(data: &[u8]) {
    let h = fnv(data);
    let (meta, options) = decode_config(h >> 5);
    cwl_units(data, &options.limits);
    let mut r = Rng::new(h);
    let (input, in_body) = match r.below(4) {
        0 => (data.to_vec(), false),
        1 => (gz(data), false),
        2 => {
            let at = r.below(data.len() + 1);
            ([gz(&data[..at]), gz(&data[at..])].concat(), false)
        }
        _ => {
            let el = format!(r#"{{"data":"{}"}}"#, b64(&gz(data)));
            (firehose_body(&[el], "r", false, false), true)
        }
    };
    let meta = if in_body {
        firehose_meta(h, meta)
    } else {
        meta
    };
    let batch = decode_checked(&input, &meta, &options, h);
    if in_body {
        only_volume_stops(&batch, "a Firehose body around an envelope");
    }
}

// -------------------------------------------------------------------------------------- seeds

/// A CloudTrail-like record of our own making (documentation IPs, example account).
fn record(i: usize) -> String {
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{{"type":"AssumedRole","principalId":"AROA:s{i}","arn":"arn:aws:sts::111122223333:assumed-role/r/s{i}","accountId":"111122223333","sessionContext":{{"attributes":{{"creationDate":"2024-05-01T00:00:00Z","mfaAuthenticated":"false"}}}}}},"eventTime":"2024-05-01T00:{:02}:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.{}","userAgent":"aws-cli/2.15.30 Python/3.11.8","requestParameters":{{"roleArn":"arn:aws:iam::111122223333:role/r","durationSeconds":3600,"n":1.5e3}},"responseElements":{{"credentials":{{"accessKeyId":"ASIAEXAMPLE","sessionToken":"FAKE-TOKEN"}}}},"resources":[{{"ARN":"arn:aws:iam::111122223333:role/r","type":"AWS::IAM::Role"}}],"eventID":"e-{i}","eventType":"AwsApiCall","recipientAccountId":"111122223333"}}"#,
        i % 60,
        i % 250 + 1
    )
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("in-memory write");
    e.finish().expect("in-memory finish")
}

/// A CloudWatch Logs subscription envelope whose log events carry `messages` (JSON-escaped).
fn envelope(message_type: &str, messages: &[&str]) -> String {
    let events: Vec<String> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mut msg = String::new();
            cloudtrail_ecs_plugin::json::write::write_string(m, &mut msg);
            format!(
                r#"{{"id":"3195310660696698337880902507980421114328961542429822{i:03}","timestamp":17145216001{i:02},"message":{msg}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"messageType":"{message_type}","owner":"111122223333","logGroup":"aws-cloudtrail-logs-111122223333-0a1b2c3d","logStream":"111122223333_CloudTrail_us-east-1","subscriptionFilters":["cloudtrail-to-firehose"],"logEvents":[{}]}}"#,
        events.join(",")
    )
}

/// Envelope seeds of the `cwl` target (`spec/input-formats.md` §3.2, `spec/reliability.md`
/// F4–F7, F9).
fn cwl_seeds() -> Vec<Vec<u8>> {
    let (a, b) = (record(1), record(2));
    vec![
        envelope("DATA_MESSAGE", &[&a, &b]).into_bytes(),
        envelope("DATA_MESSAGE", &[&a]).into_bytes(),
        envelope("DATA_MESSAGE", &[]).into_bytes(),
        br#"{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1714521600000,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}"#.to_vec(),
        envelope(
            "DATA_MESSAGE",
            &["[ERROR] not json", r#"{"bytes":1}"#, &a[..40], "2 111122223333 eni-0 192.0.2.1 198.51.100.2 443 49152 6 10 840 1714521600 1714521660 ACCEPT OK"],
        )
        .into_bytes(),
        format!(
            r#"{{"logGroup":"g","logStream":"","logEvents":[{{"id":"1","timestamp":"x","message":{}}},{{"id":2}},5,{{"id":"3","message":7}}]}}"#,
            to_json(&Value::str(a.as_str()))
        )
        .into_bytes(),
        format!(
            r#"{{"messageType":"DATA_MESSAGE","owner":"111122223333","logGroup":"g","logStream":"s","subscriptionFilters":["a","b"],"policyLevel":"ACCOUNT_LEVEL_POLICY","logEvents":[{{"id":"1","timestamp":1,"message":{},"extractedFields":{{"@aws.account":"999988887777","@aws.region":"us-west-2"}}}}]}}"#,
            to_json(&Value::str(b.as_str()))
        )
        .into_bytes(),
        br#"{"messageType":"OTHER","logEvents":[]}"#.to_vec(),
        br#"{"messageType":"DATA_MESSAGE","logEvents":{}}"#.to_vec(),
        br#"{"messageType":"DATA_MESSAGE","owner":"1","owner":"2","logEvents":[]}"#.to_vec(),
        br#"{"messageType":7,"logEvents":[]}"#.to_vec(),
        br#"{"messageType":"DATA_MESSAGE","logEvents":["#.to_vec(),
        format!(
            "{}\n{}",
            envelope("DATA_MESSAGE", &[&a]),
            envelope("CONTROL_MESSAGE", &["x"])
        )
        .into_bytes(),
    ]
}

/// Request-body seeds of the `firehose` target: whole bodies (`spec/input-formats.md` §2.1,
/// `spec/reliability.md` F1–F3, F8, F10), and record payloads joined by [`RECORD_SEPARATOR`]
/// for its structured half.
fn firehose_seeds() -> Vec<Vec<u8>> {
    let (a, b) = (record(1), record(2));
    let env = envelope("DATA_MESSAGE", &[&a, &b]);
    let control = envelope("CONTROL_MESSAGE", &["CWL CONTROL MESSAGE: Checking health"]);
    let detail = format!(
        r#"{{"version":"0","id":"6f1f1c5e-0000-4000-8000-000000000001","detail-type":"AWS API Call via CloudTrail","source":"aws.sts","account":"111122223333","time":"2024-05-01T00:00:01Z","region":"us-east-1","resources":[],"detail":{a}}}"#
    );
    let el = |payload: &[u8]| format!(r#"{{"data":"{}"}}"#, b64(payload));
    let body =
        |els: &[String]| firehose_body(els, "ed4acda5-034f-9f42-bba1-f29aea6d7d8f", false, false);
    let payloads: Vec<&[u8]> = vec![
        env.as_bytes(),
        control.as_bytes(),
        a.as_bytes(),
        detail.as_bytes(),
        b"",
        b"not json",
    ];
    let mut s = vec![
        body(&[el(&gz(env.as_bytes())), el(&gz(control.as_bytes()))]),
        body(&[el(env.as_bytes()), el(format!("{a}\n{b}\n").as_bytes())]),
        body(&[el(&gz(format!("{env}{env}").as_bytes()))]),
        body(&[
            el(detail.as_bytes()),
            el(format!(r#"{{"Records":[{a},{b}]}}"#).as_bytes()),
        ]),
        body(&[
            r#"{"data":""}"#.to_owned(),
            r#"{"data":"not base64!"}"#.to_owned(),
            r#"{"data":"eyJ9-_=="}"#.to_owned(),
            el(&gz(env.as_bytes())[..40]),
            el(b"hello"),
            r#"{"data":1}"#.to_owned(),
            r#"{"Data":"eyJ9"}"#.to_owned(),
        ]),
        body(&[]),
        gz(&body(&[el(&gz(env.as_bytes()))])),
        firehose_body(&[el(a.as_bytes())], "r", true, true),
        br#"{"requestId":"r","timestamp":1,"records":{}}"#.to_vec(),
        br#"{"requestId":"r","timestamp":1}"#.to_vec(),
        br#"{"requestId":"r","timestamp":1,"records":["x"]}"#.to_vec(),
        br#"{"invocationId":"i","records":[{"recordId":"1","data":""}]}"#.to_vec(),
        // The structured half: payloads separated by RECORD_SEPARATOR.
        payloads.join(&RECORD_SEPARATOR),
        [env.as_bytes(), a.as_bytes()].join(&RECORD_SEPARATOR),
        env.clone().into_bytes(),
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/samples/constructed/firehose");
    if let Ok(rd) = std::fs::read_dir(dir) {
        let mut paths: Vec<_> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.to_string_lossy().ends_with(".request.json")
                    || p.to_string_lossy().ends_with(".body.gz")
            })
            .collect();
        paths.sort();
        for p in paths {
            if let Ok(bytes) = std::fs::read(&p)
                && bytes.len() <= 64 << 10
            {
                s.push(bytes);
            }
        }
    }
    s
}

/// Seed inputs for `target`: generated cases of every §3 class, plus the shared samples when
/// `../shared` is beside the repository (small files only).
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let mut s = match target {
        "cwl" => cwl_seeds(),
        "firehose" => firehose_seeds(),
        _ => Vec::new(),
    };
    s.extend(generic_seeds(target));
    s
}

fn generic_seeds(target: &str) -> Vec<Vec<u8>> {
    let file = format!(r#"{{"Records":[{},{}]}}"#, record(1), record(2));
    let mut s: Vec<Vec<u8>> = vec![
        file.clone().into_bytes(),
        format!("{file}\n{file}").into_bytes(),
        format!("{}\n{}\n", record(3), record(4)).into_bytes(),
        format!("\u{feff}{file}").into_bytes(),
        br#"{"Records":[]}"#.to_vec(),
        br#"{"Records":[1,"x",null,[],{}]}"#.to_vec(),
        br#"{"Records":{"a":1}}"#.to_vec(),
        br#"{"digestStartTime":"2024-05-01T00:00:00Z","digestEndTime":"2024-05-01T01:00:00Z","awsAccountId":"111122223333","logFiles":[]}"#.to_vec(),
        br#"[{"eventVersion":"1"}] trailing"#.to_vec(),
        br#"{"a":{"a":{"a":[[[[[[1e400,-0,18446744073709551617,"\ud800","\u0000"]]]]]]}},"a":2}"#.to_vec(),
        b"\x00\x01<html>".to_vec(),
        Vec::new(),
    ];
    if target != "json_parse" {
        s.push(gz(file.as_bytes()));
        let mut two = gz(&file.as_bytes()[..100]);
        two.extend(gz(&file.as_bytes()[100..]));
        s.push(two);
        let full = gz(file.as_bytes());
        s.push(full[..full.len() / 2].to_vec());
        s.push(gz(&vec![b' '; 20_000]));
    }
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/samples/constructed");
    if let Ok(rd) = std::fs::read_dir(dir.join("bad")) {
        let mut paths: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            if let Ok(bytes) = std::fs::read(&p)
                && bytes.len() <= 64 << 10
            {
                s.push(bytes);
            }
        }
    }
    s
}

/// Byte-level mutations for the stable smoke mode (libFuzzer does its own).
pub struct Mutator {
    rng: Rng,
}

const TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b":",
    b",",
    b"\\",
    b"\\u",
    b"d800",
    b"\n",
    b"\r\n",
    b" ",
    b"\"Records\":[",
    b"null",
    b"1e999",
    b"\xef\xbb\xbf",
    b"\x1f\x8b\x08",
    b"\xff",
    b"\x00",
    b"\"eventTime\":\"x\"",
    b"\"requestParameters\":{",
];

impl Mutator {
    /// A mutator with a fixed seed.
    pub fn new(seed: u64) -> Mutator {
        Mutator {
            rng: Rng::new(seed),
        }
    }

    /// One to four mutations of `input` (may splice in `other`).
    pub fn mutate(&mut self, input: &[u8], other: &[u8]) -> Vec<u8> {
        let mut v = input.to_vec();
        for _ in 0..=self.rng.below(4) {
            let r = &mut self.rng;
            let at = r.below(v.len() + 1);
            match r.below(7) {
                0 if !v.is_empty() => {
                    let i = r.below(v.len());
                    v[i] ^= 1 << r.below(8);
                }
                1 => {
                    let t = TOKENS[r.below(TOKENS.len())];
                    v.splice(at..at, t.iter().copied());
                }
                2 if !v.is_empty() => {
                    let end = (at + r.below(32)).min(v.len());
                    v.drain(at..end);
                }
                3 if !v.is_empty() => {
                    let i = r.below(v.len());
                    let end = (i + r.below(64)).min(v.len());
                    let piece = v[i..end].to_vec();
                    v.splice(at..at, piece);
                }
                4 => v.truncate(at),
                5 if !other.is_empty() => {
                    let i = r.below(other.len());
                    let end = (i + r.below(256)).min(other.len());
                    v.splice(at..at, other[i..end].iter().copied());
                }
                _ => {
                    let b = r.next_u64() as u8;
                    v.insert(at, b);
                }
            }
        }
        v
    }
}
