//! The bad-input corpus of `spec/reliability.md` §3 (C1–C9, J1–J16, T1–T12, F1–F10) and §5
//! item 3, run through the **wasm** engine: one row per case, built here (or read from
//! `../shared/samples/constructed/bad/` when present), asserting no trap, the outcome class, exact
//! counts (documents, error documents, skips by reason), the stop kind, the error kind of the
//! error documents, the accounting invariant, and byte-identical output from a second run and
//! from the native engine (R5). Every error message is checked for the payload canary (§4 rule 2:
//! diagnostics never embed payload content).
//!
//! The F rows hand a Firehose HTTP-endpoint request body to the decoder as the `serve` host does:
//! input mode `Auto` (the body is recognised from its bytes), the request's headers in the
//! source metadata, no S3 object. Body-level outcomes (F1, and the body cap of F10) are tested at
//! the decoder: its typed stop, which `serve` answers with 400 (413 for the decompressed-bytes
//! cap) and nothing written (`tests/serve.rs` tests the HTTP statuses themselves).

use cloudtrail_ecs_host::api::{
    DecodeError, Document, DocumentKind, LimitKind, Options, RATIO_GRACE_BYTES, SkipReason,
    SourceMeta,
};
use cloudtrail_ecs_host::{
    DecodeEngine, NativeEngine, Outcome, WasmConfig, WasmEngine, WasmRuntime,
};
use cloudtrail_ecs_plugin::json::{self, Map, Value};
use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::Write;

/// Planted in payloads; must never appear in an error message or a stop reason.
const CANARY: &str = "CANARY-SESSION-TOKEN-5f2b";

fn record(i: usize) -> String {
    format!(
        concat!(
            r#"{{"eventVersion":"1.08","userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLE{i}","#,
            r#""arn":"arn:aws:iam::111122223333:user/u{i}","accountId":"111122223333","userName":"u{i}"}},"#,
            r#""eventTime":"2024-05-01T10:00:{s:02}Z","eventSource":"sts.amazonaws.com","eventName":"GetSessionToken","#,
            r#""awsRegion":"us-east-1","sourceIPAddress":"192.0.2.{ip}","userAgent":"aws-cli/2.15.30","#,
            r#""requestParameters":{{"durationSeconds":3600}},"#,
            r#""responseElements":{{"credentials":{{"accessKeyId":"ASIAEXAMPLE","sessionToken":"{canary}"}}}},"#,
            r#""eventID":"00000000-0000-4000-8000-{i:012}","eventType":"AwsApiCall","recipientAccountId":"111122223333"}}"#
        ),
        i = i,
        s = i % 60,
        ip = i % 250 + 1,
        canary = CANARY
    )
}

/// A record with `field` replaced by raw JSON `value` (or added when absent).
fn record_with(i: usize, field: &str, value: &str) -> String {
    let base = record(i);
    let key = format!("\"{field}\":");
    match base.find(&key) {
        Some(start) => {
            let vstart = start + key.len();
            let vlen = json_value_len(&base[vstart..]);
            format!("{}{}{}", &base[..vstart], value, &base[vstart + vlen..])
        }
        None => format!("{},{key}{value}}}", &base[..base.len() - 1]),
    }
}

/// Length of the JSON value at the start of `s` (a string, a balanced container or a scalar).
fn json_value_len(s: &str) -> usize {
    let b = s.as_bytes();
    let (mut depth, mut in_str, mut esc) = (0i32, false, false);
    for (i, &c) in b.iter().enumerate() {
        if in_str {
            match (esc, c) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => {
                    in_str = false;
                    if depth == 0 {
                        return i + 1;
                    }
                }
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            b',' | b'}' | b']' if depth == 0 => return i,
            _ => {}
        }
    }
    b.len()
}

fn file(records: &[String]) -> String {
    format!(r#"{{"Records":[{}]}}"#, records.join(","))
}

fn three() -> String {
    file(&[record(1), record(2), record(3)])
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).expect("gzip write");
    e.finish().expect("gzip finish")
}

/// `n` bytes of spaces, gzipped at the best level (about 1000:1).
fn spaces_bomb(prefix: &[u8], n: usize) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::best());
    e.write_all(prefix).expect("write");
    let block = vec![b' '; 1 << 20];
    for _ in 0..n >> 20 {
        e.write_all(&block).expect("write");
    }
    e.finish().expect("finish")
}

fn shared_bad(name: &str) -> Option<Vec<u8>> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/samples/constructed/bad")
        .join(name);
    match std::fs::read(&p) {
        Ok(b) => Some(b),
        Err(_) => {
            println!("skipping: ../shared not found ({name})");
            None
        }
    }
}

/// Outcome class of `spec/reliability.md` §3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// Decoded to the end.
    Ok,
    /// Some documents, then a stop.
    Partial,
    /// A stop with no document before it.
    Permanent,
}

struct Row {
    name: String,
    input: Vec<u8>,
    meta: SourceMeta,
    options: Options,
    class: Class,
    events: u64,
    errors: u64,
    stop: Option<&'static str>,
    /// Skips by reason, exactly (in `SkipReason` order).
    skipped: Vec<(SkipReason, u64)>,
    /// Text every error document's `error.message` contains (the error kind).
    reason: Option<&'static str>,
    /// Extra checks on the documents and outcome.
    check: Option<fn(&[Document], &Outcome)>,
}

fn row(
    name: &str,
    input: impl Into<Vec<u8>>,
    class: Class,
    events: u64,
    errors: u64,
    stop: Option<&'static str>,
) -> Row {
    Row {
        name: name.to_owned(),
        input: input.into(),
        meta: meta(),
        options: Options::default(),
        class,
        events,
        errors,
        stop,
        skipped: Vec::new(),
        reason: None,
        check: None,
    }
}

impl Row {
    fn options(mut self, f: impl FnOnce(&mut Options)) -> Row {
        f(&mut self.options);
        self
    }

    fn check(mut self, f: fn(&[Document], &Outcome)) -> Row {
        self.check = Some(f);
        self
    }

    fn skipped(mut self, skipped: &[(SkipReason, u64)]) -> Row {
        self.skipped = skipped.to_vec();
        self
    }

    fn reason(mut self, reason: &'static str) -> Row {
        self.reason = Some(reason);
        self
    }

    /// A Firehose delivery: the headers' metadata instead of an S3 object.
    fn firehose(mut self) -> Row {
        self.meta = firehose_meta();
        self
    }
}

fn meta() -> SourceMeta {
    SourceMeta {
        bucket: Some("corpus-bucket".into()),
        object_key: Some(
            "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/corpus.json.gz".into(),
        ),
        received: "2024-05-01T12:00:00.000Z".into(),
        ..SourceMeta::default()
    }
}

const REQUEST_ID: &str = "ed4acda5-034f-9f42-bba1-f29aea6d7d8f";

/// What `serve` passes for a Firehose request (`spec/input-formats.md` §2.1 headers).
fn firehose_meta() -> SourceMeta {
    SourceMeta {
        received: "2024-05-01T12:00:00.000Z".into(),
        firehose_request_id: Some(REQUEST_ID.into()),
        firehose_source_arn: Some(
            "arn:aws:firehose:us-east-1:111122223333:deliverystream/cloudtrail-to-http".into(),
        ),
        common_attributes: vec![("source".into(), "corpus".into())],
        ..SourceMeta::default()
    }
}

// Standard base64 with padding, as Firehose writes `records[].data`.
use cloudtrail_ecs_plugin::input::base64::encode as b64;

/// A `records` element whose data is `payload`.
fn element(payload: &[u8]) -> String {
    format!(r#"{{"data":"{}"}}"#, b64(payload))
}

/// A Firehose request body around `elements` (texts of `records[]`).
fn body(elements: &[String]) -> String {
    format!(
        r#"{{"requestId":"{REQUEST_ID}","timestamp":1714521600000,"records":[{}]}}"#,
        elements.join(",")
    )
}

/// A CloudWatch Logs log event (`message` JSON-escaped).
fn log_event(id: &str, ts: u64, message: &str) -> String {
    format!(
        r#"{{"id":"{id}","timestamp":{ts},"message":{}}}"#,
        json::write::to_json(&Value::str(message))
    )
}

/// A CloudWatch Logs subscription envelope of the CloudTrail log group.
fn envelope(message_type: &str, events: &[String]) -> String {
    format!(
        r#"{{"messageType":"{message_type}","owner":"111122223333","logGroup":"aws-cloudtrail-logs-111122223333-0a1b2c3d","logStream":"111122223333_CloudTrail_us-east-1","subscriptionFilters":["cloudtrail-to-firehose"],"logEvents":[{}]}}"#,
        events.join(",")
    )
}

/// An envelope whose log events carry CloudTrail records `ids`.
fn ct_envelope(ids: &[usize]) -> String {
    let events: Vec<String> = ids
        .iter()
        .map(|&i| {
            log_event(
                &format!("3195310660696698337880902507980421114328961542429822{i:03}"),
                1_714_521_600_000 + i as u64,
                &record(i),
            )
        })
        .collect();
    envelope("DATA_MESSAGE", &events)
}

/// Every document of a Firehose row carries the transport fields of `firehose_meta`.
fn firehose_fields(docs: &[Document]) {
    for d in docs {
        let v = parse(d);
        assert_eq!(
            v.str_field("aws.kinesis.type"),
            Some("deliverystream"),
            "{}",
            d.json
        );
        assert_eq!(v.str_field("aws.kinesis.name"), Some("cloudtrail-to-http"));
        assert_eq!(v.str_field("aws.firehose.request_id"), Some(REQUEST_ID));
        assert_eq!(v.str_field("cloud.provider"), Some("aws"));
    }
}

fn stop_kind(e: &DecodeError) -> &'static str {
    match e {
        DecodeError::LimitExceeded(l) => match l.limit {
            LimitKind::DecompressedBytes => "DecompressedBytes",
            LimitKind::RecordBytes => "RecordBytes",
            LimitKind::NestingDepth => "NestingDepth",
            LimitKind::RecordsPerCall => "RecordsPerCall",
            LimitKind::CompressionRatio => "CompressionRatio",
            LimitKind::PayloadStringBytes => "PayloadStringBytes",
        },
        DecodeError::UnrecognizedContent(_) => "UnrecognizedContent",
        DecodeError::Decompression(_) => "Decompression",
        DecodeError::MalformedJson(_) => "MalformedJson",
        DecodeError::NotCloudtrail(_) => "NotCloudtrail",
        DecodeError::Finished => "Finished",
    }
}

/// The document as an object. serde_json (an independent parser) must accept it too, up to
/// its recursion limit of 128 (only the lifted-depth row goes deeper) and its f64 range (J10
/// keeps `1e400` as written).
fn parse(d: &Document) -> Map {
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&d.json) {
        assert!(
            {
                let e = e.to_string();
                e.contains("recursion limit") || e.contains("number out of range")
            },
            "document {} is not JSON: {e}",
            d.position
        );
    }
    match json::parse::parse(&d.json, &json::parse::ParseOptions { max_depth: 4096 }) {
        Ok(Value::Object(m)) => m,
        other => panic!("document {} is not a JSON object: {other:?}", d.position),
    }
}

fn error_messages(m: &Map) -> Vec<String> {
    match m.get_field("error.message") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => vec![],
    }
}

fn tags(m: &Map) -> Vec<String> {
    match m.get("tags") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => vec![],
    }
}

fn run(engine: &mut dyn DecodeEngine, r: &Row) -> (Vec<Document>, Outcome) {
    let mut docs = Vec::new();
    let outcome = engine
        .decode_stream(&mut &r.input[..], &r.meta, &r.options, &mut |d| {
            docs.push(d.clone());
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{}: the host call failed (trap?): {e}", r.name));
    (docs, outcome)
}

fn rows() -> Vec<Row> {
    use Class::{Ok as Fine, Partial, Permanent};
    let t = three();
    let mut crc = gz(t.as_bytes());
    let n = crc.len();
    crc[n - 6] ^= 0x55;
    let mut isize_bad = gz(t.as_bytes());
    let n = isize_bad.len();
    isize_bad[n - 2] ^= 0x01;
    let mut trailing = gz(t.as_bytes());
    trailing.extend_from_slice(b"garbage");
    let twenty = file(&(0..20).map(record).collect::<Vec<_>>());
    let full = gz(twenty.as_bytes());
    let truncated = full[..full.len() * 6 / 10].to_vec();
    let deep = |levels: usize| {
        format!(
            r#"{{"eventVersion":"1.08","eventTime":"2024-05-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"X","requestParameters":{}1{}}}"#,
            r#"{"a":"#.repeat(levels),
            "}".repeat(levels)
        )
    };
    let mut invalid_utf8 = br#"{"Records":[{"eventVersion":"1.08","eventTime":"2024-05-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"X","userAgent":"a"#.to_vec();
    invalid_utf8.extend_from_slice(b"\xff\xfe\xc0\xaf");
    invalid_utf8.extend_from_slice(br#"b"}]}"#);
    let many_keys = format!(
        "{{{}}}",
        (0..10_000)
            .map(|k| format!("\"k{k}\":{k}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let mut rows = vec![
        // 3.1 Container and compression
        row("C1 empty input", vec![], Fine, 0, 0, None),
        row("C1 gzip of nothing", gz(b""), Fine, 0, 0, None),
        row("C1 whitespace only", b" \n\t\r\n", Fine, 0, 0, None),
        row(
            "C2 plain JSON where gzip was expected",
            t.clone(),
            Fine,
            3,
            0,
            None,
        ),
        row(
            "C3 garbage",
            b"\x00\x01\x02 not json".to_vec(),
            Permanent,
            0,
            0,
            Some("UnrecognizedContent"),
        ),
        row(
            "C3 HTML error page",
            b"<html><body>503 Slow Down</body></html>".to_vec(),
            Permanent,
            0,
            0,
            Some("UnrecognizedContent"),
        ),
        row(
            "C3 zstd frame",
            b"\x28\xb5\x2f\xfd\x00\x58\x01\x00\x00".to_vec(),
            Permanent,
            0,
            0,
            Some("UnrecognizedContent"),
        ),
        row(
            "C4 truncated gzip",
            truncated,
            Partial,
            u64::MAX,
            1,
            Some("Decompression"),
        )
        .check(|docs, _| {
            // The complete records before the cut, in order, then one error document.
            let n = docs.len();
            assert!(n >= 2, "records before the cut");
            for (i, d) in docs[..n - 1].iter().enumerate() {
                assert_eq!(d.kind, DocumentKind::Event);
                let v = parse(d);
                assert_eq!(v.str_field("event.original"), Some(record(i).as_str()));
            }
            let last = parse(&docs[n - 1]);
            let msg = error_messages(&last).join(" | ");
            assert!(
                msg.starts_with(&format!("decoder: record {} at decoded byte ", n - 1)),
                "{msg}"
            );
            assert!(
                msg.contains("truncated gzip stream") && msg.contains("s3://corpus-bucket/"),
                "{msg}"
            );
        }),
        row(
            "C5 CRC32 mismatch",
            crc,
            Partial,
            3,
            0,
            Some("Decompression"),
        ),
        row(
            "C5 ISIZE mismatch",
            isize_bad,
            Partial,
            3,
            0,
            Some("Decompression"),
        ),
        row(
            "C6 multi-member gzip",
            [
                gz(&t.as_bytes()[..50]),
                gz(&t.as_bytes()[50..400]),
                gz(&t.as_bytes()[400..]),
            ]
            .concat(),
            Fine,
            3,
            0,
            None,
        ),
        row(
            "C7 trailing garbage after a member",
            trailing,
            Partial,
            3,
            0,
            Some("Decompression"),
        ),
        row(
            "C8 gzip bomb, default caps: the ratio cap stops it",
            spaces_bomb(b"", 64 << 20),
            Permanent,
            0,
            0,
            Some("CompressionRatio"),
        )
        .check(|_, o| {
            assert!(
                o.counts.bytes_decoded <= RATIO_GRACE_BYTES + (32 << 10),
                "{:?}",
                o.counts
            )
        }),
        row(
            "C8 gzip bomb after records, ratio cap off: the byte cap stops it",
            spaces_bomb(t.as_bytes(), 32 << 20),
            Partial,
            3,
            0,
            Some("DecompressedBytes"),
        )
        .options(|o| {
            o.limits.max_compression_ratio = 0;
            o.limits.max_decompressed_bytes = 8 << 20;
        })
        .check(|_, o| assert_eq!(o.counts.bytes_decoded, 8 << 20)),
        row(
            "C9 gzip inside gzip is not inflated twice",
            gz(&gz(t.as_bytes())),
            Permanent,
            0,
            0,
            Some("UnrecognizedContent"),
        ),
        // 3.2 JSON layer
        row(
            "J1 invalid UTF-8 in a string",
            invalid_utf8,
            Fine,
            1,
            0,
            None,
        )
        .check(|docs, _| {
            let v = parse(&docs[0]);
            assert!(tags(&v).contains(&"invalid_utf8".to_owned()));
            assert!(
                v.str_field("event.original")
                    .is_some_and(|s| s.contains('\u{fffd}'))
            );
        }),
        row("J2 UTF-8 BOM", format!("\u{feff}{t}"), Fine, 3, 0, None),
        row(
            "J3 syntax error mid-file",
            format!(
                r#"{{"Records":[{},{} x {}]}}"#,
                record(1),
                record(2),
                record(3)
            ),
            Partial,
            2,
            0,
            Some("MalformedJson"),
        ),
        row(
            "J3 unterminated file",
            t[..t.len() - 40].to_owned(),
            Partial,
            2,
            1,
            Some("MalformedJson"),
        ),
        row(
            "J4 top level an array",
            format!("[{}]", record(1)),
            Permanent,
            0,
            0,
            Some("NotCloudtrail"),
        ),
        row(
            "J4 top level a string",
            r#""Records""#,
            Permanent,
            0,
            0,
            Some("NotCloudtrail"),
        ),
        row(
            "J4 top level a number",
            "42",
            Permanent,
            0,
            0,
            Some("UnrecognizedContent"),
        ),
        row(
            "J4 top level null",
            "null",
            Permanent,
            0,
            0,
            Some("UnrecognizedContent"),
        ),
        row(
            "J5 Records missing, unknown shape",
            r#"{"foo":1,"bar":[1]}"#,
            Permanent,
            0,
            0,
            Some("NotCloudtrail"),
        ),
        row(
            "J5 Records missing, digest shape",
            r#"{"awsAccountId":"111122223333","digestStartTime":"2024-05-01T00:00:00Z","digestEndTime":"2024-05-01T01:00:00Z","digestS3Bucket":"b","digestS3Object":"k","newestEventTime":"2024-05-01T00:59:00Z","oldestEventTime":"2024-05-01T00:01:00Z","previousDigestS3Bucket":"b","previousDigestS3Object":"p","logFiles":[]}"#,
            Fine,
            1,
            0,
            None,
        ),
        row(
            "J6 Records an object",
            r#"{"Records":{"eventVersion":"1.08"}}"#,
            Permanent,
            0,
            0,
            Some("NotCloudtrail"),
        ),
        row(
            "J6 Records a string",
            r#"{"Records":"x"}"#,
            Permanent,
            0,
            0,
            Some("NotCloudtrail"),
        ),
        row(
            "J6 Records null",
            r#"{"Records":null}"#,
            Permanent,
            0,
            0,
            Some("NotCloudtrail"),
        ),
        row("J7 Records empty", r#"{"Records":[]}"#, Fine, 0, 0, None),
        row(
            "J8 elements that are not objects",
            format!(
                r#"{{"Records":[{},"x",1,true,[],{}]}}"#,
                record(1),
                record(2)
            ),
            Fine,
            2,
            4,
            None,
        ),
        row(
            "J9 10 000 levels of nesting in one record",
            file(&[record(1), deep(10_000), record(2)]),
            Fine,
            2,
            1,
            None,
        )
        .options(|o| o.limits.max_record_bytes = 1 << 20),
        row(
            "J9 511 levels with the depth cap lifted: no stack trouble in the guest",
            file(&[deep(510)]),
            Fine,
            1,
            0,
            None,
        )
        .options(|o| o.limits.max_depth = u32::MAX),
        row(
            "J10 huge and odd numbers",
            file(&[record_with(
                1,
                "requestParameters",
                r#"{"a":1e400,"b":18446744073709551617,"c":-0,"d":-0.0,"e":1234567890123456789012345678901234567890123456789012345678901234567890}"#,
            )]),
            Fine,
            1,
            0,
            None,
        ),
        row(
            "J11 duplicate eventTime",
            file(&[
                record(1),
                format!(
                    r#"{},"eventTime":"2024-05-01T00:00:00Z"}}"#,
                    &record(2)[..record(2).len() - 1]
                ),
                record(3),
            ]),
            Fine,
            2,
            1,
            None,
        ),
        row(
            "J12 concatenated files",
            format!("{t}{t}"),
            Fine,
            6,
            0,
            None,
        ),
        row(
            "J12 NDJSON of bare records",
            format!("{}\n{}\n", record(1), record(2)),
            Fine,
            2,
            0,
            None,
        ),
        row(
            "J13 trailing garbage after the value",
            format!("{t}xyz"),
            Partial,
            3,
            0,
            Some("MalformedJson"),
        ),
        row(
            "J14 NUL, control escapes and a lone surrogate",
            file(&[record_with(1, "userAgent", r#""a\u0000b\u001fc\ud800d""#)]),
            Fine,
            1,
            0,
            None,
        )
        .check(|docs, _| {
            let v = parse(&docs[0]);
            let ua = v.str_field("user_agent.original").unwrap_or_default();
            assert!(ua.contains('\0') && ua.contains('\u{1f}'), "{ua:?}");
        }),
        row(
            "J15 a 10 MB string is over the record cap",
            file(&[
                record(1),
                record_with(2, "userAgent", &format!("\"{}\"", "u".repeat(10 << 20))),
                record(3),
            ]),
            Fine,
            2,
            1,
            None,
        )
        .check(|docs, _| {
            let v = parse(&docs[1]);
            let msg = error_messages(&v).join(" | ");
            assert!(msg.contains("max_record_bytes"), "{msg}");
            let original = v.str_field("event.original").unwrap_or_default();
            assert!(original.len() <= 1024, "excerpt only");
        }),
        row(
            "J15 a payload string over its cap",
            file(&[record_with(
                1,
                "requestParameters",
                &format!(r#"{{"note":"{}"}}"#, "n".repeat(5000)),
            )]),
            Fine,
            0,
            1,
            None,
        )
        .options(|o| o.limits.max_payload_string_bytes = 4096)
        .check(|docs, _| {
            let v = parse(&docs[0]);
            assert!(v.get_field("aws.cloudtrail.request_parameters").is_none());
            let msg = error_messages(&v).join(" | ");
            assert!(
                msg.contains("max_payload_string_bytes cap of 4096 bytes"),
                "{msg}"
            );
        }),
        row(
            "J16 20 000 records, 500 per call",
            file(&(0..20_000).map(record).collect::<Vec<_>>()),
            Fine,
            20_000,
            0,
            None,
        )
        .options(|o| o.limits.max_records_per_call = 500),
        row(
            "J16 10 000 keys in one payload",
            file(&[record_with(1, "requestParameters", &many_keys)]),
            Fine,
            1,
            0,
            None,
        ),
        // 3.3 CloudTrail semantics
        row(
            "T1 eventTime missing",
            file(&[record_with(1, "eventTime", "null")]),
            Fine,
            1,
            0,
            None,
        )
        .check(|_, o| assert_eq!(o.counts.missing_event_time, 1)),
        row(
            "T2 eventTime malformed",
            file(&[
                record_with(1, "eventTime", r#""Mar 24, 2014 9:11:59 PM""#),
                record(2),
            ]),
            Fine,
            1,
            1,
            None,
        ),
        row(
            "T3 unknown and missing eventVersion",
            file(&[
                record_with(1, "eventVersion", r#""2.0""#),
                record_with(2, "eventVersion", "null"),
            ]),
            Fine,
            2,
            0,
            None,
        ),
        row(
            "T4 userIdentity a string",
            file(&[record_with(1, "userIdentity", r#""root""#)]),
            Fine,
            0,
            1,
            None,
        ),
        row(
            "T4 resources an object",
            file(&[record_with(1, "resources", r#"{"ARN":"arn:aws:s3:::b"}"#)]),
            Fine,
            0,
            1,
            None,
        ),
        row(
            "T4 readOnly a string",
            file(&[record_with(1, "readOnly", r#""true""#)]),
            Fine,
            1,
            0,
            None,
        ),
        row(
            "T5 sourceIPAddress not an IP",
            file(&[record_with(1, "sourceIPAddress", r#""AWS Internal""#)]),
            Fine,
            1,
            0,
            None,
        )
        .check(|docs, _| {
            let v = parse(&docs[0]);
            assert_eq!(v.str_field("source.address"), Some("AWS Internal"));
            assert!(v.get_field("source.ip").is_none());
        }),
        row(
            "T6 no eventID, and duplicate eventIDs",
            file(&[record_with(1, "eventID", "null"), record(2), record(2)]),
            Fine,
            3,
            0,
            None,
        ),
        row(
            "T8 Insight and NetworkActivity records",
            file(&[
                record_with(1, "eventCategory", r#""Insight""#),
                record_with(2, "eventCategory", r#""NetworkActivity""#),
            ]),
            Fine,
            2,
            0,
            None,
        ),
        row(
            "T9 a 300 KB record with AWS's omission marker",
            file(&[
                record_with(1, "userAgent", &format!("\"{}\"", "a".repeat(300_000))),
                record_with(
                    2,
                    "requestParameters",
                    r#"{"omitted":true,"originalSize":123456}"#,
                ),
            ]),
            Fine,
            2,
            0,
            None,
        ),
        row(
            "T10 redaction markers are kept verbatim",
            file(&[
                record_with(
                    1,
                    "userIdentity",
                    r#"{"type":"IAMUser","userName":"HIDDEN_DUE_TO_SECURITY_REASONS"}"#,
                ),
                record_with(
                    2,
                    "requestParameters",
                    r#"{"userData":"<sensitiveDataRemoved>"}"#,
                ),
            ]),
            Fine,
            2,
            0,
            None,
        )
        .check(|docs, _| {
            let a = parse(&docs[0]);
            assert_eq!(
                a.str_field("user.name"),
                Some("HIDDEN_DUE_TO_SECURITY_REASONS")
            );
            let b = parse(&docs[1]);
            let rp = b
                .str_field("aws.cloudtrail.request_parameters")
                .unwrap_or_default();
            assert!(rp.contains("<sensitiveDataRemoved>"), "{rp}");
        }),
        row(
            "T11 literal - and none values",
            file(&[record_with(
                1,
                "requestParameters",
                r#"{"a":"-","b":"none","c":"x"}"#,
            )]),
            Fine,
            1,
            0,
            None,
        )
        .check(|docs, _| {
            let v = parse(&docs[0]);
            assert_eq!(
                v.str_field("aws.cloudtrail.request_parameters"),
                Some("{c=x}")
            );
            let original = v.str_field("event.original").unwrap_or_default();
            assert!(original.contains(r#""a":"-""#));
        }),
        row(
            "T12 S3 event notification",
            r#"{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"2024-05-01T00:00:00.000Z","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"}}}]}"#,
            Permanent,
            0,
            0,
            Some("NotCloudtrail"),
        ),
        // Options that must be obeyed on bad input too.
        row(
            "keep_original = false drops event.original on error documents too",
            t[..t.len() - 40].to_owned(),
            Partial,
            2,
            1,
            Some("MalformedJson"),
        )
        .options(|o| o.keep_original = false)
        .check(|docs, _| {
            for d in docs {
                assert!(
                    parse(d).get_field("event.original").is_none(),
                    "document {}",
                    d.position
                );
            }
        }),
    ];
    rows.extend(firehose_rows());
    for (name, file, class, events, errors, stop) in [
        (
            "C4 shared truncated.json.gz",
            "truncated.json.gz",
            Partial,
            None,
            1,
            Some("Decompression"),
        ),
        (
            "J9 shared deep-nesting-10000.json",
            "deep-nesting-10000.json",
            Fine,
            Some(0),
            1,
            None,
        ),
        (
            "J9 shared deep-nesting-10000.json.gz",
            "deep-nesting-10000.json.gz",
            Fine,
            Some(0),
            1,
            None,
        ),
        (
            "J11 shared duplicate-keys.json",
            "duplicate-keys.json",
            Fine,
            Some(0),
            1,
            None,
        ),
        (
            "J1 shared invalid-utf8-in-string.json",
            "invalid-utf8-in-string.json",
            Fine,
            Some(1),
            0,
            None,
        ),
        (
            "J6 shared records-not-array.json.gz",
            "records-not-array.json.gz",
            Permanent,
            Some(0),
            0,
            Some("NotCloudtrail"),
        ),
        (
            "C8 shared 1 GiB gzip bomb",
            "gzip-bomb-1GiB-spaces.json.gz",
            Permanent,
            Some(0),
            0,
            Some("CompressionRatio"),
        ),
    ] {
        if let Some(bytes) = shared_bad(file) {
            let mut r = row(name, bytes, class, events.unwrap_or(u64::MAX), errors, stop);
            if events.is_none() {
                r.check = Some(|docs, _| assert!(docs.len() > 1, "records before the cut"));
            }
            rows.push(r);
        }
    }
    rows
}

/// `spec/reliability.md` §3.4: Firehose request bodies and CloudWatch Logs envelopes.
fn firehose_rows() -> Vec<Row> {
    use Class::{Ok as Fine, Partial, Permanent};
    use SkipReason::{ControlMessage, EmptyRecord};
    let good = element(&gz(ct_envelope(&[1, 2]).as_bytes()));
    let full = body(&[good.clone(), element(&gz(ct_envelope(&[3, 4]).as_bytes()))]);
    let mut bad_crc = gz(ct_envelope(&[5]).as_bytes());
    let n = bad_crc.len();
    bad_crc[n - 6] ^= 0x55;
    let big_plain = file(&(0..1700).map(record).collect::<Vec<_>>());
    assert!(big_plain.len() > 1_024_000);
    // A payload whose base64 ends in padding.
    let mut padded = record(3);
    while padded.len().is_multiple_of(3) {
        padded.push(' ');
    }
    let firehose_cap = |o: &mut Options| o.limits.max_record_decompressed_bytes = 1_024_000;
    let mut bomb = GzEncoder::new(Vec::new(), Compression::best());
    bomb.write_all(&vec![b' '; 2 << 20]).expect("write");
    let bomb = bomb.finish().expect("finish");
    let many = body(
        &(0..80)
            .map(|k| element(&gz(ct_envelope(&[k * 3, k * 3 + 1, k * 3 + 2]).as_bytes())))
            .collect::<Vec<_>>(),
    );
    assert!(many.len() > 64 << 10);
    let not_ct = Some("NotCloudtrail");
    let head = format!(r#""requestId":"{REQUEST_ID}","timestamp":1714521600000"#);
    let no_records = format!("{{{head}}}");
    let records_object = format!(r#"{{{head},"records":{{"data":""}}}}"#);
    let records_string = format!(r#"{{{head},"records":"x"}}"#);
    let lambda = format!(
        r#"{{"invocationId":"i","records":[{{"recordId":"1","data":"{}"}}]}}"#,
        b64(record(1).as_bytes())
    );
    let control: &[u8] = br#"{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1714521600000,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}"#;
    let flow = "2 111122223333 eni-0a1b2c3d4e5f 192.0.2.1 198.51.100.2 443 49152 6 10 840 \
                1714521600 1714521660 ACCEPT OK";
    let vpc = format!(
        r#"{{"messageType":"DATA_MESSAGE","owner":"111122223333","logGroup":"vpc-flow-logs","logStream":"eni-0a1b2c3d4e5f-all","subscriptionFilters":["all"],"logEvents":[{},{}]}}"#,
        log_event("v-1", 1_714_521_600_000, flow),
        log_event(
            "v-2",
            1_714_521_600_001,
            r#"{"level":"info","msg":"hello"}"#
        ),
    );
    let odd = format!(
        r#"{{"owner":"CloudwatchLogs","logGroup":"g","logStream":"","logEvents":[{}],"policyLevel":"ACCOUNT_LEVEL_POLICY"}}"#,
        log_event("o-1", 1_714_521_600_000, &record(1)),
    );
    vec![
        // F1: the whole request fails (a typed stop; `serve` answers 400), nothing emitted.
        row(
            "F1 body not JSON",
            "Request body: not JSON",
            Permanent,
            0,
            0,
            Some("UnrecognizedContent"),
        )
        .firehose(),
        row(
            "F1 body without records",
            no_records,
            Permanent,
            0,
            0,
            not_ct,
        )
        .firehose(),
        row(
            "F1 records an object",
            records_object,
            Permanent,
            0,
            0,
            not_ct,
        )
        .firehose(),
        row(
            "F1 records a string",
            records_string,
            Permanent,
            0,
            0,
            not_ct,
        )
        .firehose(),
        row(
            "F1 a Lambda transformation event",
            lambda,
            Permanent,
            0,
            0,
            not_ct,
        )
        .firehose(),
        row(
            "F1 truncated body: the records before the cut, the cut one's error document",
            full[..full.len() - 30].to_owned(),
            Partial,
            2,
            1,
            Some("MalformedJson"),
        )
        .firehose(),
        row(
            "F1/C1 empty records: a valid request",
            body(&[]),
            Fine,
            0,
            0,
            None,
        )
        .firehose(),
        // F2: bad base64 fails that record only.
        row(
            "F2 bad base64: illegal characters, no padding, URL-safe, embedded whitespace",
            body(&[
                good.clone(),
                r#"{"data":"not base64!"}"#.to_owned(),
                format!(
                    r#"{{"data":"{}"}}"#,
                    b64(padded.as_bytes()).trim_end_matches('=')
                ),
                r#"{"data":"eyJ9-_=="}"#.to_owned(),
                format!(
                    r#"{{"data":"{}\n{}"}}"#,
                    &b64(record(4).as_bytes())[..8],
                    &b64(record(4).as_bytes())[8..]
                ),
                format!(r#"{{"data":"{} "}}"#, b64(record(5).as_bytes())),
                element(record(6).as_bytes()),
            ]),
            Fine,
            3,
            5,
            None,
        )
        .firehose()
        .reason("Firehose record data is not valid base64")
        .check(|docs, _| firehose_fields(docs)),
        // F3: gzip magic but broken → that record's error; no magic → plain JSON.
        row(
            "F3 broken gzip records fail alone; plain JSON records decode",
            body(&[
                element(&gz(ct_envelope(&[1]).as_bytes())[..40]),
                element(&bad_crc),
                element(ct_envelope(&[2, 3]).as_bytes()),
                element(record(4).as_bytes()),
            ]),
            Fine,
            3,
            2,
            None,
        )
        .firehose()
        .reason("Firehose record data is gzip but cannot be inflated")
        .check(|docs, _| firehose_fields(docs)),
        // F4: control messages are counted skips.
        row(
            "F4 CONTROL_MESSAGE",
            body(&[element(&gz(control)), good.clone()]),
            Fine,
            2,
            0,
            None,
        )
        .firehose()
        .skipped(&[(ControlMessage, 1)]),
        // F5: nothing to emit.
        row(
            "F5 DATA_MESSAGE with empty logEvents, and an empty record",
            body(&[
                element(&gz(envelope("DATA_MESSAGE", &[]).as_bytes())),
                r#"{"data":""}"#.to_owned(),
            ]),
            Fine,
            0,
            0,
            None,
        )
        .firehose()
        .skipped(&[(EmptyRecord, 1)]),
        // F6: one error document per bad log event, keeping its CWL id and timestamp.
        row(
            "F6 log-event messages not JSON or truncated",
            body(&[element(&gz(envelope(
                "DATA_MESSAGE",
                &[
                    log_event("ev-1", 1_714_521_600_001, "not json at all"),
                    log_event(
                        "ev-2",
                        1_714_521_600_002,
                        &record(2)[..record(2).len() - 20],
                    ),
                    log_event("ev-3", 1_714_521_600_003, &record(3)),
                ],
            )
            .as_bytes()))]),
            Fine,
            1,
            2,
            None,
        )
        .firehose()
        .check(|docs, _| {
            firehose_fields(docs);
            // Not JSON: the decoder's error; truncated CloudTrail JSON: the pipeline's.
            let msg = |i: usize| error_messages(&parse(&docs[i])).join(" | ");
            assert!(
                msg(0).contains(
                    "log event ev-1 of log stream `111122223333_CloudTrail_us-east-1` is not a \
                     CloudTrail record"
                ),
                "{}",
                msg(0)
            );
            assert!(msg(1).contains("unexpected end of input"), "{}", msg(1));
            let ids: Vec<Option<String>> = docs
                .iter()
                .map(|d| parse(d).str_field("event.id").map(str::to_owned))
                .collect();
            assert_eq!(ids[0].as_deref(), Some("ev-1"));
            assert_eq!(ids[1].as_deref(), Some("ev-2"));
            let e = parse(&docs[0]);
            assert_eq!(e.str_field("@timestamp"), Some("2024-05-01T00:00:00.001Z"));
            assert_eq!(e.str_field("event.original"), Some("not json at all"));
        }),
        // F7: other log groups through the same stream: never a cloudtrail document.
        row(
            "F7 VPC flow logs and JSON of another shape",
            body(&[element(&gz(vpc.as_bytes()))]),
            Fine,
            0,
            2,
            None,
        )
        .firehose()
        .reason("of log stream `eni-0a1b2c3d4e5f-all` is not a CloudTrail record"),
        // F8: several envelopes in one record, concatenated or newline-joined; extracted messages.
        row(
            "F8 envelopes concatenated, newline-joined and in two gzip members; extracted messages",
            body(&[
                element(&gz(format!(
                    "{}{}",
                    ct_envelope(&[1]),
                    ct_envelope(&[2, 3])
                )
                .as_bytes())),
                element(&gz(format!(
                    "{}\n{}\n",
                    ct_envelope(&[4]),
                    ct_envelope(&[5])
                )
                .as_bytes())),
                element(
                    &[
                        gz(ct_envelope(&[6]).as_bytes()),
                        gz(ct_envelope(&[7]).as_bytes()),
                    ]
                    .concat(),
                ),
                element(format!("{}\n{}\n", record(8), record(9)).as_bytes()),
                element(record(10).as_bytes()),
            ]),
            Fine,
            10,
            0,
            None,
        )
        .firehose()
        .check(|docs, _| {
            firehose_fields(docs);
            let ids: Vec<String> = docs
                .iter()
                .map(|d| {
                    parse(d)
                        .str_field("user.name")
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect();
            let want: Vec<String> = (1..=10).map(|i| format!("u{i}")).collect();
            assert_eq!(ids, want, "every record, in order");
        }),
        // F9: odd envelope fields are tolerated.
        row(
            "F9 owner CloudwatchLogs, empty logStream, no messageType or filters",
            body(&[element(&gz(odd.as_bytes()))]),
            Fine,
            1,
            0,
            None,
        )
        .firehose()
        .check(|docs, _| {
            firehose_fields(docs);
            let v = parse(&docs[0]);
            assert_eq!(v.str_field("aws.cloudwatch.log_group"), Some("g"));
            // The empty stream name goes the way of every empty value (the reference's
            // pre-clean removes them).
            assert!(v.get_field("aws.cloudwatch.log_stream").is_none());
            assert!(v.get_field("aws.firehose.subscription_filters").is_none());
        }),
        // F10: a record over 1 000 KiB fails alone; a body over the cap stops (`serve`: 413).
        row(
            "F10 records over 1 000 KiB, plain and gzipped, fail alone",
            body(&[
                element(big_plain.as_bytes()),
                element(&gz(big_plain.as_bytes())),
                good.clone(),
            ]),
            Fine,
            2,
            2,
            None,
        )
        .firehose()
        .options(firehose_cap)
        .reason("max_record_decompressed_bytes"),
        row(
            "F10 a gzip record inflating past the cap fails alone",
            body(&[element(&bomb), good.clone()]),
            Fine,
            2,
            1,
            None,
        )
        .firehose()
        .options(firehose_cap)
        .reason("inflates to more than the max_record_decompressed_bytes cap of 1024000 bytes"),
        row(
            "F10 a body over the decompressed-bytes cap",
            many,
            Partial,
            216,
            1,
            Some("DecompressedBytes"),
        )
        .firehose()
        .options(|o| o.limits.max_decompressed_bytes = 64 << 10)
        .check(|docs, _| {
            // The 72 records before the cap, then the error document of the record the cap
            // cut (`serve` writes none of them: a stop is a 413 for the whole request).
            let (last, before) = docs.split_last().expect("documents");
            firehose_fields(before);
            let msg = error_messages(&parse(last)).join(" | ");
            assert!(
                msg.contains("the decoded input exceeds the cap of 65536 bytes"),
                "{msg}"
            );
        }),
    ]
}

#[test]
fn every_bad_input_class_gives_its_typed_outcome_through_the_wasm_engine() {
    let runtime = WasmRuntime::shared().expect("component");
    let mut wasm = WasmEngine::new(runtime, WasmConfig::default());
    let mut native = NativeEngine::new();
    // As the CLI does: an enricher without databases (user-agent parsing only) on both.
    wasm.set_geoip(None, None).expect("enricher");
    native.set_geoip(None, None).expect("enricher");
    let mut failures = Vec::new();
    for r in rows() {
        let (docs, outcome) = run(&mut wasm, &r);
        let c = &outcome.counts;
        // Accounting: every record became a document, an error document or a skip.
        assert!(c.balanced(), "{}: unbalanced {c:?}", r.name);
        assert_eq!(
            c.records,
            docs.len() as u64 + c.skipped_total(),
            "{}",
            r.name
        );
        let errors = docs
            .iter()
            .filter(|d| d.kind == DocumentKind::Error)
            .count() as u64;
        assert_eq!(errors, c.error_documents, "{}", r.name);
        let events = c.documents;
        let stop = outcome.stopped.as_ref().map(stop_kind);
        let class = match (&outcome.stopped, docs.is_empty()) {
            (None, _) => Class::Ok,
            (Some(_), true) => Class::Permanent,
            (Some(_), false) => Class::Partial,
        };
        let events_ok = r.events == u64::MAX || events == r.events;
        if !(events_ok
            && errors == r.errors
            && stop == r.stop
            && class == r.class
            && c.skipped == r.skipped)
        {
            failures.push(format!(
                "{}: got {class:?} {events} events, {errors} errors, skipped {:?}, stop {:?}; want {:?} {} events, {} errors, skipped {:?}, stop {:?}",
                r.name, c.skipped, outcome.stopped, r.class, r.events, r.errors, r.skipped, r.stop
            ));
            continue;
        }
        // No payload content in any diagnostic.
        for d in &docs {
            assert!(!d.json.contains('\n'), "{}: multi-line document", r.name);
            let v = parse(d);
            assert_eq!(
                d.kind == DocumentKind::Error,
                v.str_field("event.kind") == Some("pipeline_error"),
                "{}",
                r.name
            );
            for m in error_messages(&v) {
                assert!(
                    !m.contains(CANARY),
                    "{}: payload content in error.message: {m}",
                    r.name
                );
            }
            if let Some(want) = r.reason
                && d.kind == DocumentKind::Error
            {
                let msg = error_messages(&v).join(" | ");
                assert!(msg.contains(want), "{}: error kind: {msg}", r.name);
            }
        }
        if let Some(e) = &outcome.stopped {
            assert!(
                !e.to_string().contains(CANARY),
                "{}: payload content in the stop reason",
                r.name
            );
        }
        if let Some(check) = r.check {
            check(&docs, &outcome);
        }
        // R5: the same input again, and the native engine, give byte-identical output.
        let (again, outcome2) = run(&mut wasm, &r);
        assert!(
            again == docs && outcome2 == outcome,
            "{}: a second run differs",
            r.name
        );
        let (nat, outcome3) = run(&mut native, &r);
        if let Some((a, b)) = nat.iter().zip(&docs).find(|(a, b)| a != b) {
            panic!("{}: native and wasm differ:\n{a:?}\n{b:?}", r.name);
        }
        assert!(
            nat.len() == docs.len() && outcome3 == outcome,
            "{}: native and wasm differ: {outcome3:?} {outcome:?}",
            r.name
        );
    }
    assert!(
        failures.is_empty(),
        "{} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `spec/reliability.md` §2.6 / C8: the 1 GiB bomb sample stops at the ratio cap in well under
/// a second of guest time (the component is compiled before the clock starts).
#[test]
fn the_1_gib_gzip_bomb_stops_quickly_in_the_guest() {
    let Some(bomb) = shared_bad("gzip-bomb-1GiB-spaces.json.gz") else {
        return;
    };
    let runtime = WasmRuntime::shared().expect("component");
    let mut wasm = WasmEngine::new(runtime, WasmConfig::default());
    wasm.set_geoip(None, None).expect("instance ready");
    let start = std::time::Instant::now();
    let outcome = wasm
        .decode_stream(
            &mut &bomb[..],
            &meta(),
            &Options::default(),
            &mut |_| Ok(()),
        )
        .expect("no trap");
    let took = start.elapsed();
    println!(
        "1 GiB bomb through the wasm engine: {took:?}, {:?}",
        outcome.stopped
    );
    assert_eq!(
        outcome.stopped.as_ref().map(stop_kind),
        Some("CompressionRatio")
    );
    assert!(outcome.counts.bytes_decoded <= RATIO_GRACE_BYTES + (32 << 10));
    assert!(took < std::time::Duration::from_secs(5), "took {took:?}");
}
