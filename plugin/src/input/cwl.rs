//! CloudWatch Logs subscription envelopes (`spec/input-formats.md` §3.2, §3.3;
//! `spec/elastic-parity.md` §4; `spec/reliability.md` §3.4 F4–F7, F9).
//!
//! `{messageType, owner, logGroup, logStream, subscriptionFilters, logEvents[], policyLevel?}`:
//! - `CONTROL_MESSAGE` → one `ControlMessage` skip for the envelope, no document;
//! - `DATA_MESSAGE` (or no `messageType`, lenient) → one unit per log event, in order; no log
//!   events → no units;
//! - anything else (unknown `messageType`, `logEvents` not an array, not JSON) → one error
//!   document for the envelope.
//!
//! A log event whose `message` is a CloudTrail record (by its keys, [`super::shape`]) goes to
//! the pipeline; any other message (application text, VPC flow logs, JSON of another shape)
//! becomes an error document that names the log stream and says why: never a silent drop, never
//! a cloudtrail document (Elastic routes by log-stream name instead; a CloudTrail-shaped record
//! in a stream whose name lacks `CloudTrail` is still decoded).
//!
//! Ingest fields per log event, as Elastic's Firehose endpoint writes them (§4):
//! `@timestamp` = the log event's `timestamp` (ms → `yyyy-MM-ddTHH:mm:ss.SSSZ`),
//! `aws.cloudwatch.log_group`, `aws.cloudwatch.log_stream`, `aws.firehose.subscription_filters`
//! (the names rendered `"[a b]"`, Go's rendering of a string list: one name gives the fixture's
//! `"[name]"`, several are space-separated, an assumption), `cloud.provider: aws`,
//! `cloud.account.id` = `owner`, `event.id` = the log-event id (so the CloudTrail `eventID` is
//! not `event.id` on this path, ⚑ 20). Our addition: `extractedFields` `@aws.account` /
//! `@aws.region` (cross-account centralisation, where `owner` is the central account) replace
//! `cloud.account.id` / `cloud.region`; Elastic's fixture has no such fields.

use super::shape;
use super::unit::{Context, Fields, Sink};
use crate::api::SkipReason;
use crate::json::parse::{ParseOptions, parse};
use crate::json::write::to_json;
use crate::json::{Map, Value};
use crate::time::format_millis;

/// Latest log-event timestamp accepted (9999-12-31T23:59:59.999Z); later ones keep the
/// receive time.
const MAX_TIMESTAMP_MS: i64 = 253_402_300_799_999;

/// Expand one complete envelope text. `base` holds the transport fields of the delivery
/// (Firehose), applied before the envelope's own.
pub fn expand(text: &[u8], base: &Fields, ctx: &Context<'_>, sink: &mut Sink<'_>) {
    let s = String::from_utf8_lossy(text);
    let opts = ParseOptions {
        max_depth: ctx.limits.max_depth.saturating_add(4),
    };
    let env = match parse(&s, &opts) {
        Ok(Value::Object(m)) => m,
        Ok(other) => {
            let reason = format!(
                "CloudWatch Logs envelope is {}, not an object",
                other.type_name()
            );
            sink.error(text, reason, base.clone());
            return;
        }
        Err(e) => {
            let reason = format!("CloudWatch Logs envelope is not valid JSON: {e}");
            sink.error(text, reason, base.clone());
            return;
        }
    };
    match env.get("messageType") {
        None | Some(Value::Null) => {}
        Some(Value::String(t)) if t == "DATA_MESSAGE" => {}
        Some(Value::String(t)) if t == "CONTROL_MESSAGE" => {
            sink.skip(SkipReason::ControlMessage);
            return;
        }
        Some(other) => {
            let shown: String = to_json(other).chars().take(64).collect();
            let reason = format!("CloudWatch Logs envelope has an unknown messageType {shown}");
            sink.error(text, reason, base.clone());
            return;
        }
    }
    let Some(Value::Array(events)) = env.get("logEvents") else {
        let reason = "CloudWatch Logs envelope has no `logEvents` array".to_owned();
        sink.error(text, reason, base.clone());
        return;
    };
    let mut fields = base.clone();
    fields.extend(envelope_fields(&env));
    let stream = env.get("logStream").and_then(Value::as_str).unwrap_or("");
    for event in events {
        expand_event(event, &fields, stream, sink);
    }
}

/// The envelope's fields shared by its log events.
fn envelope_fields(env: &Map) -> Fields {
    let mut f = Fields::new();
    let text = |k: &str| env.get(k).and_then(Value::as_str);
    if let Some(g) = text("logGroup") {
        f.push(("aws.cloudwatch.log_group", Value::str(g)));
    }
    if let Some(s) = text("logStream") {
        f.push(("aws.cloudwatch.log_stream", Value::str(s)));
    }
    if let Some(Value::Array(names)) = env.get("subscriptionFilters") {
        f.push((
            "aws.firehose.subscription_filters",
            Value::String(render_filters(names)),
        ));
    }
    f.push(("cloud.provider", Value::str("aws")));
    if let Some(owner) = text("owner") {
        f.push(("cloud.account.id", Value::str(owner)));
    }
    f
}

/// Subscription filter names as Elastic renders them: `[a b]`.
pub fn render_filters(names: &[Value]) -> String {
    let mut s = String::from("[");
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        match n {
            Value::String(t) => s.push_str(t),
            other => s.push_str(&to_json(other)),
        }
    }
    s.push(']');
    s
}

/// One log event: a pipeline record when its message is a CloudTrail record, else an error.
fn expand_event(event: &Value, envelope: &Fields, stream: &str, sink: &mut Sink<'_>) {
    let Some(ev) = event.as_object() else {
        let reason = format!(
            "CloudWatch Logs log event is {}, not an object",
            event.type_name()
        );
        sink.error(to_json(event).as_bytes(), reason, envelope.clone());
        return;
    };
    let mut fields = envelope.clone();
    fields.extend(event_fields(ev));
    let id = match ev.get("id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.as_str().to_owned(),
        _ => String::new(),
    };
    match ev.get("message") {
        Some(Value::String(msg)) => match shape::is_cloudtrail_record(msg.as_bytes()) {
            Ok(()) => sink.record(msg.as_bytes(), fields),
            Err(why) => {
                let reason = format!(
                    "log event {} of log stream `{}` is not a CloudTrail record: {why}",
                    shown(&id),
                    shown(stream)
                );
                sink.error(msg.as_bytes(), reason, fields);
            }
        },
        other => {
            let what = other.map_or("missing", Value::type_name);
            let reason = format!(
                "log event {} of log stream `{}` has no text `message` ({what})",
                shown(&id),
                shown(stream)
            );
            sink.error(to_json(event).as_bytes(), reason, fields);
        }
    }
}

/// The log event's own fields.
fn event_fields(ev: &Map) -> Fields {
    let mut f = Fields::new();
    match ev.get("id") {
        Some(Value::String(s)) => f.push(("event.id", Value::str(s.as_str()))),
        Some(Value::Number(n)) => f.push(("event.id", Value::str(n.as_str()))),
        _ => {}
    }
    if let Some(ms) = ev
        .get("timestamp")
        .and_then(|v| match v {
            Value::Number(n) => n.as_i64(),
            _ => None,
        })
        .filter(|ms| (0..=MAX_TIMESTAMP_MS).contains(ms))
    {
        f.push(("@timestamp", Value::String(format_millis(ms))));
    }
    if let Some(Value::Object(x)) = ev.get("extractedFields") {
        if let Some(a) = x.get("@aws.account").and_then(Value::as_str) {
            f.push(("cloud.account.id", Value::str(a)));
        }
        if let Some(r) = x.get("@aws.region").and_then(Value::as_str) {
            f.push(("cloud.region", Value::str(r)));
        }
    }
    f
}

/// At most 80 characters of an untrusted name, for messages.
fn shown(s: &str) -> String {
    let mut t: String = s.chars().take(80).collect();
    if t.len() < s.len() {
        t.push('…');
    }
    t
}

#[cfg(test)]
mod tests {
    use super::super::framing::RecordBody;
    use super::super::unit::{Unit, UnitKind, collect_units};
    use super::*;
    use crate::api::Limits;

    fn run(text: &str) -> Vec<Unit> {
        collect_units(&Limits::default(), |ctx, sink| {
            expand(
                text.as_bytes(),
                &vec![("x.base", Value::str("b"))],
                ctx,
                sink,
            );
        })
    }

    fn field<'a>(u: &'a Unit, name: &str) -> Option<&'a Value> {
        u.fields
            .iter()
            .rev()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }

    const CT: &str = r#"{\"eventVersion\":\"1.08\",\"eventID\":\"ct-1\",\"eventTime\":\"2024-05-01T00:00:00Z\"}"#;

    #[test]
    fn data_message_gives_one_record_per_log_event_with_the_endpoint_fields() {
        let env = format!(
            r#"{{"messageType":"DATA_MESSAGE","owner":"111122223333","logGroup":"CloudTrail/logs","logStream":"111122223333_CloudTrail_us-east-1","subscriptionFilters":["a","b"],"logEvents":[{{"id":"3195310660696698337880902507980421114328961542429822156","timestamp":1714521600123,"message":"{CT}"}},{{"id":"2","timestamp":1714521600124,"message":"{CT}"}}]}}"#
        );
        let units = run(&env);
        assert_eq!(units.len(), 2);
        let u = &units[0];
        assert!(
            matches!(&u.kind, UnitKind::Record { text, body: RecordBody::Complete, .. }
            if text.starts_with(br#"{"eventVersion":"1.08""#))
        );
        let s = |k: &str| field(u, k).and_then(Value::as_str);
        assert_eq!(s("x.base"), Some("b"), "base fields come first");
        assert_eq!(s("aws.cloudwatch.log_group"), Some("CloudTrail/logs"));
        assert_eq!(
            s("aws.cloudwatch.log_stream"),
            Some("111122223333_CloudTrail_us-east-1")
        );
        assert_eq!(s("aws.firehose.subscription_filters"), Some("[a b]"));
        assert_eq!(s("cloud.provider"), Some("aws"));
        assert_eq!(s("cloud.account.id"), Some("111122223333"));
        assert_eq!(
            s("event.id"),
            Some("3195310660696698337880902507980421114328961542429822156")
        );
        assert_eq!(s("@timestamp"), Some("2024-05-01T00:00:00.123Z"));
        assert_eq!(
            field(&units[1], "@timestamp").and_then(Value::as_str),
            Some("2024-05-01T00:00:00.124Z")
        );
        assert_eq!((units[0].index, units[1].index), (0, 1));
    }

    #[test]
    fn control_messages_are_one_counted_skip() {
        let units = run(
            r#"{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1741312971934,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}"#,
        );
        assert_eq!(units.len(), 1);
        assert_eq!(units[0].kind, UnitKind::Skip(SkipReason::ControlMessage));
    }

    #[test]
    fn non_cloudtrail_messages_become_error_documents_naming_the_stream() {
        let units = run(
            r#"{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"testLogGroup","logStream":"testLogStream","subscriptionFilters":["testFilter"],"logEvents":[{"id":"eventId1","timestamp":1440442987000,"message":"[ERROR] First test message"},{"id":"eventId2","timestamp":1440442987001,"message":"{\"bytes\":1}"},{"id":"eventId3","timestamp":1,"message":7},{"id":"eventId4"}, 5]}"#,
        );
        assert_eq!(units.len(), 5);
        for u in &units {
            assert!(matches!(&u.kind, UnitKind::Error { .. }), "{u:?}");
        }
        let UnitKind::Error { original, reason } = &units[0].kind else {
            unreachable!()
        };
        assert_eq!(original, b"[ERROR] First test message");
        assert!(
            reason.contains("eventId1") && reason.contains("`testLogStream`"),
            "{reason}"
        );
        assert_eq!(
            field(&units[0], "event.id").and_then(Value::as_str),
            Some("eventId1"),
            "error documents keep the log-event id and time (F6)"
        );
        assert_eq!(
            field(&units[0], "@timestamp").and_then(Value::as_str),
            Some("2015-08-24T19:03:07.000Z")
        );
    }

    #[test]
    fn odd_envelopes_are_tolerated_or_one_error() {
        // no messageType, no owner/filters, empty stream (F9)
        let units = run(&format!(
            r#"{{"logGroup":"g","logStream":"","logEvents":[{{"id":"1","timestamp":"x","message":"{CT}"}}]}}"#
        ));
        assert_eq!(units.len(), 1);
        assert!(matches!(units[0].kind, UnitKind::Record { .. }));
        assert_eq!(
            field(&units[0], "@timestamp"),
            None,
            "bad timestamp: receive time"
        );
        assert_eq!(field(&units[0], "cloud.account.id"), None);
        assert_eq!(field(&units[0], "aws.firehose.subscription_filters"), None);
        for bad in [
            r#"{"messageType":"OTHER","logEvents":[]}"#,
            r#"{"messageType":"DATA_MESSAGE","logEvents":{}}"#,
            r#"{"messageType":"DATA_MESSAGE","owner":"1","owner":"2","logEvents":[]}"#,
            r#"{"messageType":"DATA_MESSAGE","logEvents":["#,
        ] {
            let units = run(bad);
            assert!(
                matches!(
                    &units[..],
                    [Unit {
                        kind: UnitKind::Error { .. },
                        ..
                    }]
                ),
                "{bad}: {units:?}"
            );
        }
        assert!(run(r#"{"messageType":"DATA_MESSAGE","logEvents":[]}"#).is_empty());
    }

    #[test]
    fn extracted_fields_name_the_source_account_and_region() {
        let units = run(&format!(
            r#"{{"messageType":"DATA_MESSAGE","owner":"123","logGroup":"g","logStream":"s","subscriptionFilters":["f"],"logEvents":[{{"id":"1","timestamp":1,"message":"{CT}","extractedFields":{{"@aws.account":"999888777666","@aws.region":"us-west-2"}}}}]}}"#
        ));
        assert_eq!(
            field(&units[0], "cloud.account.id").and_then(Value::as_str),
            Some("999888777666")
        );
        assert_eq!(
            field(&units[0], "cloud.region").and_then(Value::as_str),
            Some("us-west-2")
        );
    }

    #[test]
    fn filters_render_like_the_reference() {
        let v = |names: &[&str]| names.iter().map(|n| Value::str(*n)).collect::<Vec<_>>();
        assert_eq!(render_filters(&v(&["Destination"])), "[Destination]");
        assert_eq!(render_filters(&v(&["a", "b c"])), "[a b c]");
        assert_eq!(render_filters(&v(&[])), "[]");
    }
}
