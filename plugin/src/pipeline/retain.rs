//! §2.11 Retain handling and clean-up: the `minimal` rebuild, dropping the payload strings,
//! removing temporaries, the final clean, and the pipeline-error marking.

use super::{Ctx, errors, payload, preamble};
use crate::json::{Map, Value};

/// Paths kept under `aws.cloudtrail.flattened` for `retain: minimal` (Elastic's detection
/// rules use them), plus `digest` and `insight_details` whole.
const MINIMAL: [(&str, &str); 9] = [
    ("additional_eventdata", "SSEApplied"),
    ("request_parameters", "cidrIp"),
    ("request_parameters", "dryRun"),
    ("request_parameters", "fromPort"),
    ("request_parameters", "includeDeprecated"),
    ("request_parameters", "policyArn"),
    ("request_parameters", "serialNumber"),
    ("request_parameters", "withDecryption"),
    (
        "request_parameters",
        "x-amz-server-side-encryption-customer-algorithm",
    ),
];

/// The end of a successful run.
pub fn finish(ctx: &mut Ctx<'_>) {
    let retain = ctx.retain_setting().map(|r| r.map(str::to_owned));
    if retain
        .as_ref()
        .is_ok_and(|r| r.as_deref() == Some("minimal"))
        && let Some(Value::Object(flat)) = ctx.doc.get_field_mut("aws.cloudtrail.flattened")
    {
        *flat = minimal(flat);
    }
    // A non-string retain is "set and not one of the keep values".
    if retain.map_or(true, |r| payload::drop_strings(r.as_deref())) {
        for name in [
            "response_elements",
            "request_parameters",
            "additional_eventdata",
            "service_event_details",
        ] {
            ctx.doc.remove_field(&format!("aws.cloudtrail.{name}"));
        }
    }
    ctx.j = Map::new();
    ctx.conf = None;
    ctx.session_name = None;
    preamble::final_clean(&mut ctx.doc);
    if ctx.has("error.message") {
        errors::mark_failed(ctx);
    }
}

/// The reduced `aws.cloudtrail.flattened` of `retain: minimal`.
fn minimal(flat: &Map) -> Map {
    let mut out = Map::new();
    for (group, key) in MINIMAL {
        if let Some(v) = flat.get_path(&[group, key]) {
            out.set_path(&[group, key], v.clone());
        }
    }
    for whole in ["digest", "insight_details"] {
        if let Some(v) = flat.get(whole) {
            out.insert(whole, v.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse::{ParseOptions, parse};

    #[test]
    fn minimal_keeps_only_the_rule_paths_and_the_whole_objects() {
        let flat = match parse(
            r#"{"additional_eventdata":{"SSEApplied":"x","other":1},
                "request_parameters":{"policyArn":"p","bucketName":"b"},
                "response_elements":{"a":1},"digest":{"d":1},"insight_details":{"i":2}}"#,
            &ParseOptions::default(),
        ) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        let out = minimal(&flat);
        assert_eq!(
            out.keys().collect::<Vec<_>>(),
            [
                "additional_eventdata",
                "request_parameters",
                "digest",
                "insight_details"
            ]
        );
        assert_eq!(out.get_path(&["request_parameters", "bucketName"]), None);
        assert_eq!(
            out.get_path(&["additional_eventdata", "SSEApplied"]),
            Some(&Value::str("x"))
        );
    }
}
