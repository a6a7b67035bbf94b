//! `cloudtrail-ecs serve` over a real socket (`spec/input-formats.md` §2.1–§2.2;
//! `spec/reliability.md` §3.4): the server runs in-process on 127.0.0.1:0 with the wasm engine
//! and is driven by an HTTP client (ureq). Every status of the protocol is exercised, every
//! Firehose/CloudWatch Logs/EventBridge sample is delivered, and concurrent deliveries must
//! never interleave their NDJSON lines.

use cloudtrail_ecs_host::serve::{Handle, ServeConfig, spawn};
use cloudtrail_ecs_host::{EngineKind, WasmConfig};
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KEY: &str = "EXAMPLE-access-key-0123456789";
const ARN: &str = "arn:aws:firehose:us-east-1:111122223333:deliverystream/cloudtrail-to-http";

mod common;
use common::shared_samples as shared;

/// NDJSON output the tests can read.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("sink").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink {
    fn lines(&self) -> Vec<serde_json::Value> {
        let bytes = self.0.lock().expect("sink").clone();
        String::from_utf8(bytes)
            .expect("utf-8 output")
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is one JSON document"))
            .collect()
    }
}

fn start(config: ServeConfig) -> (Handle, Sink) {
    let sink = Sink::default();
    let handle = spawn(
        config,
        "127.0.0.1:0".parse().expect("addr"),
        Box::new(sink.clone()),
        false,
    )
    .expect("server starts");
    (handle, sink)
}

fn config() -> ServeConfig {
    ServeConfig {
        access_key: Some(KEY.into()),
        ..ServeConfig::default()
    }
}

struct Resp {
    status: u16,
    body: serde_json::Value,
    content_type: String,
    /// `records, documents, errors, skipped` from `X-Cloudtrail-Ecs-Counts`.
    counts: Option<[u64; 4]>,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

/// Request headers, name and value.
type Headers = Vec<(&'static str, String)>;

fn headers_for(id: &str) -> Headers {
    vec![
        ("Content-Type", "application/json".into()),
        ("X-Amz-Firehose-Protocol-Version", "1.0".into()),
        ("X-Amz-Firehose-Request-Id", id.into()),
        ("X-Amz-Firehose-Source-Arn", ARN.into()),
        ("X-Amz-Firehose-Access-Key", KEY.into()),
        (
            "X-Amz-Firehose-Common-Attributes",
            r#"{"commonAttributes":{"source":"cloudtrail"}}"#.into(),
        ),
    ]
}

fn post(handle: &Handle, body: &[u8], headers: &[(&'static str, String)]) -> Resp {
    post_with(&agent(), handle, "/", body, headers)
}

fn post_with(
    agent: &ureq::Agent,
    handle: &Handle,
    path: &str,
    body: &[u8],
    headers: &[(&'static str, String)],
) -> Resp {
    let mut req = agent.post(format!("http://{}{path}", handle.addr()));
    for (k, v) in headers {
        req = req.header(*k, v.as_str());
    }
    let resp = req.send(body).expect("request");
    to_resp(resp)
}

fn to_resp(mut resp: ureq::http::Response<ureq::Body>) -> Resp {
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let counts = resp
        .headers()
        .get("x-cloudtrail-ecs-counts")
        .and_then(|v| v.to_str().ok())
        .map(|s| {
            let n: Vec<u64> = s
                .split(' ')
                .map(|kv| kv.split('=').nth(1).expect("k=v").parse().expect("number"))
                .collect();
            [n[0], n[1], n[2], n[3]]
        });
    let text = resp.body_mut().read_to_string().expect("body");
    let body = serde_json::from_str(&text).expect("JSON response body");
    Resp {
        status,
        body,
        content_type,
        counts,
    }
}

fn sample(dir: &std::path::Path, rel: &str) -> Vec<u8> {
    std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every Firehose, CloudWatch Logs and EventBridge sample through the server: 200, and
/// records = documents + error documents + skips, with the units of the manifest.
#[test]
fn every_envelope_sample_is_delivered_with_balanced_counts() {
    let Some(dir) = shared() else { return };
    let (handle, sink) = start(config());
    let cases: &[(&str, u64, bool)] = &[
        (
            "constructed/firehose/cwl-subscription.request.json",
            22,
            false,
        ),
        (
            "constructed/firehose/cwl-subscription.request.body.gz",
            22,
            true,
        ),
        (
            "constructed/firehose/cwl-concatenated.request.json",
            18,
            false,
        ),
        (
            "constructed/firehose/cwl-decompressed.request.json",
            7,
            false,
        ),
        (
            "constructed/firehose/cwl-message-extraction.request.json",
            10,
            false,
        ),
        ("constructed/firehose/eventbridge.request.json", 8, false),
        ("constructed/bad/invalid-base64.request.json", 3, false),
        ("constructed/bad/record-not-json.request.json", 4, false),
        ("vector/firehose-request-cwl.body.json", 2, false),
        (
            "constructed/eventbridge/aws-api-call-via-cloudtrail.envelope.json",
            1,
            false,
        ),
        (
            "aws-lambda-rust/example-eventbridge-event-obj.json",
            1,
            false,
        ),
        (
            "aws-lambda-rust/example-eventbridge-schedule.json",
            1,
            false,
        ),
        ("otel/cloudtrail_log_cw.json", 1, false),
        ("otel/cloudtrail_log_cw_reordered.json", 1, false),
        ("otel/cwl_extracted_fields_both.json", 1, false),
        ("otel/cwl_multiple_records.json", 2, false),
        ("otel/cwl_only_control.json", 1, false),
        (
            "otel/subscription_filter_extracted_fields_both.json",
            1,
            false,
        ),
        (
            "otel/subscription_filter_multiple_json_objects.json",
            2,
            false,
        ),
        (
            "otel/subscription_filter_valid_cloudwatch_log.json",
            3,
            false,
        ),
        (
            "otel/subscription_filter_valid_cloudwatch_log_control.json",
            1,
            false,
        ),
        (
            "constructed/decoded/aws-lambda-rust-cloudwatch_logs-event.data.gz",
            2,
            true,
        ),
    ];
    let mut written = 0usize;
    for (i, &(rel, units, gzip)) in cases.iter().enumerate() {
        let mut headers = headers_for(&format!("req-{i}"));
        if gzip {
            headers.push(("Content-Encoding", "gzip".into()));
        }
        let r = post(&handle, &sample(&dir, rel), &headers);
        assert_eq!(r.status, 200, "{rel}: {}", r.body);
        let [records, docs, errors, skipped] = r.counts.expect("counts header");
        assert_eq!(records, units, "{rel}");
        assert_eq!(records, docs + errors + skipped, "{rel}");
        written += usize::try_from(docs + errors).expect("count");
        assert_eq!(sink.lines().len(), written, "{rel}: lines written");
    }
    // The seed use case: documents of the CWL path carry the endpoint's fields.
    let lines = sink.lines();
    let first = &lines[0];
    assert_eq!(first["aws"]["firehose"]["arn"], ARN);
    assert_eq!(first["aws"]["firehose"]["request_id"], "req-0");
    assert_eq!(
        first["aws"]["firehose"]["parameters"]["source"],
        "cloudtrail"
    );
    assert_eq!(first["aws"]["kinesis"]["name"], "cloudtrail-to-http");
    assert_eq!(first["data_stream"]["dataset"], "aws.cloudtrail");
    assert!(first.get("tags").is_none(), "no tags on the Firehose path");
    handle.stop().expect("clean stop");
}

#[test]
fn the_response_follows_the_protocol() {
    let Some(dir) = shared() else { return };
    let (handle, _sink) = start(config());
    let body = sample(&dir, "constructed/firehose/cwl-subscription.request.json");
    let before = now_ms();
    let r = post(
        &handle,
        &body,
        &headers_for("8a0dcc0f-5432-4bb0-af6b-dfa9d9c19235"),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type, "application/json");
    assert_eq!(r.body["requestId"], "8a0dcc0f-5432-4bb0-af6b-dfa9d9c19235");
    let ts = r.body["timestamp"].as_u64().expect("integer milliseconds");
    assert!(ts >= before && ts <= now_ms(), "{ts}");
    assert!(r.body.get("errorMessage").is_none());
    let obj = r.body.as_object().expect("object");
    assert_eq!(obj.len(), 2, "{obj:?}");
    // any path
    let r = post_with(
        &agent(),
        &handle,
        "/firehose/v1?x=1",
        &body,
        &headers_for("other-path"),
    );
    assert_eq!(r.status, 200);
    // only POST
    let resp = agent()
        .get(format!("http://{}/", handle.addr()))
        .call()
        .expect("request");
    let r = to_resp(resp);
    assert_eq!(r.status, 405);
    assert!(r.body["errorMessage"].is_string());
}

#[test]
fn the_access_key_is_required_and_compared() {
    let Some(dir) = shared() else { return };
    let (handle, sink) = start(config());
    let body = sample(&dir, "constructed/firehose/cwl-subscription.request.json");
    let without: Vec<_> = headers_for("k-1")
        .into_iter()
        .filter(|(k, _)| *k != "X-Amz-Firehose-Access-Key")
        .collect();
    let mut wrong = without.clone();
    wrong.push(("X-Amz-Firehose-Access-Key", format!("{KEY}x")));
    let mut prefix = without.clone();
    prefix.push(("X-Amz-Firehose-Access-Key", KEY[..KEY.len() - 1].to_owned()));
    for h in [&without, &wrong, &prefix] {
        let r = post(&handle, &body, h);
        assert_eq!(r.status, 401, "{h:?}");
        assert_eq!(r.body["requestId"], "k-1");
        assert!(
            r.body["errorMessage"]
                .as_str()
                .is_some_and(|m| !m.contains(KEY))
        );
    }
    assert!(
        sink.lines().is_empty(),
        "nothing written for unauthorised requests"
    );
    assert_eq!(post(&handle, &body, &headers_for("k-2")).status, 200);
    handle.stop().expect("stop");
    // no key configured: every request is accepted
    let (open, _) = start(ServeConfig::default());
    assert_eq!(post(&open, &body, &without).status, 200);
}

#[test]
fn malformed_requests_get_400_and_write_nothing() {
    let Some(dir) = shared() else { return };
    let (handle, sink) = start(config());
    let good = sample(&dir, "constructed/firehose/cwl-subscription.request.json");
    let gz = sample(
        &dir,
        "constructed/firehose/cwl-subscription.request.body.gz",
    );
    let lambda = sample(&dir, "aws-lambda-rust/example-kinesis-firehose-event.json");
    let with = |extra: (&'static str, &str)| {
        let mut h = headers_for("bad-1");
        h.retain(|(k, _)| !k.eq_ignore_ascii_case(extra.0));
        h.push((extra.0, extra.1.to_owned()));
        h
    };
    let no_id: Vec<_> = headers_for("x")
        .into_iter()
        .filter(|(k, _)| *k != "X-Amz-Firehose-Request-Id")
        .collect();
    let cases: Vec<(&str, Vec<u8>, Headers)> = vec![
        ("missing request id", good.clone(), no_id),
        (
            "protocol 2.0",
            good.clone(),
            with(("X-Amz-Firehose-Protocol-Version", "2.0")),
        ),
        ("brotli", good.clone(), with(("Content-Encoding", "br"))),
        (
            "bad common attributes",
            good.clone(),
            with(("X-Amz-Firehose-Common-Attributes", "{")),
        ),
        (
            "not JSON",
            b"hello, this is not JSON".to_vec(),
            headers_for("bad-1"),
        ),
        (
            "no records",
            br#"{"requestId":"bad-1","timestamp":1}"#.to_vec(),
            headers_for("bad-1"),
        ),
        (
            "records not an array",
            br#"{"requestId":"bad-1","records":{}}"#.to_vec(),
            headers_for("bad-1"),
        ),
        (
            "truncated body",
            good[..good.len() / 2].to_vec(),
            headers_for("bad-1"),
        ),
        (
            "truncated gzip body",
            gz[..gz.len() / 2].to_vec(),
            with(("Content-Encoding", "gzip")),
        ),
        ("Lambda transformation event", lambda, headers_for("bad-1")),
    ];
    for (name, body, headers) in cases {
        let r = post(&handle, &body, &headers);
        assert_eq!(r.status, 400, "{name}: {}", r.body);
        assert!(r.body["errorMessage"].is_string(), "{name}");
        assert!(r.body["timestamp"].is_u64(), "{name}");
    }
    assert!(sink.lines().is_empty(), "a 400 writes nothing");
}

#[test]
fn bodies_over_the_limit_get_413() {
    let Some(dir) = shared() else { return };
    let (handle, sink) = start(ServeConfig {
        max_body_bytes: 4096,
        ..config()
    });
    let body = sample(&dir, "constructed/firehose/cwl-subscription.request.json");
    assert!(body.len() > 4096);
    // Content-Length over the limit
    let r = post(&handle, &body, &headers_for("big-1"));
    assert_eq!(r.status, 413, "{}", r.body);
    // chunked (no Content-Length): counted while reading
    let mut req = agent().post(format!("http://{}/", handle.addr()));
    for (k, v) in headers_for("big-2") {
        req = req.header(k, v);
    }
    let mut reader = &body[..];
    let resp = req
        .send(ureq::SendBody::from_reader(&mut reader))
        .expect("request");
    assert_eq!(to_resp(resp).status, 413);
    // a small gzip body that inflates past the limit
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(br#"{"requestId":"big-3","records":[{"data":""#)
        .expect("gzip");
    e.write_all(&vec![b'A'; 1 << 20]).expect("gzip");
    e.write_all(br#""}]}"#).expect("gzip");
    let bomb = e.finish().expect("gzip");
    assert!(bomb.len() < 4096);
    let mut h = headers_for("big-3");
    h.push(("Content-Encoding", "gzip".into()));
    let r = post(&handle, &bomb, &h);
    assert_eq!(r.status, 413, "{}", r.body);
    assert!(sink.lines().is_empty());
    // under the limit still works
    let small = sample(&dir, "otel/cloudtrail_log_cw.json");
    assert_eq!(post(&handle, &small, &headers_for("ok")).status, 200);
}

/// Bad records do not fail the request: 200, one error document each, the rest decoded.
#[test]
fn bad_records_are_error_documents_in_a_200() {
    let Some(dir) = shared() else { return };
    let (handle, sink) = start(config());
    for (rel, bad) in [
        ("constructed/bad/invalid-base64.request.json", 1),
        ("constructed/bad/record-not-json.request.json", 2),
    ] {
        let before = sink.lines().len();
        let r = post(&handle, &sample(&dir, rel), &headers_for(rel));
        assert_eq!(r.status, 200, "{rel}");
        let [records, _, errors, _] = r.counts.expect("counts");
        assert!(errors >= bad, "{rel}");
        let lines = sink.lines();
        assert_eq!(lines.len() - before, usize::try_from(records).expect("n"));
        let envelope_errors = lines[before..]
            .iter()
            .filter(|d| d["event"]["kind"] == "pipeline_error")
            .filter(|d| {
                d["error"]["message"]
                    .to_string()
                    .contains("Firehose record")
            })
            .count();
        assert_eq!(envelope_errors as u64, bad, "{rel}");
    }
}

/// 8 clients × 6 deliveries at once: every document written once, and each request's lines
/// together (never interleaved with another request's).
#[test]
fn concurrent_deliveries_never_interleave_lines() {
    let Some(dir) = shared() else { return };
    let (handle, sink) = start(config());
    let body = Arc::new(sample(
        &dir,
        "constructed/firehose/cwl-subscription.request.json",
    ));
    let handle = Arc::new(handle);
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let (body, handle) = (body.clone(), handle.clone());
            std::thread::spawn(move || {
                let agent = agent();
                for n in 0..6 {
                    let id = format!("c-{t}-{n}");
                    let r = post_with(&agent, &handle, "/", &body, &headers_for(&id));
                    assert_eq!(r.status, 200, "{id}");
                    assert_eq!(r.body["requestId"], id.as_str());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("client thread");
    }
    let lines = sink.lines();
    assert_eq!(lines.len(), 48 * 21);
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut last = String::new();
    for d in &lines {
        let id = d["aws"]["firehose"]["request_id"]
            .as_str()
            .expect("request id")
            .to_owned();
        if id != last {
            assert!(!seen.contains_key(&id), "lines of {id} are interleaved");
            last = id.clone();
        }
        *seen.entry(id).or_default() += 1;
    }
    assert_eq!(seen.len(), 48);
    assert!(seen.values().all(|&n| n == 21));
}

/// A trap (the guest's memory cap) answers 500, the instance is replaced, the next request on
/// the same pool succeeds.
#[test]
fn a_trap_answers_500_and_the_next_delivery_succeeds() {
    let Some(dir) = shared() else { return };
    let (handle, sink) = start(ServeConfig {
        engine: EngineKind::Wasm,
        workers: 1,
        wasm: WasmConfig {
            memory_limit: 4 << 20,
            call_deadline: Duration::from_secs(60),
        },
        ..config()
    });
    let small = sample(&dir, "otel/cloudtrail_log_cw.json");
    assert_eq!(post(&handle, &small, &headers_for("t-0")).status, 200);
    // Many records in one request: several MiB of documents, beyond a 4 MiB guest memory.
    let record = r#"{"eventVersion":"1.08","eventTime":"2024-05-01T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1","requestParameters":{"instancesSet":{"items":[{"instanceId":"i-0123456789abcdef0"}]}},"eventID":"e"}"#;
    let mut big = String::from("{\"Records\":[");
    for i in 0..20_000 {
        if i > 0 {
            big.push(',');
        }
        big.push_str(record);
    }
    big.push_str("]}");
    let r = post(&handle, big.as_bytes(), &headers_for("t-1"));
    assert_eq!(r.status, 500, "{}", r.body);
    assert!(
        r.body["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("memory"))
    );
    let before = sink.lines().len();
    assert_eq!(post(&handle, &small, &headers_for("t-2")).status, 200);
    assert_eq!(sink.lines().len(), before + 1);
}

fn now_ms() -> u64 {
    u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_millis(),
    )
    .expect("ms")
}
