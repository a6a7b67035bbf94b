//! EventBridge events (`spec/input-formats.md` §3.6): `{"version":"0","id":…,"detail-type":
//! "AWS API Call via CloudTrail","source":"aws.<service>","account":…,"time":…,"region":…,
//! "resources":[],"detail":{<CloudTrail record>}}`.
//!
//! The `detail` object is the record: its exact text (a byte span of the event, so
//! `event.original` is what the producer wrote, as on the S3 path) goes to the pipeline when it
//! has CloudTrail record keys; any other event (`EC2 Instance State-change Notification`,
//! `Scheduled Event`, …) becomes an error document that names its `detail-type`.
//!
//! Elastic has no counterpart (`spec/elastic-parity.md` §4: such records never reach its
//! cloudtrail pipeline), so this is our behaviour: the envelope's context is kept as
//! `aws.eventbridge.id`, `aws.eventbridge.detail_type` and `aws.eventbridge.source`; `event.id`
//! stays the CloudTrail `eventID`, and `account`/`region`/`time` are not used (the record has
//! its own `recipientAccountId`, `awsRegion` and `eventTime`). The ingest `@timestamp` is the
//! receive time, as for every record without CloudWatch Logs metadata.

use std::ops::Range;

use super::shape;
use super::unit::{Context, Fields, Sink};
use crate::json::Value;
use crate::json::parse::{ParseOptions, parse, parse_prefix};

/// Expand one complete EventBridge event text. `base` holds the delivery's transport fields.
pub fn expand(text: &[u8], base: &Fields, ctx: &Context<'_>, sink: &mut Sink<'_>) {
    let s = String::from_utf8_lossy(text);
    let opts = ParseOptions {
        max_depth: ctx.limits.max_depth.saturating_add(1),
    };
    let env = match parse(&s, &opts) {
        Ok(Value::Object(m)) => m,
        Ok(other) => {
            let reason = format!("EventBridge event is {}, not an object", other.type_name());
            sink.error(text, reason, base.clone());
            return;
        }
        Err(e) => {
            let reason = format!("EventBridge event is not valid JSON: {e}");
            sink.error(text, reason, base.clone());
            return;
        }
    };
    let mut fields = base.clone();
    let ctx_field = |k: &str| env.get(k).and_then(Value::as_str);
    if let Some(id) = ctx_field("id") {
        fields.push(("aws.eventbridge.id", Value::str(id)));
    }
    if let Some(t) = ctx_field("detail-type") {
        fields.push(("aws.eventbridge.detail_type", Value::str(t)));
    }
    if let Some(src) = ctx_field("source") {
        fields.push(("aws.eventbridge.source", Value::str(src)));
    }
    let span = member_span(&s, "detail", &opts);
    let detail = span.and_then(|r| s.as_bytes().get(r)).unwrap_or_default();
    match shape::is_cloudtrail_record(detail) {
        Ok(()) => sink.record(detail, fields),
        Err(why) => {
            let kind: String = ctx_field("detail-type")
                .unwrap_or("?")
                .chars()
                .take(80)
                .collect();
            let reason =
                format!("EventBridge event `{kind}` is not a CloudTrail event: its `detail` {why}");
            sink.error(text, reason, fields);
        }
    }
}

/// Byte span of the value of the top-level member `name` of a valid JSON object text.
pub fn member_span(text: &str, name: &str, opts: &ParseOptions) -> Option<Range<usize>> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    loop {
        i = skip_ws(b, i);
        let (key, used) = parse_prefix(text.get(i..)?, opts).ok()?;
        i += used;
        if b.get(i) != Some(&b':') {
            return None;
        }
        let start = skip_ws(b, i + 1);
        let (_, used) = parse_prefix(text.get(start..)?, opts).ok()?;
        let mut end = start + used;
        while end > start && matches!(b.get(end - 1), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            end -= 1;
        }
        if key.as_str() == Some(name) {
            return Some(start..end);
        }
        i = start + used;
        if b.get(i) != Some(&b',') {
            return None;
        }
        i += 1;
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::super::unit::{Unit, UnitKind, collect_units};
    use super::*;
    use crate::api::Limits;

    fn run(text: &str) -> Vec<Unit> {
        collect_units(&Limits::default(), |ctx, sink| {
            expand(text.as_bytes(), &Fields::new(), ctx, sink);
        })
    }

    #[test]
    fn member_spans_are_exact_and_skip_other_members() {
        let opts = ParseOptions::default();
        let text = r#" { "a" : [1, {"detail":2}] , "detail" :  {"x": "}"} , "z":null}"#;
        let r = member_span(text, "detail", &opts).expect("span");
        assert_eq!(&text[r], r#"{"x": "}"}"#);
        assert_eq!(
            member_span(text, "z", &opts).map(|r| &text[r]),
            Some("null")
        );
        assert_eq!(member_span(text, "missing", &opts), None);
        assert_eq!(member_span("[1]", "a", &opts), None);
        assert_eq!(member_span("{}", "a", &opts), None);
    }

    #[test]
    fn api_call_events_give_their_detail_verbatim_with_the_envelope_context() {
        let detail = "{\n  \"eventVersion\": \"1.08\",\n  \"eventID\": \"e-1\",\n  \"eventSource\": \"lambda.amazonaws.com\"\n}";
        let text = format!(
            r#"{{"version":"0","id":"3128a7b0","detail-type":"AWS API Call via CloudTrail","source":"aws.lambda","account":"1","time":"2024-06-02T20:16:32Z","region":"us-east-1","resources":[],"detail":{detail}}}"#
        );
        let units = run(&text);
        assert_eq!(units.len(), 1);
        assert!(
            matches!(&units[0].kind, UnitKind::Record { text, .. } if text == detail.as_bytes())
        );
        let names: Vec<(&str, Option<&str>)> = units[0]
            .fields
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("aws.eventbridge.id", Some("3128a7b0")),
                (
                    "aws.eventbridge.detail_type",
                    Some("AWS API Call via CloudTrail")
                ),
                ("aws.eventbridge.source", Some("aws.lambda")),
            ]
        );
    }

    #[test]
    fn other_events_are_error_documents_naming_the_detail_type() {
        for (text, what) in [
            (
                r#"{"id":"7b","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{"instance-id":"i-1","state":"pending"}}"#,
                "EC2 Instance State-change Notification",
            ),
            (
                r#"{"detail-type":"Scheduled Event","detail":{}}"#,
                "Scheduled Event",
            ),
            (r#"{"detail-type":"x","detail":"text"}"#, "`x`"),
            (
                r#"{"detail-type":"x","detail":1,"detail":2}"#,
                "not valid JSON",
            ),
        ] {
            let units = run(text);
            assert!(
                matches!(&units[..], [Unit { kind: UnitKind::Error { reason, .. }, .. }] if reason.contains(what)),
                "{text}: {units:?}"
            );
        }
    }
}
