//! Elastic's golden pipeline tests (`../shared/conformance/elastic/`) run through [`run`] as
//! `spec/elastic-parity.md` §1 frames them, compared on the **core** fields: everything except
//! `source.geo.*`, `source.as.*` and the parsed `user_agent.*` fields (no enricher here), with
//! the dynamic field `user_agent.version` removed from both sides (§1.2, §1.4).
//!
//! The general YAML configs are read by the host's conformance runner; here the cloudtrail
//! configs are applied directly: the common `fields` (`@timestamp`, `tags`) and, per test,
//! the `retain:` line of `<test>-config.yml`.

use super::{PipelineOptions, run};
use crate::json::parse::{ParseOptions, parse};
use crate::json::write::to_json;
use crate::json::{Map, Value};
use std::path::{Path, PathBuf};

const INGEST_TIMESTAMP: &str = "2021-11-11T01:02:03.123456789Z";
const TAGS: [&str; 2] = ["preserve_original_event", "actor_target_mapping"];

fn shared_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipping: ../shared not found");
        None
    }
}

/// Go `bufio.Scanner` `ScanLines`: split on `\n`, strip one trailing `\r`, no extra line for
/// a final `\n`.
fn frame_lines(text: &str) -> Vec<&str> {
    let body = text.strip_suffix('\n').unwrap_or(text);
    if text.is_empty() {
        return Vec::new();
    }
    body.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect()
}

/// The `retain:` value of a per-test config, if any (the only per-test difference in the
/// cloudtrail configs).
fn retain_of(config: &str) -> Option<String> {
    config.lines().find_map(|l| {
        let v = l.trim().strip_prefix("retain:")?.trim();
        Some(v.trim_matches(|c| c == '\'' || c == '"').to_owned())
    })
}

/// The ingest document of §1.3.
fn ingest(line: &str, retain: Option<&str>) -> Map {
    let mut doc = Map::new();
    doc.insert("message", Value::str(line));
    doc.insert("@timestamp", Value::str(INGEST_TIMESTAMP));
    doc.insert("tags", Value::str_array(TAGS));
    if let Some(r) = retain {
        doc.set_field("_conf.retain", Value::str(r));
    }
    doc
}

/// Drop what the core score excludes (and the dynamic field) from one document.
fn core_view(doc: &mut Map) {
    if let Some(Value::Object(source)) = doc.get_mut("source") {
        source.remove("geo");
        source.remove("as");
        if source.is_empty() {
            doc.remove("source");
        }
    }
    if let Some(Value::Object(ua)) = doc.get_mut("user_agent") {
        ua.retain(|k, _| k == "original");
        if ua.is_empty() {
            doc.remove("user_agent");
        }
    }
}

/// Deep equality of §1.4: object key order ignored, array order kept, numbers by value.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same(v, w))
        }
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        _ => a == b,
    }
}

/// Objects flattened to dotted leaves (arrays are leaves), for a field-level diff.
fn leaves(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, w) in m.iter() {
                let p = if prefix.is_empty() {
                    k.to_owned()
                } else {
                    format!("{prefix}.{k}")
                };
                leaves(&p, w, out);
            }
        }
        _ => out.push((prefix.to_owned(), v.clone())),
    }
}

fn field_diff(actual: &Map, expected: &Map) -> Vec<String> {
    let (mut a, mut e) = (Vec::new(), Vec::new());
    leaves("", &Value::Object(actual.clone()), &mut a);
    leaves("", &Value::Object(expected.clone()), &mut e);
    let mut out = Vec::new();
    for (k, ev) in &e {
        match a.iter().find(|(ak, _)| ak == k) {
            None => out.push(format!("  missing {k} = {}", to_json(ev))),
            Some((_, av)) if !same(av, ev) => out.push(format!(
                "  differs {k}:\n    actual   {}\n    expected {}",
                to_json(av),
                to_json(ev)
            )),
            _ => {}
        }
    }
    for (k, av) in &a {
        if !e.iter().any(|(ek, _)| ek == k) {
            out.push(format!("  extra   {k} = {}", to_json(av)));
        }
    }
    out
}

struct Case {
    name: String,
    lines: Vec<String>,
    retain: Option<String>,
    expected: Option<Vec<Value>>,
}

fn load_cases(dir: &Path) -> Vec<Case> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("test-") && n.ends_with(".log"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let read = |suffix: &str| std::fs::read_to_string(dir.join(format!("{name}{suffix}")));
            let text = read("").unwrap_or_default();
            let lines = frame_lines(&text).into_iter().map(str::to_owned).collect();
            let retain = read("-config.yml").ok().as_deref().and_then(retain_of);
            let expected = read("-expected.json").ok().and_then(|t| {
                match parse(&t, &ParseOptions::default()) {
                    Ok(Value::Object(m)) => m.get("expected").and_then(Value::as_array).cloned(),
                    _ => None,
                }
            });
            Case {
                name,
                lines,
                retain,
                expected,
            }
        })
        .collect()
}

/// Run every case; returns (matching documents, total documents, report text).
fn score(dir: &Path) -> (usize, usize, String) {
    let opts = PipelineOptions::default();
    let (mut ok, mut total) = (0, 0);
    let mut report = String::new();
    for case in load_cases(dir) {
        let Some(expected) = case.expected else {
            report.push_str(&format!("{}: no readable expected file\n", case.name));
            total += case.lines.len().max(1);
            continue;
        };
        if expected.len() != case.lines.len() {
            report.push_str(&format!(
                "{}: {} lines but {} expected documents\n",
                case.name,
                case.lines.len(),
                expected.len()
            ));
        }
        for (i, (line, want)) in case.lines.iter().zip(&expected).enumerate() {
            total += 1;
            let out = run(ingest(line, case.retain.as_deref()), &opts);
            let mut actual = out.doc;
            let Value::Object(mut want) = want.clone() else {
                report.push_str(&format!(
                    "{} doc {i}: expected is not an object\n",
                    case.name
                ));
                continue;
            };
            for d in [&mut actual, &mut want] {
                d.remove_field("user_agent.version");
                core_view(d);
            }
            if same(&Value::Object(actual.clone()), &Value::Object(want.clone())) {
                ok += 1;
            } else {
                report.push_str(&format!("{} doc {i}:\n", case.name));
                for l in field_diff(&actual, &want) {
                    report.push_str(&l);
                    report.push('\n');
                }
            }
        }
    }
    (ok, total, report)
}

#[test]
fn line_framing_follows_go_scan_lines() {
    assert_eq!(frame_lines("a\nb\n"), ["a", "b"]);
    assert_eq!(frame_lines("a\n\n"), ["a", ""]);
    assert_eq!(frame_lines("a\r\nb"), ["a", "b"]);
    assert!(frame_lines("").is_empty());
}

#[test]
fn retain_is_read_from_the_config_line() {
    assert_eq!(
        retain_of("fields:\n  _conf:\n    retain: minimal\n").as_deref(),
        Some("minimal")
    );
    assert_eq!(retain_of("fields:\n  tags: []\n"), None);
}

#[test]
fn comparison_ignores_key_order_and_number_spelling_but_not_array_order() {
    let v = |t: &str| parse(t, &ParseOptions::default()).unwrap_or(Value::Null);
    assert!(same(
        &v(r#"{"a":1,"b":[1,2]}"#),
        &v(r#"{"b":[1.0,2],"a":1.0}"#)
    ));
    assert!(!same(&v(r#"{"b":[1,2]}"#), &v(r#"{"b":[2,1]}"#)));
    assert!(!same(&v(r#"{"a":"1"}"#), &v(r#"{"a":1}"#)));
}

#[test]
fn elastic_conformance_core_fields_match_every_expected_document() {
    let Some(shared) = shared_dir() else {
        return;
    };
    let (ok, total, report) = score(&shared.join("conformance/elastic"));
    println!("{report}");
    println!("core conformance: {ok}/{total} documents match");
    assert!(
        total >= 145,
        "expected at least 145 documents, found {total}"
    );
    assert_eq!(ok, total, "core conformance below 100%:\n{report}");
}

/// The stale cases are not scored: they must run without panicking and yield one document
/// per line; their differences are printed for the record.
#[test]
fn elastic_stale_cases_produce_one_document_per_line() {
    let Some(shared) = shared_dir() else {
        return;
    };
    let dir = shared.join("conformance/elastic-stale");
    let opts = PipelineOptions::default();
    let mut docs = 0;
    for case in load_cases(&dir) {
        for line in &case.lines {
            let out = run(ingest(line, case.retain.as_deref()), &opts);
            assert!(!out.doc.is_empty(), "{}: empty document", case.name);
            docs += 1;
        }
    }
    assert!(docs > 0, "no stale case found in {}", dir.display());
    let (ok, total, report) = score(&dir);
    println!("{report}");
    println!("stale (not scored): {ok}/{total} documents match");
}
