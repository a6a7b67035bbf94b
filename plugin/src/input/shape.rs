//! What a top-level JSON object is, from its keys (`spec/input-formats.md` §0 "JSON shape by
//! keys", §5; `spec/reliability.md` §3.2 J4–J5, §3.3 T12).
//!
//! The framer streams `{"Records":[…]}` objects element by element without asking this module;
//! every other top-level object is captured whole and classified here by its member names.
//!
//! Rules (first match wins):
//! 1. a digest key (`digestStartTime`, `digestS3Object`, `logFiles`) → one digest record;
//! 2. a CloudTrail record key (`eventVersion`, `eventTime`, `eventSource`) → one bare record;
//! 3. `logEvents` with `messageType`, `owner`, `logGroup` or `logStream` → a CloudWatch Logs
//!    subscription envelope (`spec/input-formats.md` §3.2; lenient: `messageType` may be
//!    missing, F9);
//! 4. `detail-type` with `detail` → an EventBridge event (§3.6);
//! 5. anything else (`{"Service":"Amazon S3","Event":"s3:TestEvent"}`, SNS/SQS bodies, Lambda
//!    events, a Firehose body without a `records` array) → "not CloudTrail".
//!
//! A Firehose request body is recognised by the framer itself when it meets a top-level
//! `records` array (streamed element by element like `Records`); its first element is checked
//! with [`check_firehose_element`].
//!
//! A `Records` file is checked on its first element that is an object
//! ([`check_records_element`]): AWS event notifications share the `Records` wrapper (and even
//! `eventVersion`/`eventTime`/`eventSource`), so the element is rejected when its `eventSource`
//! starts with `aws:` (S3, SQS, SES, Kinesis, DynamoDB notifications; CloudTrail's are
//! `*.amazonaws.com`), when it has an `EventSource` (SNS) or `s3` member, or when it has none of
//! the CloudTrail record keys. Bare records get the same notification check.
//!
//! Extension point: a new envelope adds a [`Shape`] variant and one arm in [`classify_object`].

/// Member names that mark a CloudTrail record.
const RECORD_KEYS: &[&str] = &["eventVersion", "eventTime", "eventSource"];
/// Member names that mark a digest file.
const DIGEST_KEYS: &[&str] = &["digestStartTime", "digestS3Object", "logFiles"];
/// Member names that, beside `logEvents`, mark a CloudWatch Logs subscription envelope.
const CWL_KEYS: &[&str] = &["messageType", "owner", "logGroup", "logStream"];
/// Keys at least one of which the first `Records` element must have.
const ELEMENT_KEYS: &[&str] = &[
    "eventVersion",
    "eventTime",
    "eventSource",
    "eventName",
    "eventID",
    "eventType",
];

/// What a top-level object without a `Records` array is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A CloudTrail digest file: one record, the whole object.
    Digest,
    /// A bare CloudTrail record: one record, the whole object.
    BareRecord,
    /// A CloudWatch Logs subscription envelope: one record per log event.
    CwlEnvelope,
    /// An EventBridge event: its `detail` is the record.
    EventBridge,
    /// Valid JSON that is not CloudTrail; the reason names what it looks like.
    NotCloudtrail(String),
}

/// Classify a top-level object by its member names (as written, escapes not decoded).
pub fn classify_object(keys: &[String]) -> Shape {
    let has = |k: &str| keys.iter().any(|x| x == k);
    let any = |set: &[&str]| set.iter().any(|k| has(k));
    match () {
        () if any(DIGEST_KEYS) => Shape::Digest,
        () if any(RECORD_KEYS) => Shape::BareRecord,
        () if has("Service") && has("Event") => {
            Shape::NotCloudtrail("an S3 test event (`Service`/`Event`), not CloudTrail".into())
        }
        () if has("logEvents") && any(CWL_KEYS) => Shape::CwlEnvelope,
        () if has("detail-type") && has("detail") => Shape::EventBridge,
        () if has("requestId") && (has("timestamp") || has("records")) => {
            Shape::NotCloudtrail("a Firehose request body without a `records` array".into())
        }
        () => Shape::NotCloudtrail(format!(
            "top-level object has no `Records` array, digest keys or CloudTrail record keys (keys: {})",
            shown_keys(keys)
        )),
    }
}

/// Check the first element of a Firehose body's `records` array (its complete text): an object
/// with `data` and without `recordId` (which marks the Firehose *Lambda transformation* event,
/// a different contract, `spec/input-formats.md` §2.4).
pub fn check_firehose_element(text: &[u8]) -> Result<(), String> {
    if text.first() != Some(&b'{') {
        return Err(
            "the first `records` element is not an object: not a Firehose request body".into(),
        );
    }
    let members = top_level_members(text);
    let has = |k: &str| members.iter().any(|(key, _)| key == k);
    if has("recordId") {
        return Err(
            "a Firehose Lambda transformation event (`records[].recordId`), not an HTTP endpoint \
             request body"
                .into(),
        );
    }
    if !has("data") {
        return Err(format!(
            "the first `records` element has no `data` member (keys: {}): not a Firehose request \
             body",
            shown_keys(&members.into_iter().map(|(k, _)| k).collect::<Vec<_>>())
        ));
    }
    Ok(())
}

/// Whether a complete JSON text is one CloudTrail record by its top-level keys (a record key
/// or a digest key, and not an AWS event notification): the test for log-event messages and
/// EventBridge `detail` objects.
pub fn is_cloudtrail_record(text: &[u8]) -> Result<(), String> {
    let start = text
        .iter()
        .position(|b| !matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
        .unwrap_or(text.len());
    if text.get(start) != Some(&b'{') {
        return Err("it is not a JSON object".into());
    }
    let members = top_level_members(text.get(start..).unwrap_or_default());
    check_notification(&members)?;
    let has = |k: &str| members.iter().any(|(key, _)| key == k);
    if ELEMENT_KEYS.iter().chain(DIGEST_KEYS).any(|k| has(k)) {
        Ok(())
    } else {
        Err(format!(
            "it has none of the CloudTrail record keys (keys: {})",
            shown_keys(&members.into_iter().map(|(k, _)| k).collect::<Vec<_>>())
        ))
    }
}

/// Check the first object element of a `Records` array (its complete text).
pub fn check_records_element(text: &[u8]) -> Result<(), String> {
    let members = top_level_members(text);
    check_notification(&members)?;
    if !ELEMENT_KEYS
        .iter()
        .any(|k| members.iter().any(|(key, _)| key == k))
    {
        return Err(format!(
            "the first `Records` element has none of the CloudTrail record keys (keys: {})",
            shown_keys(&members.into_iter().map(|(k, _)| k).collect::<Vec<_>>())
        ));
    }
    Ok(())
}

/// Check a bare record (its complete text) for the notification shapes.
pub fn check_bare_record(text: &[u8]) -> Result<(), String> {
    check_notification(&top_level_members(text))
}

fn check_notification(members: &[(String, Option<String>)]) -> Result<(), String> {
    let get = |k: &str| members.iter().find(|(key, _)| key == k);
    if let Some((_, Some(src))) = get("eventSource")
        && src.starts_with("aws:")
    {
        let src: String = src.chars().take(40).collect();
        return Err(format!(
            "records are `{src}` event notifications, not CloudTrail records"
        ));
    }
    if get("EventSource").is_some() {
        return Err("records are SNS notifications (`EventSource`), not CloudTrail records".into());
    }
    if get("s3").is_some() {
        return Err("records are S3 event notifications (`s3`), not CloudTrail records".into());
    }
    Ok(())
}

/// At most 8 key names, each at most 40 characters, for messages.
fn shown_keys(keys: &[String]) -> String {
    let mut s = String::new();
    for (n, k) in keys.iter().take(8).enumerate() {
        if n > 0 {
            s.push_str(", ");
        }
        s.extend(k.chars().take(40));
    }
    if keys.len() > 8 {
        s.push_str(", …");
    }
    if s.is_empty() {
        s.push_str("none");
    }
    s
}

/// Members of a complete JSON object text: names, and the value when it is a string (raw
/// text between the quotes, escapes not decoded). At most 256 members are listed.
pub fn top_level_members(text: &[u8]) -> Vec<(String, Option<String>)> {
    let mut members: Vec<(String, Option<String>)> = Vec::new();
    let mut depth = 0usize;
    let mut expect_key = false;
    let mut i = 0usize;
    while let Some(&b) = text.get(i) {
        match b {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while let Some(&c) = text.get(j) {
                    match c {
                        b'\\' => j += 2,
                        b'"' => break,
                        _ => j += 1,
                    }
                }
                if depth == 1 {
                    let s = String::from_utf8_lossy(text.get(start..j).unwrap_or_default())
                        .into_owned();
                    if expect_key {
                        if members.len() >= 256 {
                            break;
                        }
                        members.push((s, None));
                        expect_key = false;
                    } else if let Some(last) = members.last_mut() {
                        last.1 = Some(s);
                    }
                }
                i = j + 1;
                continue;
            }
            b'{' | b'[' => {
                depth += 1;
                if depth == 1 {
                    expect_key = b == b'{';
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' if depth == 1 => expect_key = true,
            _ => {}
        }
        i += 1;
    }
    members
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(ks: &[&str]) -> Vec<String> {
        ks.iter().map(|k| (*k).to_owned()).collect()
    }

    #[test]
    fn objects_are_classified_by_their_keys() {
        assert_eq!(
            classify_object(&keys(&["awsAccountId", "digestStartTime"])),
            Shape::Digest
        );
        assert_eq!(classify_object(&keys(&["logFiles"])), Shape::Digest);
        assert_eq!(
            classify_object(&keys(&["eventVersion", "userIdentity"])),
            Shape::BareRecord
        );
        assert_eq!(classify_object(&keys(&["eventTime"])), Shape::BareRecord);
        assert_eq!(
            classify_object(&keys(&["messageType", "logEvents", "owner"])),
            Shape::CwlEnvelope
        );
        assert_eq!(
            classify_object(&keys(&["owner", "logGroup", "logEvents"])),
            Shape::CwlEnvelope,
            "messageType may be missing"
        );
        assert_eq!(
            classify_object(&keys(&["version", "detail-type", "detail"])),
            Shape::EventBridge
        );
        for ks in [
            &["Service", "Event", "Time", "Bucket"][..],
            &["requestId", "timestamp"],
            &["requestId", "timestamp", "records"],
            &["logEvents"],
            &["detail"],
            &["awslogs"],
            &["Type", "MessageId", "Message"],
            &[],
        ] {
            assert!(
                matches!(classify_object(&keys(ks)), Shape::NotCloudtrail(_)),
                "{ks:?}"
            );
        }
    }

    #[test]
    fn records_elements_from_aws_notifications_are_rejected() {
        let cases: &[(&str, bool)] = &[
            (
                r#"{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject"}"#,
                true,
            ),
            (
                r#"{"eventVersion":"1.07","eventTime":"2020-01-01T00:00:00Z","eventType":"AwsCloudTrailInsight","insightDetails":{"s3":1}}"#,
                true,
            ),
            (
                r#"{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{}}"#,
                false,
            ),
            (r#"{"eventSource":"aws:sqs","body":"x"}"#, false),
            (r#"{"EventSource":"aws:sns","Sns":{}}"#, false),
            (r#"{"s3":{"bucket":{}}}"#, false),
            (r#"{"foo":1,"bar":[{"eventVersion":"1"}]}"#, false),
            (r#"{}"#, false),
        ];
        for (text, ok) in cases {
            assert_eq!(
                check_records_element(text.as_bytes()).is_ok(),
                *ok,
                "{text}"
            );
        }
    }

    #[test]
    fn firehose_elements_need_data_and_no_record_id() {
        let cases: &[(&str, bool)] = &[
            (r#"{"data":"H4sI"}"#, true),
            (r#"{"data":""}"#, true),
            (r#"{"data":"eyJ9","extra":1}"#, true),
            (
                r#"{"recordId":"1","data":"eyJ9","approximateArrivalTimestamp":1}"#,
                false,
            ),
            (r#"{"Data":"eyJ9"}"#, false),
            (r#"{}"#, false),
            (r#""eyJ9""#, false),
            ("[]", false),
        ];
        for (text, ok) in cases {
            assert_eq!(
                check_firehose_element(text.as_bytes()).is_ok(),
                *ok,
                "{text}"
            );
        }
    }

    #[test]
    fn cloudtrail_records_are_told_from_other_log_messages() {
        let cases: &[(&str, bool)] = &[
            (
                r#"{"eventVersion":"1.08","eventSource":"s3.amazonaws.com"}"#,
                true,
            ),
            (r#"  {"eventID":"x"}"#, true),
            (
                r#"{"eventVersion":"1.03","userIdentity":{"type":"Root"}"#,
                true,
            ),
            (r#"{"digestStartTime":"2024-05-01T00:00:00Z"}"#, true),
            ("[ERROR] First test message", false),
            (
                "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
                false,
            ),
            (r#"{"bytes":26780,"host":"157.130.216.193"}"#, false),
            (
                r#"{"eventVersion":"2.1","eventSource":"aws:s3","s3":{}}"#,
                false,
            ),
            (r#"{"nested":{"eventVersion":"1.08"}}"#, false),
            ("", false),
        ];
        for (text, ok) in cases {
            assert_eq!(is_cloudtrail_record(text.as_bytes()).is_ok(), *ok, "{text}");
        }
    }

    #[test]
    fn member_listing_skips_nested_members_and_escaped_quotes() {
        let m = top_level_members(
            br#"{"a":"x\"y","b":{"c":"d","e":[1,"f"]},"g":[{"h":1}],"i":2, "j" : "k"}"#,
        );
        assert_eq!(
            m,
            vec![
                ("a".into(), Some(r#"x\"y"#.into())),
                ("b".into(), None),
                ("g".into(), None),
                ("i".into(), None),
                ("j".into(), Some("k".into())),
            ]
        );
    }
}
