//! Whole-pipeline tests: error handling (§2.12), odd shapes, transport fields (§4), retain.

use super::*;
use crate::json::Value;

const TS: &str = "2021-11-11T01:02:03.123456789Z";

fn ingest(message: Option<&str>) -> Map {
    let mut doc = Map::new();
    if let Some(m) = message {
        doc.insert("message", Value::str(m));
    }
    doc.insert("@timestamp", Value::str(TS));
    doc.insert("tags", Value::str_array(["preserve_original_event"]));
    doc
}

fn run_msg(message: &str) -> Output {
    run(ingest(Some(message)), &PipelineOptions::default())
}

fn errors_of(doc: &Map) -> Vec<String> {
    doc.get_field("error.message")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn blank_and_absent_messages_give_the_near_empty_document() {
    for out in [run_msg(""), run(ingest(None), &PipelineOptions::default())] {
        let keys: Vec<&str> = out.doc.keys().collect();
        assert_eq!(
            keys.len(),
            5,
            "keys: {keys:?} (@timestamp, tags, event, ecs, cloud)"
        );
        assert_eq!(out.doc.str_field("@timestamp"), Some(TS));
        assert_eq!(out.doc.str_field("event.created"), Some(TS));
        assert_eq!(out.doc.str_field("event.kind"), Some("event"));
        assert_eq!(out.doc.str_field("event.outcome"), Some("success"));
        assert_eq!(out.doc.str_field("cloud.provider"), Some("aws"));
        assert_eq!(out.doc.str_field("ecs.version"), Some("8.11.0"));
        assert!(!out.doc.has_field("event.original"));
        assert!(!out.is_error);
        assert!(out.missing_event_time);
    }
}

#[test]
fn non_json_message_is_a_pipeline_failure_that_keeps_the_original() {
    let out = run_msg("not json");
    assert!(out.is_error);
    assert_eq!(out.doc.str_field("event.original"), Some("not json"));
    assert_eq!(out.doc.str_field("event.created"), Some(TS));
    assert_eq!(out.doc.str_field("@timestamp"), Some(TS));
    assert!(!out.doc.has_field("ecs.version"));
    assert!(!out.doc.has_field("cloud.provider"));
    let errs = errors_of(&out.doc);
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].starts_with(
            "Processor json with tag json_event_original_to_json_5e54dc16 in pipeline logs-aws.cloudtrail-9.0.0 failed with message: "
        ),
        "{}",
        errs[0]
    );
    assert_eq!(
        out.doc.get("tags"),
        Some(&Value::str_array(["preserve_original_event"]))
    );
}

#[test]
fn duplicate_keys_and_depth_over_the_cap_fail_at_the_json_step() {
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    for msg in [r#"{"eventTime":"a","eventTime":"b"}"#, deep.as_str()] {
        let out = run_msg(msg);
        assert!(out.is_error, "{msg:.40}");
        assert!(errors_of(&out.doc)[0].contains(errors::TAG_JSON));
    }
}

#[test]
fn every_odd_shape_yields_exactly_one_document_without_panicking() {
    let shapes = [
        "[]",
        "[1,2]",
        "\"text\"",
        "42",
        "true",
        "null",
        r#"{"userIdentity":"x","eventName":"ConsoleLogin"}"#,
        r#"{"userIdentity":{"type":5,"arn":7,"sessionContext":"s"}}"#,
        r#"{"userIdentity":{"type":"AssumedRole","arn":{"a":1}}}"#,
        r#"{"resources":{"ARN":"x"},"eventName":"GetObject","eventSource":"s3.amazonaws.com"}"#,
        r#"{"resources":["s",1,null,{"ARN":"a"}]}"#,
        r#"{"eventSource":12,"eventName":["a"],"awsRegion":{"x":1}}"#,
        r#"{"userAgent":5}"#,
        r#"{"eventTime":123456}"#,
        r#"{"eventTime":"-"}"#,
        r#"{"requestParameters":"str","responseElements":[1,{"a":"-"}]}"#,
        r#"{"eventName":"ConsoleLogin","additionalEventData":"x","responseElements":{"ConsoleLogin":1}}"#,
        r#"{"tlsDetails":"x"}"#,
        r#"{"tlsDetails":{"tlsVersion":7}}"#,
        r#"{"requestParameters":{"instancesSet":"x"}}"#,
        r#"{"digestStartTime":"x","digestEndTime":5,"logFiles":"y"}"#,
        r#"{"managementEvent":[true,{"a":1}],"readOnly":"true"}"#,
        r#"{"userIdentity":{"type":"IAMUser","userName":7}}"#,
    ];
    for s in shapes {
        let out = run_msg(s);
        assert_eq!(out.doc.str_field("event.original"), Some(s));
        assert_eq!(out.doc.str_field("event.created"), Some(TS), "{s}");
        assert!(
            !out.doc.has_field("json") && !out.doc.has_field("_conf"),
            "{s}"
        );
        if out.is_error {
            assert!(!errors_of(&out.doc).is_empty(), "{s}");
            assert!(
                out.doc
                    .get("tags")
                    .and_then(Value::as_array)
                    .is_some_and(|t| t.contains(&Value::str("preserve_original_event")))
            );
        }
    }
}

#[test]
fn top_level_non_object_fails_at_the_event_time_condition() {
    let out = run_msg("[1]");
    assert!(out.is_error);
    assert!(errors_of(&out.doc)[0].contains(errors::TAG_EVENT_TIME));
    assert_eq!(out.doc.str_field("ecs.version"), Some("8.11.0"));
}

#[test]
fn bad_event_time_is_a_field_error_and_processing_continues() {
    let out = run_msg(r#"{"eventTime":"2021-02-30T00:00:00Z","eventName":"X","awsRegion":"r"}"#);
    assert!(out.is_error);
    assert!(out.missing_event_time);
    assert_eq!(out.doc.str_field("@timestamp"), Some(TS));
    assert_eq!(out.doc.str_field("event.action"), Some("X"));
    assert_eq!(out.doc.str_field("cloud.region"), Some("r"));
    assert_eq!(
        errors_of(&out.doc),
        [format!(
            "Processor date with tag {} in pipeline {PIPELINE_ID} failed with message: unable to parse date [2021-02-30T00:00:00Z]",
            errors::TAG_EVENT_TIME
        )]
    );
    assert_eq!(out.doc.str_field("event.kind"), Some("pipeline_error"));
}

#[test]
fn transport_fields_win_where_the_reference_checks_for_unset() {
    let mut doc = ingest(Some(
        r#"{"eventID":"ct-id","recipientAccountId":"111","userIdentity":{"accountId":"222"},"awsRegion":"us-east-1","eventTime":"2023-07-17T00:00:00Z"}"#,
    ));
    doc.set_field("event.id", Value::str("cwl-id"));
    doc.set_field("cloud.account.id", Value::str("owner"));
    doc.set_field("cloud.region", Value::str("eu-west-1"));
    doc.set_field(
        "aws.cloudwatch.log_stream",
        Value::str("1_CloudTrail_us-east-1"),
    );
    let out = run(doc, &PipelineOptions::default());
    assert_eq!(out.doc.str_field("event.id"), Some("cwl-id"));
    assert_eq!(out.doc.str_field("cloud.account.id"), Some("owner"));
    assert_eq!(out.doc.str_field("cloud.region"), Some("us-east-1"));
    assert_eq!(
        out.doc.str_field("aws.cloudwatch.log_stream"),
        Some("1_CloudTrail_us-east-1")
    );
    assert!(!out.missing_event_time);
}

#[test]
fn a_rename_onto_an_existing_field_fails_the_pipeline() {
    let mut doc = ingest(Some(
        r#"{"userIdentity":{"userName":"bob"},"awsRegion":"r"}"#,
    ));
    doc.set_field("user.name", Value::str("preset"));
    let out = run(doc, &PipelineOptions::default());
    assert!(out.is_error);
    assert!(errors_of(&out.doc)[0].contains("field [user.name] already exists"));
    // stopped before later steps
    assert!(!out.doc.has_field("cloud.region"));
    assert_eq!(out.doc.str_field("user.name"), Some("preset"));
}

#[test]
fn retain_values_select_the_payload_forms() {
    let msg = r#"{"requestParameters":{"a":"1"}}"#;
    let cases: [(Option<Value>, bool, bool); 7] = [
        (None, true, true),
        (Some(Value::str("all")), true, true),
        (Some(Value::str("keyword")), true, false),
        (Some(Value::str("")), true, false),
        (Some(Value::str("flattened")), false, true),
        (Some(Value::str("none")), false, false),
        (Some(Value::Bool(true)), false, false),
    ];
    for (retain, string, flat) in cases {
        let mut doc = ingest(Some(msg));
        if let Some(r) = retain.clone() {
            doc.set_field("_conf.retain", r);
        }
        let out = run(doc, &PipelineOptions::default());
        assert!(!out.doc.has_field("_conf"));
        // payload helpers may still be stubs: check only the forms that must be absent
        if !string {
            assert!(
                !out.doc.has_field("aws.cloudtrail.request_parameters"),
                "{retain:?}"
            );
        }
        if !flat {
            assert!(
                !out.doc
                    .has_field("aws.cloudtrail.flattened.request_parameters"),
                "{retain:?}"
            );
        }
        if string && flat {
            assert!(
                out.doc
                    .has_field("aws.cloudtrail.flattened.request_parameters")
            );
        }
    }
}

#[test]
fn error_document_keeps_only_the_ingest_basics() {
    let mut doc = ingest(Some("{\"cut"));
    doc.set_field("aws.s3.bucket.name", Value::str("b"));
    let out = error_document(doc, "record exceeds 1 MiB", &PipelineOptions::default());
    assert!(out.is_error);
    assert_eq!(out.doc.str_field("event.original"), Some("{\"cut"));
    assert_eq!(out.doc.str_field("event.created"), Some(TS));
    assert_eq!(out.doc.str_field("@timestamp"), Some(TS));
    assert_eq!(out.doc.str_field("event.kind"), Some("pipeline_error"));
    assert_eq!(out.doc.str_field("aws.s3.bucket.name"), Some("b"));
    assert_eq!(errors_of(&out.doc), ["record exceeds 1 MiB"]);
    assert!(!out.doc.has_field("message") && !out.doc.has_field("ecs"));
}

#[test]
fn assumed_role_identity_follows_the_9_0_0_rules() {
    let out = run_msg(
        r#"{"userIdentity":{"type":"AssumedRole","principalId":"AROA:me@example.com","arn":"arn:aws:sts::1:assumed-role/Role/me@example.com","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:role/Role","userName":"Role"}}}}"#,
    );
    assert_eq!(
        out.doc.str_field("user.id"),
        Some("arn:aws:iam::1:role/Role")
    );
    assert_eq!(out.doc.str_field("user.name"), Some("Role"));
    assert_eq!(out.doc.str_field("user.email"), Some("me@example.com"));
    assert_eq!(
        out.doc.get_field("related.user"),
        Some(&Value::str_array([
            "me@example.com",
            "me",
            "AROA:me@example.com",
            "arn:aws:iam::1:role/Role",
            "Role"
        ]))
    );
}

/// A fixed enricher: proves where the pipeline puts each lookup's result.
struct FakeEnricher;

impl crate::enrich::Enricher for FakeEnricher {
    fn geo(&self, ip: std::net::IpAddr) -> Option<Map> {
        ip.is_ipv4()
            .then(|| Map::from_entries(vec![("country_iso_code".into(), Value::str("SE"))]))
    }
    fn asn(&self, _ip: std::net::IpAddr) -> Option<Map> {
        None
    }
    fn user_agent(&self, ua: &str) -> Option<Map> {
        Some(Map::from_entries(vec![
            (
                "name".into(),
                Value::str(ua.split('/').next().unwrap_or_default()),
            ),
            ("original".into(), Value::str("must not replace the input")),
        ]))
    }
}

#[test]
fn enricher_results_land_in_source_geo_and_user_agent() {
    let opts = PipelineOptions {
        enricher: Some(&FakeEnricher),
        ..PipelineOptions::default()
    };
    let out = run(
        ingest(Some(
            r#"{"sourceIPAddress":"89.160.20.156","userAgent":"aws-cli/2.0"}"#,
        )),
        &opts,
    );
    assert_eq!(out.doc.str_field("source.geo.country_iso_code"), Some("SE"));
    assert!(!out.doc.has_field("source.as"));
    assert_eq!(out.doc.str_field("user_agent.name"), Some("aws-cli"));
    assert_eq!(
        out.doc.str_field("user_agent.original"),
        Some("aws-cli/2.0")
    );
    let plain = run(
        ingest(Some(
            r#"{"sourceIPAddress":"89.160.20.156","userAgent":"aws-cli/2.0"}"#,
        )),
        &PipelineOptions::default(),
    );
    assert!(!plain.doc.has_field("source.geo"));
    assert_eq!(
        plain.doc.get("user_agent"),
        Some(&Value::Object(Map::from_entries(vec![(
            "original".into(),
            Value::str("aws-cli/2.0")
        )])))
    );
    // No IP, no lookup: a host name or a list of addresses stays in source.address only.
    let out = run(ingest(Some(r#"{"sourceIPAddress":"AWS Internal"}"#)), &opts);
    assert!(!out.doc.has_field("source.ip") && !out.doc.has_field("source.geo"));
}

mod shapes {
    use super::*;
    use proptest::prelude::*;

    /// Keys the pipeline reads, so random values land where the steps look.
    const KEYS: [&str; 24] = [
        "eventTime",
        "eventName",
        "eventSource",
        "userIdentity",
        "type",
        "arn",
        "userName",
        "sessionContext",
        "sessionIssuer",
        "attributes",
        "creationDate",
        "requestParameters",
        "responseElements",
        "additionalEventData",
        "resources",
        "ARN",
        "tlsDetails",
        "tlsVersion",
        "instancesSet",
        "items",
        "instanceId",
        "awsRegion",
        "ConsoleLogin",
        "digestEndTime",
    ];

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(|n| Value::Number(i64::from(n).into())),
            prop_oneof![
                Just(String::new()),
                Just("-".to_owned()),
                Just("AssumedRole".to_owned()),
                Just("ConsoleLogin".to_owned()),
                Just("arn:aws:sts::1:assumed-role/R/s@x".to_owned()),
                Just("2021-02-30T00:00:00Z".to_owned()),
                Just("s3.amazonaws.com".to_owned()),
                "[a-zA-Z0-9:/@.-]{0,12}",
            ]
            .prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec((proptest::sample::select(&KEYS[..]), inner), 0..6)
                    .prop_map(|members| {
                        let mut m = Map::new();
                        for (k, v) in members {
                            m.insert(k, v);
                        }
                        Value::Object(m)
                    }),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_record_shape_yields_one_document_with_the_original(v in value()) {
            let text = crate::json::write::to_json(&v);
            let mut doc = ingest(Some(&text));
            doc.insert("tags", Value::str_array(["actor_target_mapping"]));
            let out = run(doc, &PipelineOptions::default());
            prop_assert!(!out.doc.has_field("json") && !out.doc.has_field("_conf"));
            prop_assert_eq!(out.doc.str_field("event.created"), Some(TS));
            if text.trim().is_empty() {
                prop_assert!(!out.doc.has_field("event.original"));
            } else {
                prop_assert_eq!(out.doc.str_field("event.original"), Some(text.as_str()));
            }
            prop_assert_eq!(out.is_error, out.doc.has_field("error.message"));
        }
    }
}
