//! Vector compatibility (feature `vrl`): our documents become Vector event values and back
//! without loss, and a Vector user's `remap` program runs on them as it would in Vector.
//!
//! Run: `cargo test -p cloudtrail-ecs-host --features vrl --test vector`.

use cloudtrail_ecs_host::api::{Options, SourceMeta};
use cloudtrail_ecs_host::engine::{EngineKind, build_engine};
use cloudtrail_ecs_host::vector::{Remap, RemapOutcome, document_to_vrl, from_vrl, to_vrl};
use serde_json::{Value as Json, json};
use std::path::Path;
use vrl::value::Value;

/// The repository sample through the wasm component, as JSON documents.
fn sample_documents() -> Vec<Json> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/cloudtrail-sample.json.gz");
    let bytes = std::fs::read(path).expect("read the repository sample");
    let mut engine = build_engine(EngineKind::Wasm, None, Default::default()).expect("wasm engine");
    engine.set_geoip(None, None).expect("enricher");
    let meta = SourceMeta {
        received: "2024-05-01T12:00:00.000Z".into(),
        namespace: Some("default".into()),
        ..SourceMeta::default()
    };
    let batch = engine
        .decode_all(&bytes, &meta, &Options::default())
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

#[test]
fn documents_map_to_vector_values_and_back_unchanged() {
    for doc in sample_documents() {
        let v = to_vrl(&doc);
        assert_eq!(from_vrl(&v), doc, "round trip");
        // Strings are Bytes (Vector's string representation), timestamps stay strings.
        let ts = get(&v, &["@timestamp"]).expect("@timestamp");
        assert!(matches!(ts, Value::Bytes(_)), "{ts:?}");
        let kind = get(&v, &["event", "kind"]).expect("event.kind");
        assert!(matches!(kind, Value::Bytes(b) if b.as_ref() == b"event"));
        assert!(matches!(
            get(&v, &["event", "category"]),
            Some(Value::Array(_))
        ));
        assert!(matches!(v, Value::Object(_)));
    }
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
