//! Vector compatibility (feature `vrl`): our documents become Vector event values and back
//! without loss, and a Vector user's `remap` program runs on them as it would in Vector.
//!
//! Run: `cargo test -p cloudtrail-ecs-vector --features vrl`.
//!
//! The documents come from the core called natively (`decoder::decode` with the user-agent
//! enricher, as `cloudtrail-ecs decode` runs it): the host tests prove the wasm component writes
//! the same bytes.

use cloudtrail_ecs_plugin::api::{Options, SourceMeta};
use cloudtrail_ecs_plugin::{decoder, enrich};
use cloudtrail_ecs_vector::{Remap, RemapOutcome, document_to_vrl, from_vrl, to_vrl};
use serde_json::{Value as Json, json};
use std::path::Path;
use vrl::value::Value;

/// The repository sample through the core, as JSON documents.
fn sample_documents() -> Vec<Json> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/cloudtrail-sample.json.gz");
    let bytes = std::fs::read(path).expect("read the repository sample");
    let meta = SourceMeta {
        received: "2024-05-01T12:00:00.000Z".into(),
        namespace: Some("default".into()),
        ..SourceMeta::default()
    };
    let batch = decoder::decode(
        &bytes,
        meta,
        Options::default(),
        Some(enrich::default_enricher()),
    )
    .expect("decode");
    assert!(!batch.documents.is_empty());
    batch
        .documents
        .iter()
        .map(|d| serde_json::from_str(&d.json).expect("document is JSON"))
        .collect()
}

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, k| match cur {
        Value::Object(o) => o.get(*k),
        _ => None,
    })
}

/// Every JSON value has its Vector counterpart: objects → `Object` (same keys), arrays →
/// `Array` (same length), strings → `Bytes` (same bytes), integers → `Integer`, booleans, null.
fn assert_mapped(j: &Json, v: &Value, at: &str) {
    match (j, v) {
        (Json::Object(jo), Value::Object(vo)) => {
            assert_eq!(jo.len(), vo.len(), "{at}");
            for (k, jv) in jo {
                let vv = vo
                    .get(k.as_str())
                    .unwrap_or_else(|| panic!("{at}.{k} missing"));
                assert_mapped(jv, vv, &format!("{at}.{k}"));
            }
        }
        (Json::Array(ja), Value::Array(va)) => {
            assert_eq!(ja.len(), va.len(), "{at}");
            for (i, (jv, vv)) in ja.iter().zip(va).enumerate() {
                assert_mapped(jv, vv, &format!("{at}[{i}]"));
            }
        }
        (Json::String(s), Value::Bytes(b)) => assert_eq!(s.as_bytes(), b.as_ref(), "{at}"),
        (Json::Number(n), Value::Integer(i)) => assert_eq!(n.as_i64(), Some(*i), "{at}"),
        (Json::Number(n), Value::Float(f)) => {
            assert!(n.as_i64().is_none(), "{at}: integers stay integers");
            assert_eq!(n.as_f64(), Some(f.into_inner()), "{at}");
        }
        (Json::Bool(a), Value::Boolean(b)) => assert_eq!(a, b, "{at}"),
        (Json::Null, Value::Null) => {}
        (j, v) => panic!("{at}: {j} became {v:?}"),
    }
}

#[test]
fn documents_map_to_vector_values_and_back_unchanged() {
    let docs = sample_documents();
    for doc in &docs {
        let v = to_vrl(doc);
        assert_mapped(doc, &v, "");
        assert_eq!(&from_vrl(&v), doc, "round trip");
        // Timestamps stay strings (Bytes), as in our JSON.
        assert!(matches!(get(&v, &["@timestamp"]), Some(Value::Bytes(_))));
    }
    // The sample exercises every kind of value documents hold.
    let arrays = docs
        .iter()
        .filter(|d| d["event"]["type"].is_array())
        .count();
    let bools = docs
        .iter()
        .filter(|d| d["aws"]["cloudtrail"]["read_only"].is_boolean())
        .count();
    assert!(arrays > 0 && bools > 0, "arrays {arrays}, booleans {bools}");
}

#[test]
fn scalars_map_to_their_vector_types() {
    let v = to_vrl(&json!({"i": -3, "f": 1.5, "b": true, "n": null, "s": "x", "a": [1, "y"]}));
    let Value::Object(o) = &v else {
        panic!("object expected: {v:?}");
    };
    assert_eq!(o.get("i"), Some(&Value::Integer(-3)));
    assert_eq!(o.get("f"), Some(&Value::from_f64_or_zero(1.5)));
    assert_eq!(o.get("b"), Some(&Value::Boolean(true)));
    assert_eq!(o.get("n"), Some(&Value::Null));
    assert_eq!(o.get("s"), Some(&Value::Bytes("x".into())));
    assert_eq!(
        o.get("a"),
        Some(&Value::Array(vec![
            Value::Integer(1),
            Value::Bytes("y".into())
        ]))
    );
    assert_eq!(
        document_to_vrl(r#"{"k":[true]}"#).expect("json"),
        to_vrl(&json!({"k": [true]}))
    );
    assert!(document_to_vrl("{").is_err());
}

/// A Vector user's remap: drop read-only calls, tag the rest.
const REMAP: &str = r#"
if .aws.cloudtrail.read_only == true {
    abort
}
.labels.pipeline = "cloudtrail-ecs"
.event.severity = 3
"#;

#[test]
fn a_remap_program_drops_read_only_events_and_adds_fields_to_the_rest() {
    let remap = Remap::compile(REMAP).expect("the program compiles");
    let docs = sample_documents();
    let read_only = |d: &Json| d["aws"]["cloudtrail"]["read_only"] == json!(true);
    let expected_kept = docs.iter().filter(|d| !read_only(d)).count();
    assert!(
        expected_kept > 0 && expected_kept < docs.len(),
        "the sample has both kinds"
    );
    let mut kept = 0;
    for doc in &docs {
        match remap.run(to_vrl(doc)) {
            RemapOutcome::Aborted => assert!(read_only(doc), "only read-only events are dropped"),
            RemapOutcome::Kept(v) => {
                assert!(!read_only(doc));
                kept += 1;
                let out = from_vrl(&v);
                assert_eq!(out["labels"]["pipeline"], "cloudtrail-ecs");
                assert_eq!(out["event"]["severity"], 3);
                // Everything else is untouched.
                let mut back = out.clone();
                back["labels"]
                    .as_object_mut()
                    .expect("labels")
                    .remove("pipeline");
                if back["labels"].as_object().is_some_and(|o| o.is_empty()) {
                    back.as_object_mut().expect("object").remove("labels");
                }
                back["event"]
                    .as_object_mut()
                    .expect("event")
                    .remove("severity");
                assert_eq!(&back, doc);
            }
            RemapOutcome::Failed(e) => panic!("runtime error: {e}"),
        }
    }
    assert_eq!(kept, expected_kept);
}

#[test]
fn a_program_that_does_not_compile_reports_why() {
    let err = Remap::compile(".a = ").err().expect("syntax error");
    assert!(!err.is_empty());
    let err = Remap::compile(".a = upcase(.b)")
        .err()
        .expect("no stdlib functions");
    assert!(err.contains("upcase"), "{err}");
}
