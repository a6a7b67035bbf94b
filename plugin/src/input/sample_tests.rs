//! The Firehose, CloudWatch Logs and EventBridge samples of `../shared/samples` through the
//! whole decoder (`spec/input-formats.md` §2–§3, §6; `spec/reliability.md` §3.4), and the
//! S3 ↔ CloudWatch Logs parity of `spec/elastic-parity.md` §4.

use crate::api::{Batch, DecodeError, DocumentKind, Options, SkipReason, SourceMeta};
use crate::decoder::decode;
use crate::json::parse::{ParseOptions, parse};
use crate::json::{Map, Value};

const RECEIVED: &str = "2026-11-29T17:00:00.000Z";
const ARN: &str = "arn:aws:firehose:us-east-1:111122223333:deliverystream/cloudtrail-to-http";

fn shared() -> Option<std::path::PathBuf> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/samples");
    if p.is_dir() {
        Some(p)
    } else {
        println!("skipping: ../shared not found");
        None
    }
}

fn meta() -> SourceMeta {
    SourceMeta {
        received: RECEIVED.into(),
        namespace: Some("default".into()),
        firehose_source_arn: Some(ARN.into()),
        common_attributes: vec![("source".into(), "cloudtrail".into())],
        ..SourceMeta::default()
    }
}

fn run(bytes: &[u8]) -> Batch {
    let b = decode(bytes, meta(), Options::default(), None).expect("config");
    assert!(b.counts.balanced(), "unbalanced {:?}", b.counts);
    assert_eq!(
        b.documents.len() as u64,
        b.counts.documents + b.counts.error_documents
    );
    b
}

fn doc(d: &crate::api::Document) -> Map {
    match parse(&d.json, &ParseOptions { max_depth: 512 }) {
        Ok(Value::Object(m)) => m,
        other => panic!("not an object: {other:?}"),
    }
}

fn error_text(m: &Map) -> String {
    match m.get_field("error.message") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => String::new(),
    }
}

/// Error documents made by the envelope layer (not by the pipeline).
fn envelope_errors(b: &Batch) -> usize {
    const MARKERS: [&str; 4] = [
        "Firehose record",
        "log event ",
        "CloudWatch Logs envelope",
        "EventBridge event",
    ];
    b.documents
        .iter()
        .filter(|d| d.kind == DocumentKind::Error)
        .filter(|d| {
            let e = error_text(&doc(d));
            MARKERS.iter().any(|m| e.contains(m))
        })
        .count()
}

fn skips(b: &Batch, r: SkipReason) -> u64 {
    b.counts
        .skipped
        .iter()
        .find(|(x, _)| *x == r)
        .map_or(0, |(_, n)| *n)
}

/// Every Firehose/CWL/EventBridge sample: units, control and empty skips, and error documents
/// of the envelope layer, as the manifest describes the files (F1–F9).
#[test]
fn every_envelope_sample_decodes_with_balanced_counts_and_the_manifest_numbers() {
    let Some(dir) = shared() else { return };
    // (file, units, control skips, empty skips, envelope-layer error documents)
    let cases: &[(&str, u64, u64, u64, usize)] = &[
        // DATA (Panther 0-9), CONTROL, DATA (Panther 10-19 + the Insights record)
        (
            "constructed/firehose/cwl-subscription.request.json",
            22,
            1,
            0,
            0,
        ),
        (
            "constructed/firehose/cwl-subscription.request.body.gz",
            22,
            1,
            0,
            0,
        ),
        // 3 records × the same two envelopes (3 + 3 events)
        (
            "constructed/firehose/cwl-concatenated.request.json",
            18,
            0,
            0,
            0,
        ),
        // DATA (Panther 34-39), CONTROL
        (
            "constructed/firehose/cwl-decompressed.request.json",
            7,
            1,
            0,
            0,
        ),
        // records 0-7 one event each, record 8 two newline-joined
        (
            "constructed/firehose/cwl-message-extraction.request.json",
            10,
            0,
            0,
            0,
        ),
        ("constructed/firehose/eventbridge.request.json", 8, 0, 0, 0),
        // record 0 bad base64, record 1 a 2-event envelope
        ("constructed/bad/invalid-base64.request.json", 3, 0, 0, 1),
        // plain text, gzip of XML, a 2-event envelope
        ("constructed/bad/record-not-json.request.json", 4, 0, 0, 2),
        // Vector's example: two JSON access-log messages, not CloudTrail
        ("vector/firehose-request-cwl.body.json", 2, 0, 0, 2),
        (
            "constructed/decoded/vector-firehose-request-cwl.record0.gz",
            2,
            0,
            0,
            2,
        ),
        (
            "constructed/decoded/vector-firehose-request-cwl.record0.json",
            2,
            0,
            0,
            2,
        ),
        (
            "constructed/decoded/aws-lambda-rust-cloudwatch_logs-event.data.gz",
            2,
            0,
            0,
            2,
        ),
        (
            "constructed/decoded/aws-lambda-rust-cloudwatch_logs-event.data.json",
            2,
            0,
            0,
            2,
        ),
        (
            "constructed/eventbridge/aws-api-call-via-cloudtrail.envelope.json",
            1,
            0,
            0,
            0,
        ),
        (
            "aws-lambda-rust/example-eventbridge-event-obj.json",
            1,
            0,
            0,
            1,
        ),
        (
            "aws-lambda-rust/example-eventbridge-schedule.json",
            1,
            0,
            0,
            1,
        ),
        ("otel/cloudtrail_log_cw.json", 1, 0, 0, 0),
        ("otel/cloudtrail_log_cw_reordered.json", 1, 0, 0, 0),
        ("otel/cwl_extracted_fields_both.json", 1, 0, 0, 1),
        ("otel/cwl_multiple_records.json", 2, 0, 0, 2),
        ("otel/cwl_only_control.json", 1, 1, 0, 0),
        (
            "otel/subscription_filter_extracted_fields_both.json",
            1,
            0,
            0,
            1,
        ),
        (
            "otel/subscription_filter_multiple_json_objects.json",
            2,
            0,
            0,
            2,
        ),
        // three truncated CloudTrail messages: the pipeline's JSON errors (F6)
        (
            "otel/subscription_filter_valid_cloudwatch_log.json",
            3,
            0,
            0,
            0,
        ),
        (
            "otel/subscription_filter_valid_cloudwatch_log_control.json",
            1,
            1,
            0,
            0,
        ),
    ];
    for &(rel, units, control, empty, layer_errors) in cases {
        let bytes = std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let b = run(&bytes);
        assert_eq!(b.stopped, None, "{rel}");
        assert_eq!(b.counts.records, units, "{rel}: {:?}", b.counts);
        assert_eq!(skips(&b, SkipReason::ControlMessage), control, "{rel}");
        assert_eq!(skips(&b, SkipReason::EmptyRecord), empty, "{rel}");
        assert_eq!(envelope_errors(&b), layer_errors, "{rel}");
        let positions: Vec<u64> = b.documents.iter().map(|d| d.position).collect();
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]) && positions.iter().all(|&p| p < units),
            "{rel}: positions {positions:?}"
        );
        println!(
            "{rel}: {} units, {} documents, {} error documents ({layer_errors} from envelopes), {} skipped",
            b.counts.records,
            b.counts.documents,
            b.counts.error_documents,
            b.counts.skipped_total()
        );
    }
}

/// Lambda-side envelopes and the Firehose *Lambda transformation* contract are not HTTP
/// endpoint bodies: a typed stop, no documents (the host answers 400).
#[test]
fn lambda_side_envelopes_stop_as_not_cloudtrail() {
    let Some(dir) = shared() else { return };
    for rel in [
        "aws-lambda-rust/example-cloudwatch_logs-event.json",
        "aws-lambda-go/cloudwatch-logs-event.json",
        "aws-lambda-rust/example-firehose-event.json",
        "aws-lambda-rust/example-kinesis-firehose-event.json",
        "aws-lambda-rust/example-kinesis-firehose-response.json",
        "aws-lambda-go/kinesis-firehose-event.json",
    ] {
        let bytes = std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let b = run(&bytes);
        assert!(
            matches!(b.stopped, Some(DecodeError::NotCloudtrail(_))),
            "{rel}: {:?}",
            b.stopped
        );
        assert_eq!(b.counts.records, 0, "{rel}");
    }
}

/// Bodies that are not a Firehose request: stopped, typed, nothing emitted (F1).
#[test]
fn malformed_bodies_stop_with_a_typed_error_and_no_documents() {
    let cases: &[(&str, &str)] = &[
        ("not json at all", "UnrecognizedContent"),
        (r#"{"requestId":"r","timestamp":1}"#, "NotCloudtrail"),
        (
            r#"{"requestId":"r","records":{"data":""}}"#,
            "NotCloudtrail",
        ),
        (r#"{"requestId":"r","records":"x"}"#, "NotCloudtrail"),
        (
            r#"{"requestId":"r","records":[{"recordId":"1","data":""}]}"#,
            "NotCloudtrail",
        ),
        (r#"{"requestId":"r","records":[1]}"#, "NotCloudtrail"),
        (
            r#"{"requestId":"r","records":[{"data":"eyJ9"}"#,
            "MalformedJson",
        ),
        ("[]", "NotCloudtrail"),
    ];
    for (body, want) in cases {
        let b = run(body.as_bytes());
        let kind = match &b.stopped {
            Some(DecodeError::UnrecognizedContent(_)) => "UnrecognizedContent",
            Some(DecodeError::NotCloudtrail(_)) => "NotCloudtrail",
            Some(DecodeError::MalformedJson(_)) => "MalformedJson",
            other => panic!("{body}: {other:?}"),
        };
        assert_eq!(kind, *want, "{body}: {:?}", b.stopped);
        assert_eq!(b.counts.documents, 0, "{body}");
    }
}

/// The transport fields of Elastic's endpoint (§4) on the documents of the seed request, and
/// the gzip body giving the same documents.
#[test]
fn cwl_subscription_documents_carry_the_endpoint_fields() {
    let Some(dir) = shared() else { return };
    let plain = run(
        &std::fs::read(dir.join("constructed/firehose/cwl-subscription.request.json"))
            .expect("sample"),
    );
    let gz = run(
        &std::fs::read(dir.join("constructed/firehose/cwl-subscription.request.body.gz"))
            .expect("sample"),
    );
    assert_eq!(plain.documents, gz.documents);
    assert_eq!(plain.documents.len(), 21);
    let positions: Vec<u64> = plain.documents.iter().map(|d| d.position).collect();
    let expected: Vec<u64> = (0..10).chain(11..22).collect();
    assert_eq!(positions, expected, "the control message is unit 10");
    let first = doc(&plain.documents[0]);
    let s = |k: &str| first.str_field(k).map(str::to_owned);
    assert_eq!(
        s("aws.cloudwatch.log_group").as_deref(),
        Some("CloudTrail/logs")
    );
    assert_eq!(
        s("aws.cloudwatch.log_stream").as_deref(),
        Some("111122223333_CloudTrail_us-east-1")
    );
    assert_eq!(
        s("aws.firehose.request_id").as_deref(),
        Some("8a0dcc0f-5432-4bb0-af6b-dfa9d9c19235"),
        "the body's requestId"
    );
    assert_eq!(s("aws.firehose.arn").as_deref(), Some(ARN));
    assert_eq!(
        s("aws.firehose.parameters.source").as_deref(),
        Some("cloudtrail")
    );
    assert_eq!(s("aws.kinesis.type").as_deref(), Some("deliverystream"));
    assert_eq!(s("aws.kinesis.name").as_deref(), Some("cloudtrail-to-http"));
    assert_eq!(s("cloud.provider").as_deref(), Some("aws"));
    assert_eq!(s("cloud.account.id").as_deref(), Some("111122223333"));
    assert!(
        s("aws.firehose.subscription_filters")
            .is_some_and(|f| f.starts_with('[') && f.ends_with(']')),
        "{first:?}"
    );
    assert_eq!(s("data_stream.dataset").as_deref(), Some("aws.cloudtrail"));
    // event.id is the CloudWatch Logs id, not the CloudTrail eventID (⚑ 20)
    let original = parse(
        first.str_field("event.original").expect("original"),
        &ParseOptions::default(),
    )
    .expect("record");
    let event_id = s("event.id").expect("event.id");
    assert!(
        event_id.chars().all(|c| c.is_ascii_digit()) && event_id.len() > 40,
        "{event_id}"
    );
    assert_ne!(
        Some(event_id.as_str()),
        original.get_path(&["eventID"]).and_then(Value::as_str)
    );
    // @timestamp is eventTime; the CloudWatch Logs timestamp is the ingest time → event.created
    assert_eq!(s("@timestamp").as_deref(), Some("2019-01-01T00:00:00.000Z"));
    let created = s("event.created").expect("event.created");
    assert!(created.ends_with('Z') && created != RECEIVED, "{created}");
    // cloud.region: the record's awsRegion overwrites the stream's region
    assert_eq!(
        s("cloud.region").as_deref(),
        original.get_path(&["awsRegion"]).and_then(Value::as_str)
    );
    // no tags on the Firehose path unless configured: defaults here have both tags
    let no_tags = decode(
        &std::fs::read(dir.join("constructed/firehose/cwl-subscription.request.json"))
            .expect("sample"),
        meta(),
        Options {
            tags: vec![],
            ..Options::default()
        },
        None,
    )
    .expect("config");
    for d in &no_tags.documents {
        let m = doc(d);
        assert!(
            !m.has_field("related.entity"),
            "no entity fields without the tag"
        );
    }
}

/// The host's request id wins over the body's, and the ids of a retried request repeat.
#[test]
fn request_id_comes_from_the_host_and_ids_are_stable() {
    let Some(dir) = shared() else { return };
    let bytes = std::fs::read(dir.join("constructed/firehose/cwl-concatenated.request.json"))
        .expect("sample");
    let m = SourceMeta {
        firehose_request_id: Some("from-header".into()),
        ..meta()
    };
    let a = decode(&bytes, m.clone(), Options::default(), None).expect("config");
    let b = decode(
        &bytes,
        SourceMeta {
            received: "2030-01-01T00:00:00.000Z".into(),
            ..m
        },
        Options::default(),
        None,
    )
    .expect("config");
    assert_eq!(
        doc(&a.documents[0]).str_field("aws.firehose.request_id"),
        Some("from-header")
    );
    let ids = |b: &Batch| b.documents.iter().map(|d| d.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&a), ids(&b), "ids do not depend on the receive time");
    // The three records carry the same two envelopes: same log events, same ids.
    let all = ids(&a);
    assert_eq!(all[..6], all[6..12]);
    assert_eq!(all[..6], all[12..]);
    let unique: std::collections::BTreeSet<&String> = all[..6].iter().collect();
    assert_eq!(unique.len(), 6);
}

/// The same CloudTrail record decoded from an S3 object and from a CloudWatch Logs envelope in
/// a Firehose request: the same document except the transport fields and the documented §4
/// behaviours (`event.id` = log-event id, `cloud.account.id` = owner, `event.created` = the
/// log-event time for the CWL path).
#[test]
fn s3_and_cloudwatch_logs_give_the_same_document_modulo_transport_fields() {
    let Some(dir) = shared() else { return };
    let s3_key = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T0000Z_AbCdEf0123456789.json.gz";
    let s3 = decode(
        &std::fs::read(dir.join("constructed/s3").join(s3_key)).expect("sample"),
        SourceMeta {
            bucket: Some("bucket".into()),
            object_key: Some(s3_key.into()),
            received: RECEIVED.into(),
            namespace: Some("default".into()),
            ..SourceMeta::default()
        },
        Options::default(),
        None,
    )
    .expect("config");
    let cwl = run(
        &std::fs::read(dir.join("constructed/firehose/cwl-subscription.request.json"))
            .expect("sample"),
    );
    let by_original: std::collections::HashMap<String, Map> = s3
        .documents
        .iter()
        .map(doc)
        .filter_map(|m| Some((m.str_field("event.original")?.to_owned(), m)))
        .collect();
    const TRANSPORT: [&str; 8] = [
        "aws.s3",
        "log",
        "aws.cloudwatch",
        "aws.firehose",
        "aws.kinesis",
        "event.id",
        "cloud.account.id",
        "event.created",
    ];
    let strip = |mut m: Map| {
        for f in TRANSPORT {
            m.remove_field(f);
        }
        if m.get_field("aws")
            .and_then(Value::as_object)
            .is_some_and(Map::is_empty)
        {
            m.remove("aws");
        }
        m
    };
    let mut compared = 0;
    for d in &cwl.documents {
        let m = doc(d);
        let original = m.str_field("event.original").expect("original").to_owned();
        let Some(s3_doc) = by_original.get(&original) else {
            continue;
        };
        let record = parse(&original, &ParseOptions::default()).expect("record");
        // §4: cloud.account.id is the owner, event.id the log-event id.
        assert_eq!(m.str_field("cloud.account.id"), Some("111122223333"));
        if let Some(eid) = record.get_path(&["eventID"]).and_then(Value::as_str) {
            assert_eq!(s3_doc.str_field("event.id"), Some(eid));
            assert_ne!(m.str_field("event.id"), Some(eid));
        }
        let (mut a, mut b) = (strip(m.clone()), strip(s3_doc.clone()));
        if record.get_path(&["awsRegion"]).is_none() {
            // no awsRegion: the stream's region stays on the CWL path
            a.remove_field("cloud.region");
            b.remove_field("cloud.region");
        }
        if let Some(Value::Array(tags)) = b.get_mut("tags") {
            tags.retain(|t| t.as_str() != Some(crate::decoder::TAG_KEY_MISMATCH));
        }
        if s3_doc.str_field("@timestamp") == Some(RECEIVED) {
            // no usable eventTime: @timestamp is the ingest time, the log-event time on the
            // CWL path (also its event.created) and the receive time on the S3 path
            assert_eq!(m.str_field("@timestamp"), m.str_field("event.created"));
            a.remove("@timestamp");
            b.remove("@timestamp");
        }
        // (as JSON: the maps' parsed member counts differ by the removed transport fields)
        let json = |m: Map| crate::json::write::to_json(&Value::Object(m));
        assert_eq!(json(a), json(b), "{original}");
        compared += 1;
    }
    assert_eq!(compared, 20, "Panther events 0-19 are in both samples");
}

/// Any chunking of a Firehose body and any per-call cap give the one-shot documents and counts:
/// a record that expands to many units is emitted across calls.
#[test]
fn chunking_and_the_per_call_cap_do_not_change_firehose_output() {
    let Some(dir) = shared() else { return };
    for rel in [
        "constructed/firehose/cwl-subscription.request.body.gz",
        "constructed/firehose/cwl-concatenated.request.json",
        "constructed/bad/record-not-json.request.json",
    ] {
        let bytes = std::fs::read(dir.join(rel)).expect("sample");
        let one = run(&bytes);
        for (step, cap) in [(1usize, 1u64), (7, 2), (500, 3), (bytes.len(), 1)] {
            let mut options = Options::default();
            options.limits.max_records_per_call = cap;
            let mut d = crate::decoder::Decoder::new(meta(), options, None).expect("config");
            let mut all = Batch::default();
            for chunk in bytes.chunks(step) {
                let b = d.push(chunk);
                assert!(b.counts.records <= cap, "{rel}: per-call cap");
                assert!(b.counts.balanced());
                all.documents.extend(b.documents);
                all.counts.add(&b.counts);
            }
            let b = d.finish();
            all.documents.extend(b.documents);
            all.counts.add(&b.counts);
            assert_eq!(all.documents, one.documents, "{rel} step {step} cap {cap}");
            assert_eq!(all.counts, one.counts, "{rel} step {step} cap {cap}");
        }
    }
}
