//! `cloudtrail-ecs decode` output options end to end on the repository sample, checked against
//! the input records read independently (gzip + serde_json), never against fixed numbers:
//! - `--output bulk`: an Elasticsearch `_bulk` body (parsed into typed bulk actions);
//! - the filter flags: exactly the records the filter selects are mapped, the rest are counted
//!   as `filtered`, and a kept record's document is unchanged;
//! - `--summary`: the table's counts and rows.

use flate2::read::MultiGzDecoder;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

const RECEIVED: &str = "2024-05-01T12:00:00.000Z";

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/cloudtrail-sample.json.gz")
}

/// The sample's CloudTrail records, read without the component.
fn records() -> Vec<Value> {
    let mut text = Vec::new();
    MultiGzDecoder::new(std::fs::File::open(sample()).expect("sample"))
        .read_to_end(&mut text)
        .expect("gunzip");
    let v: Value = serde_json::from_slice(&text).expect("JSON");
    v["Records"].as_array().expect("Records").clone()
}

/// Runs `decode` on the sample; returns (stdout, stderr).
fn decode(args: &[&str]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cloudtrail-ecs"))
        .args(["decode", "--engine", "native", "--received", RECEIVED])
        .args(args)
        .arg(sample())
        .output()
        .expect("run cloudtrail-ecs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?}: {stderr}");
    (String::from_utf8(out.stdout).expect("utf-8"), stderr)
}

fn documents(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON document per line"))
        .collect()
}

/// A `_bulk` action line (the operations Elasticsearch accepts; anything else fails to parse).
#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
enum BulkAction {
    Create(BulkMeta),
    Index(BulkMeta),
    Update(BulkMeta),
    Delete(BulkMeta),
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct BulkMeta {
    #[serde(rename = "_index")]
    index: Option<String>,
    #[serde(rename = "_id")]
    id: Option<String>,
}

/// Parses a `_bulk` body: newline-terminated lines, each one JSON value, action then source
/// (`create`/`index`/`update` take a source line, `delete` none).
fn parse_bulk(body: &str) -> Vec<(BulkAction, Value)> {
    assert!(body.ends_with('\n'), "_bulk bodies end with a newline");
    let mut lines = body.lines();
    let mut out = Vec::new();
    while let Some(line) = lines.next() {
        let action: BulkAction = serde_json::from_str(line).expect("action line");
        let source = match action {
            BulkAction::Delete(_) => Value::Null,
            _ => serde_json::from_str(lines.next().expect("source line")).expect("source"),
        };
        out.push((action, source));
    }
    out
}

#[test]
fn bulk_output_is_create_actions_with_the_document_ids_into_the_data_stream() {
    let (ndjson, _) = decode(&["--namespace", "prod"]);
    let (bulk, _) = decode(&["--namespace", "prod", "--output", "bulk"]);
    let docs = documents(&ndjson);
    let pairs = parse_bulk(&bulk);
    assert_eq!(pairs.len(), records().len());
    assert_eq!(pairs.len(), docs.len());
    let mut ids = HashSet::new();
    for ((action, source), doc) in pairs.iter().zip(&docs) {
        let BulkAction::Create(meta) = action else {
            panic!("data streams take only `create`: {action:?}");
        };
        assert_eq!(source, doc, "the source is the document");
        let ds = &doc["data_stream"];
        let index = format!(
            "{}-{}-{}",
            ds["type"].as_str().expect("type"),
            ds["dataset"].as_str().expect("dataset"),
            ds["namespace"].as_str().expect("namespace")
        );
        assert_eq!(meta.index.as_deref(), Some(index.as_str()));
        assert_eq!(index, "logs-aws.cloudtrail-prod");
        let id = meta.id.clone().expect("_id");
        assert!(ids.insert(id), "ids are unique");
    }
    let (again, _) = decode(&["--namespace", "prod", "--output", "bulk"]);
    assert_eq!(again, bulk, "a re-sent object has the same ids");
}

#[test]
fn filter_flags_map_exactly_the_selected_records() {
    type Pick = fn(&Value) -> bool;
    let table: [(&[&str], Pick); 6] = [
        (
            &["--include-source", "iam.amazonaws.com,signin.amazonaws.com"],
            |r| {
                matches!(
                    r["eventSource"].as_str(),
                    Some("iam.amazonaws.com" | "signin.amazonaws.com")
                )
            },
        ),
        (&["--exclude-source", "ec2.amazonaws.com"], |r| {
            r["eventSource"] != "ec2.amazonaws.com"
        }),
        (
            &[
                "--include-event",
                "ConsoleLogin",
                "--include-event",
                "CreateUser",
            ],
            |r| matches!(r["eventName"].as_str(), Some("ConsoleLogin" | "CreateUser")),
        ),
        (
            &["--read-only", "true", "--exclude-event", "GetObject"],
            |r| r["readOnly"] == true && r["eventName"] != "GetObject",
        ),
        (&["--event-category", "data,networkactivity"], |r| {
            matches!(
                r["eventCategory"].as_str(),
                Some("Data" | "NetworkActivity")
            )
        }),
        (
            &["--region", "eu-west-1", "--account", "111122223333"],
            |r| r["awsRegion"] == "eu-west-1" && r["recipientAccountId"] == "111122223333",
        ),
    ];
    let all = documents(&decode(&[]).0);
    let by_id: BTreeMap<&str, &Value> = all
        .iter()
        .map(|d| (d["event"]["id"].as_str().expect("event.id"), d))
        .collect();
    let recs = records();
    for (flags, pick) in table {
        let want: Vec<&str> = recs
            .iter()
            .filter(|r| pick(r))
            .map(|r| r["eventID"].as_str().expect("eventID"))
            .collect();
        let (out, err) = decode(flags);
        let got = documents(&out);
        let got_ids: Vec<&str> = got
            .iter()
            .map(|d| d["event"]["id"].as_str().expect("event.id"))
            .collect();
        assert_eq!(got_ids, want, "{flags:?}");
        for d in &got {
            assert_eq!(
                Some(&d),
                by_id.get(d["event"]["id"].as_str().unwrap_or("")),
                "{flags:?}"
            );
        }
        let filtered = recs.len() - want.len();
        let total = err
            .lines()
            .find(|l| l.starts_with("total"))
            .expect("total line");
        assert!(
            total.contains(&format!("skipped {filtered} "))
                && total.contains(&format!("filtered {filtered})")),
            "{flags:?}: {total}"
        );
    }
}

/// The rows of one `--summary` section: `count  key` lines after its title, as a map.
fn section(table: &str, title: &str) -> BTreeMap<String, u64> {
    let mut rows = BTreeMap::new();
    let mut inside = false;
    for line in table.lines() {
        if !line.starts_with(' ') {
            inside = line.starts_with(title);
            continue;
        }
        if inside {
            let line = line.trim_start();
            let (n, key) = line.split_once("  ").expect("count and key");
            rows.insert(key.to_owned(), n.parse().expect("count"));
        }
    }
    rows
}

fn s<'a>(r: &'a Value, k: &str) -> Option<&'a str> {
    r[k].as_str()
}

fn tally<'a>(items: impl Iterator<Item = &'a str>) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for i in items {
        *m.entry(i.to_owned()).or_insert(0) += 1;
    }
    m
}

#[test]
fn summary_table_counts_the_batch() {
    let recs = records();
    let (_, err) = decode(&["--summary", "--summary-top", "1000"]);
    let table = &err[err.find("Batch summary").expect("summary table")..];
    let count = |label: &str| -> u64 {
        table
            .lines()
            .map(str::trim_start)
            .find_map(|l| l.strip_prefix(label))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{label} row"))
    };
    assert_eq!(count("records"), recs.len() as u64);
    assert_eq!(count("documents"), recs.len() as u64);
    assert_eq!(count("error documents"), 0);
    assert_eq!(count("skipped"), 0);
    assert_eq!(
        section(table, "Top event sources"),
        tally(recs.iter().filter_map(|r| s(r, "eventSource")))
    );
    assert_eq!(
        section(table, "Top actions"),
        tally(recs.iter().filter_map(|r| s(r, "eventName")))
    );
    assert_eq!(
        section(table, "Top source IPs"),
        tally(
            recs.iter()
                .filter_map(|r| s(r, "sourceIPAddress"))
                .filter(|a| a.parse::<IpAddr>().is_ok())
        )
    );
    assert_eq!(
        section(table, "Error codes"),
        tally(recs.iter().filter_map(|r| s(r, "errorCode")))
    );
    let failed_logins = recs
        .iter()
        .filter(|r| {
            r["eventName"] == "ConsoleLogin" && r["responseElements"]["ConsoleLogin"] == "Failure"
        })
        .count() as u64;
    let rows = section(table, "Failed console logins");
    assert_eq!(rows.values().sum::<u64>(), failed_logins);
    assert!(failed_logins > 0, "the sample has a failed login");
    // Without GeoIP data no country is known.
    assert!(rows.keys().all(|k| k.ends_with("  -")), "{rows:?}");
}
