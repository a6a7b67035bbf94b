//! `cloudtrail-ecs decode` (wasm engine) over every Firehose, CloudWatch Logs and EventBridge
//! sample: the summary's records = documents + error documents + skips, with the units the
//! manifest describes, and one NDJSON line per document (`spec/input-formats.md` §6).

use std::process::Command;

mod common;
use common::shared_samples as shared;

/// The number after `label ` in the summary line.
fn count(summary: &str, label: &str) -> u64 {
    let start = summary
        .find(&format!("{label} "))
        .unwrap_or_else(|| panic!("no `{label}` in {summary}"))
        + label.len()
        + 1;
    summary[start..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number after `{label}` in {summary}"))
}

#[test]
fn decode_cli_balances_every_envelope_sample() {
    let Some(dir) = shared() else { return };
    // (file, units, skipped)
    let cases: &[(&str, u64, u64)] = &[
        ("constructed/firehose/cwl-subscription.request.json", 22, 1),
        (
            "constructed/firehose/cwl-subscription.request.body.gz",
            22,
            1,
        ),
        ("constructed/firehose/cwl-concatenated.request.json", 18, 0),
        ("constructed/firehose/cwl-decompressed.request.json", 7, 1),
        (
            "constructed/firehose/cwl-message-extraction.request.json",
            10,
            0,
        ),
        ("constructed/firehose/eventbridge.request.json", 8, 0),
        ("constructed/bad/invalid-base64.request.json", 3, 0),
        ("constructed/bad/record-not-json.request.json", 4, 0),
        ("vector/firehose-request-cwl.body.json", 2, 0),
        (
            "constructed/eventbridge/aws-api-call-via-cloudtrail.envelope.json",
            1,
            0,
        ),
        ("aws-lambda-rust/example-eventbridge-event-obj.json", 1, 0),
        ("aws-lambda-rust/example-eventbridge-schedule.json", 1, 0),
        ("otel/cloudtrail_log_cw.json", 1, 0),
        ("otel/cloudtrail_log_cw_reordered.json", 1, 0),
        ("otel/cwl_extracted_fields_both.json", 1, 0),
        ("otel/cwl_multiple_records.json", 2, 0),
        ("otel/cwl_only_control.json", 1, 1),
        ("otel/subscription_filter_extracted_fields_both.json", 1, 0),
        ("otel/subscription_filter_multiple_json_objects.json", 2, 0),
        ("otel/subscription_filter_valid_cloudwatch_log.json", 3, 0),
        (
            "otel/subscription_filter_valid_cloudwatch_log_control.json",
            1,
            1,
        ),
        (
            "constructed/decoded/aws-lambda-rust-cloudwatch_logs-event.data.gz",
            2,
            0,
        ),
        (
            "constructed/decoded/aws-lambda-rust-cloudwatch_logs-event.data.json",
            2,
            0,
        ),
        (
            "constructed/decoded/vector-firehose-request-cwl.record0.gz",
            2,
            0,
        ),
        (
            "constructed/decoded/vector-firehose-request-cwl.record0.json",
            2,
            0,
        ),
    ];
    // One process for all files: the component is compiled once.
    let out = Command::new(env!("CARGO_BIN_EXE_cloudtrail-ecs"))
        .args(["decode", "--engine", "wasm", "--strict", "--received"])
        .arg("2026-11-29T17:00:00.000Z")
        .args(cases.iter().map(|(rel, _, _)| dir.join(rel)))
        .output()
        .expect("run cloudtrail-ecs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let summaries: Vec<&str> = stderr.lines().filter(|l| !l.starts_with("total")).collect();
    assert_eq!(summaries.len(), cases.len(), "{stderr}");
    let mut lines_expected = 0;
    for (&(rel, units, skipped), summary) in cases.iter().zip(summaries) {
        assert!(summary.contains(rel), "{rel}: {summary}");
        let records = count(summary, "records");
        let docs = count(summary, "documents");
        let errors = count(summary, "error documents");
        let skips = count(summary, "skipped");
        assert!(summary.ends_with("stopped: no"), "{rel}: {summary}");
        assert_eq!(records, units, "{rel}: {summary}");
        assert_eq!(skips, skipped, "{rel}: {summary}");
        assert_eq!(records, docs + errors + skips, "{rel}: {summary}");
        lines_expected += docs + errors;
    }
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    for line in stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("one JSON document per line");
        assert!(v.is_object());
    }
    assert_eq!(stdout.lines().count() as u64, lines_expected);
}
