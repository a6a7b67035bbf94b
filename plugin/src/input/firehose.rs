//! Firehose HTTP-endpoint records (`spec/input-formats.md` §2.1, §3.1, §3.4–§3.6, §5;
//! `spec/reliability.md` §3.4 F2, F3, F8, F10; `spec/elastic-parity.md` §4).
//!
//! The framer streams the body's `records` array; each element reaches [`expand_record`]:
//! `data` → strict base64 ([`super::base64`]) → gzip when it starts with `1f 8b 08` (any number
//! of members, capped at `max_record_decompressed_bytes`) → a JSON framer over the payload, so
//! one record may hold several envelopes or records back to back or newline-separated:
//! CloudWatch Logs envelopes ([`super::cwl`]), EventBridge events ([`super::eventbridge`]),
//! `{"Records":[…]}` objects and bare (message-extracted) CloudTrail records.
//!
//! Outcomes per record: an empty (or whitespace-only) `data` is an `EmptyRecord` skip; bad
//! base64, a broken gzip member, a payload over the cap, or a payload (or its rest) that is not
//! CloudTrail JSON becomes one error document for that record (its `data` text, or the payload
//! text, as `event.original`); the other records of the request are unaffected.
//!
//! Transport fields on every unit of a Firehose body (Elastic's endpoint writes the same):
//! `aws.firehose.request_id` (the host's `X-Amz-Firehose-Request-Id`, else the body's
//! `requestId`), `aws.firehose.arn`, `aws.kinesis.type: deliverystream`, `aws.kinesis.name` and
//! `cloud.region` from the source ARN, `cloud.provider: aws`, and the common attributes as
//! `aws.firehose.parameters` (the name of Elastic's field for them; inferred from its
//! `awsfirehose` field list, unverified).

use std::collections::VecDeque;

use super::base64;
use super::framing::{JsonFramer, RawRecord, RecordBody, RecordKind};
use super::gzip::{GZIP_MAGIC, GzipError, GzipInflater};
use super::unit::{Context, Fields, Sink};
use super::{cwl, eventbridge};
use crate::api::{Limits, SkipReason, SourceMeta};
use crate::json::parse::{ParseOptions, parse};
use crate::json::{Map, Value};

/// What the host said about the Firehose delivery (headers), parsed once per request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FirehoseSource {
    /// `X-Amz-Firehose-Request-Id`.
    pub request_id: Option<String>,
    /// `X-Amz-Firehose-Source-Arn`.
    pub arn: Option<String>,
    /// Region of the ARN.
    pub region: Option<String>,
    /// Delivery stream name of the ARN (`deliverystream/<name>`).
    pub stream_name: Option<String>,
    /// Common attributes, in the order given.
    pub attributes: Vec<(String, String)>,
}

impl FirehoseSource {
    /// From the source metadata.
    pub fn from_meta(meta: &SourceMeta) -> FirehoseSource {
        let arn = meta.firehose_source_arn.clone().filter(|a| !a.is_empty());
        let (region, stream_name) = arn.as_deref().map(parse_arn).unwrap_or_default();
        FirehoseSource {
            request_id: meta.firehose_request_id.clone().filter(|r| !r.is_empty()),
            arn,
            region,
            stream_name,
            attributes: meta.common_attributes.clone(),
        }
    }

    /// Transport fields of a unit that came in a Firehose body whose `requestId` is
    /// `body_request_id` (the host's request id wins: they are the same by the protocol).
    pub fn fields(&self, body_request_id: Option<&str>) -> Fields {
        let mut f = Fields::new();
        if let Some(arn) = &self.arn {
            f.push(("aws.firehose.arn", Value::str(arn.as_str())));
        }
        if let Some(id) = self.request_id.as_deref().or(body_request_id) {
            f.push(("aws.firehose.request_id", Value::str(id)));
        }
        if !self.attributes.is_empty() {
            let mut m = Map::new();
            for (k, v) in &self.attributes {
                m.insert(k.as_str(), Value::str(v.as_str()));
            }
            f.push(("aws.firehose.parameters", Value::Object(m)));
        }
        f.push(("aws.kinesis.type", Value::str("deliverystream")));
        if let Some(name) = &self.stream_name {
            f.push(("aws.kinesis.name", Value::str(name.as_str())));
        }
        f.push(("cloud.provider", Value::str("aws")));
        if let Some(region) = &self.region {
            f.push(("cloud.region", Value::str(region.as_str())));
        }
        f
    }
}

/// Region and delivery-stream name of `arn:<partition>:firehose:<region>:<account>:
/// deliverystream/<name>`; `None` for parts that are missing or empty.
pub fn parse_arn(arn: &str) -> (Option<String>, Option<String>) {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let (Some(&"arn"), Some(region), Some(resource)) = (parts.first(), parts.get(3), parts.get(5))
    else {
        return (None, None);
    };
    let region = Some((*region).to_owned()).filter(|r| !r.is_empty());
    let name = resource
        .strip_prefix("deliverystream/")
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    (region, name)
}

/// Capture cap of one `records` element: the base64 text of `max_record_decompressed_bytes`
/// bytes of data plus room for the member name and whitespace.
pub fn element_cap(limits: &Limits) -> u64 {
    limits
        .max_record_decompressed_bytes
        .saturating_add(2)
        .saturating_div(3)
        .saturating_mul(4)
        .saturating_add(1024)
}

/// Expand one complete `records` element (its JSON text) into units.
pub fn expand_record(element: &[u8], fields: &Fields, ctx: &Context<'_>, sink: &mut Sink<'_>) {
    let data = match record_data(element) {
        Ok(d) => d,
        Err(reason) => {
            sink.error(element, reason, fields.clone());
            return;
        }
    };
    if data.is_empty() {
        sink.skip(SkipReason::EmptyRecord);
        return;
    }
    let bytes = match base64::decode(data.as_bytes()) {
        Ok(b) => b,
        Err(e) => {
            let reason = format!("Firehose record data is not valid base64: {e}");
            sink.error(data.as_bytes(), reason, fields.clone());
            return;
        }
    };
    let cap = ctx.limits.max_record_decompressed_bytes;
    let payload = if bytes.starts_with(&GZIP_MAGIC) {
        match inflate(&bytes, cap) {
            Ok(p) => p,
            Err(reason) => {
                sink.error(data.as_bytes(), reason, fields.clone());
                return;
            }
        }
    } else if bytes.len() as u64 > cap {
        let reason = format!(
            "Firehose record data is {} bytes, over the max_record_decompressed_bytes cap of \
             {cap} bytes",
            bytes.len()
        );
        sink.error(data.as_bytes(), reason, fields.clone());
        return;
    } else {
        bytes
    };
    if payload
        .iter()
        .all(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
    {
        sink.skip(SkipReason::EmptyRecord);
        return;
    }
    expand_payload(&payload, fields, ctx, sink);
}

/// The `data` string of a `records` element.
fn record_data(element: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(element)
        .map_err(|e| format!("Firehose record is not valid UTF-8: {e}"))?;
    match parse(text, &ParseOptions { max_depth: 16 }) {
        Ok(Value::Object(mut m)) => match m.remove("data") {
            Some(Value::String(s)) => Ok(s),
            Some(other) => Err(format!(
                "Firehose record `data` is {}, not a string",
                other.type_name()
            )),
            None => Err("Firehose record has no `data` member".into()),
        },
        Ok(other) => Err(format!(
            "Firehose record is {}, not an object",
            other.type_name()
        )),
        Err(e) => Err(format!("Firehose record is not valid JSON: {e}")),
    }
}

/// Inflate a gzip record (any number of members), at most `cap` bytes of output.
fn inflate(bytes: &[u8], cap: u64) -> Result<Vec<u8>, String> {
    let mut g = GzipInflater::new(cap);
    let mut out = Vec::new();
    let fail = |e: GzipError| match e {
        GzipError::Corrupt(m) => {
            format!("Firehose record data is gzip but cannot be inflated: {m}")
        }
        GzipError::TooLarge { max, .. } => format!(
            "Firehose record data inflates to more than the max_record_decompressed_bytes cap of \
             {max} bytes"
        ),
        GzipError::RatioTooHigh { max, actual, .. } => format!(
            "Firehose record data inflates {actual}× its size, over the compression-ratio cap of \
             {max}"
        ),
    };
    g.feed(bytes, &mut |piece| {
        out.extend_from_slice(piece);
        true
    })
    .map_err(fail)?;
    g.finish().map_err(fail)?;
    Ok(out)
}

/// Frame a decoded record payload and expand every value in it.
fn expand_payload(payload: &[u8], fields: &Fields, ctx: &Context<'_>, sink: &mut Sink<'_>) {
    let cap = ctx.limits.max_record_decompressed_bytes.max(1);
    let mut framer = JsonFramer::new(cap).without_firehose_bodies();
    let mut raws: VecDeque<RawRecord> = VecDeque::new();
    framer.push(payload, &mut raws);
    framer.finish(&mut raws);
    let mut end = 0usize;
    let mut cut = false;
    for rec in raws {
        let rec_end = usize::try_from(rec.offset.saturating_add(rec.size)).unwrap_or(usize::MAX);
        end = end.max(rec_end);
        match (&rec.kind, &rec.body) {
            (_, RecordBody::Cut(reason)) => {
                cut = true;
                let reason = format!("Firehose record data is not complete JSON: {reason}");
                sink.error(&rec.text, reason, fields.clone());
            }
            (RecordKind::CwlEnvelope, RecordBody::Complete) => {
                cwl::expand(&rec.text, fields, ctx, sink);
            }
            (RecordKind::EventBridge, RecordBody::Complete) => {
                eventbridge::expand(&rec.text, fields, ctx, sink);
            }
            _ => sink.raw(rec, fields.clone()),
        }
    }
    if let Some(stop) = framer.stopped()
        && !cut
    {
        let rest = payload.get(end..).unwrap_or_default();
        let rest = trim_ascii_start(rest);
        let reason = format!("Firehose record data is not CloudTrail JSON: {stop}");
        sink.error(rest, reason, fields.clone());
    }
}

fn trim_ascii_start(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !matches!(c, b' ' | b'\n' | b'\r' | b'\t' | b','))
        .unwrap_or(b.len());
    b.get(start..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::unit::{Unit, UnitKind, collect_units};
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).expect("gzip write");
        e.finish().expect("gzip finish")
    }

    use super::super::base64::encode as b64;

    fn element(data: &[u8]) -> Vec<u8> {
        format!(r#"{{"data":"{}"}}"#, b64(data)).into_bytes()
    }

    fn expand(element: &[u8], limits: &Limits) -> Vec<Unit> {
        collect_units(limits, |ctx, sink| {
            expand_record(element, &Fields::new(), ctx, sink);
        })
    }

    /// (records, errors, control skips, empty skips).
    type Tally = (usize, usize, usize, usize);

    /// The [`Tally`] of the units.
    fn tally(units: &[Unit]) -> Tally {
        let mut t = (0, 0, 0, 0);
        for u in units {
            match &u.kind {
                UnitKind::Record {
                    body: RecordBody::Complete,
                    ..
                } => t.0 += 1,
                UnitKind::Record { .. } | UnitKind::Error { .. } => t.1 += 1,
                UnitKind::Skip(SkipReason::ControlMessage) => t.2 += 1,
                UnitKind::Skip(_) => t.3 += 1,
            }
        }
        t
    }

    const REC: &str = r#"{"eventVersion":"1.08","eventTime":"2024-05-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"e1"}"#;

    fn envelope(kind: &str, n: usize) -> String {
        let events: Vec<String> = (0..n)
            .map(|i| {
                let mut msg = String::new();
                crate::json::write::write_string(REC, &mut msg);
                format!(r#"{{"id":"{i}","timestamp":1714521600000,"message":{msg}}}"#)
            })
            .collect();
        format!(
            r#"{{"messageType":"{kind}","owner":"111122223333","logGroup":"g","logStream":"111122223333_CloudTrail_us-east-1","subscriptionFilters":["f"],"logEvents":[{}]}}"#,
            events.join(",")
        )
    }

    #[test]
    fn arn_parts_are_region_and_stream_name() {
        let cases = [
            (
                "arn:aws:firehose:us-east-1:123456789:deliverystream/testStream",
                (Some("us-east-1"), Some("testStream")),
            ),
            (
                "arn:aws-us-gov:firehose:us-gov-west-1:1:deliverystream/a:b",
                (Some("us-gov-west-1"), Some("a:b")),
            ),
            ("arn:aws:firehose::1:deliverystream/", (None, None)),
            (
                "arn:aws:firehose:eu-west-1:1:other/x",
                (Some("eu-west-1"), None),
            ),
            ("not an arn", (None, None)),
            ("", (None, None)),
        ];
        for (arn, (region, name)) in cases {
            let (r, n) = parse_arn(arn);
            assert_eq!((r.as_deref(), n.as_deref()), (region, name), "{arn}");
        }
    }

    #[test]
    fn payload_variants_give_their_units() {
        let l = Limits::default();
        let two = format!(
            "{}{}",
            envelope("DATA_MESSAGE", 2),
            envelope("DATA_MESSAGE", 3)
        );
        let cases: Vec<(&str, Vec<u8>, Tally)> = vec![
            (
                "gzip envelope",
                element(&gz(envelope("DATA_MESSAGE", 3).as_bytes())),
                (3, 0, 0, 0),
            ),
            (
                "plain envelope",
                element(envelope("DATA_MESSAGE", 2).as_bytes()),
                (2, 0, 0, 0),
            ),
            (
                "control message",
                element(&gz(envelope("CONTROL_MESSAGE", 1).as_bytes())),
                (0, 0, 1, 0),
            ),
            (
                "data message without events",
                element(&gz(envelope("DATA_MESSAGE", 0).as_bytes())),
                (0, 0, 0, 0),
            ),
            (
                "two gzip members",
                element(
                    &[
                        gz(envelope("DATA_MESSAGE", 2).as_bytes()),
                        gz(envelope("DATA_MESSAGE", 3).as_bytes()),
                    ]
                    .concat(),
                ),
                (5, 0, 0, 0),
            ),
            (
                "back to back in one member",
                element(&gz(two.as_bytes())),
                (5, 0, 0, 0),
            ),
            (
                "newline-separated",
                element(&gz(format!(
                    "{}\n{}\n",
                    envelope("DATA_MESSAGE", 2),
                    envelope("DATA_MESSAGE", 3)
                )
                .as_bytes())),
                (5, 0, 0, 0),
            ),
            ("extracted message", element(REC.as_bytes()), (1, 0, 0, 0)),
            (
                "extracted messages joined by newlines",
                element(format!("{REC}\n{REC}\n").as_bytes()),
                (2, 0, 0, 0),
            ),
            (
                "Records object",
                element(format!(r#"{{"Records":[{REC},{REC}]}}"#).as_bytes()),
                (2, 0, 0, 0),
            ),
            ("empty data", br#"{"data":""}"#.to_vec(), (0, 0, 0, 1)),
            ("whitespace data", element(b" \n"), (0, 0, 0, 1)),
            (
                "invalid base64",
                br#"{"data":"not base64!"}"#.to_vec(),
                (0, 1, 0, 0),
            ),
            (
                "url-safe base64",
                br#"{"data":"eyJ9-_=="}"#.to_vec(),
                (0, 1, 0, 0),
            ),
            (
                "truncated gzip",
                element(&gz(envelope("DATA_MESSAGE", 3).as_bytes())[..40]),
                (0, 1, 0, 0),
            ),
            ("plain text", element(b"hello world"), (0, 1, 0, 0)),
            (
                "gzip of XML",
                element(&gz(b"<Error><Code>x</Code></Error>")),
                (0, 1, 0, 0),
            ),
            (
                "truncated JSON",
                element(&REC.as_bytes()[..40]),
                (0, 1, 0, 0),
            ),
            (
                "a record then garbage",
                element(format!("{REC} trailing").as_bytes()),
                (1, 1, 0, 0),
            ),
            (
                "an unknown JSON object",
                element(br#"{"foo":1}"#),
                (0, 1, 0, 0),
            ),
            ("a JSON array", element(b"[1,2]"), (0, 1, 0, 0)),
            (
                "no data member",
                br#"{"Data":"eyJ9"}"#.to_vec(),
                (0, 1, 0, 0),
            ),
            ("data not a string", br#"{"data":1}"#.to_vec(), (0, 1, 0, 0)),
            (
                "a firehose body inside a record",
                element(br#"{"requestId":"r","timestamp":1,"records":[{"data":""}]}"#),
                (0, 1, 0, 0),
            ),
        ];
        for (name, el, want) in cases {
            let units = expand(&el, &l);
            assert_eq!(tally(&units), want, "{name}: {units:#?}");
        }
    }

    #[test]
    fn errors_keep_the_data_or_the_rest_of_the_payload() {
        let l = Limits::default();
        let units = expand(br#"{"data":"not base64!"}"#, &l);
        assert!(
            matches!(&units[0].kind, UnitKind::Error { original, reason }
            if original == b"not base64!" && reason.contains("not valid base64"))
        );
        let units = expand(&element(format!("{REC} trailing").as_bytes()), &l);
        assert!(
            matches!(&units[1].kind, UnitKind::Error { original, reason }
            if original == b"trailing" && reason.contains("not CloudTrail JSON")),
            "{units:?}"
        );
        let units = expand(&element(b"hello world"), &l);
        assert!(
            matches!(&units[0].kind, UnitKind::Error { original, .. } if original == b"hello world")
        );
    }

    #[test]
    fn the_per_record_decompressed_cap_holds_for_gzip_and_plain_data() {
        let l = Limits {
            max_record_decompressed_bytes: 1000,
            ..Limits::default()
        };
        let big = envelope("DATA_MESSAGE", 10);
        assert!(big.len() > 1000);
        for el in [element(&gz(big.as_bytes())), element(big.as_bytes())] {
            let units = expand(&el, &l);
            assert!(
                matches!(&units[..], [Unit { kind: UnitKind::Error { reason, .. }, .. }]
                if reason.contains("max_record_decompressed_bytes")),
                "{units:?}"
            );
        }
        assert!(element_cap(&l) >= 1000 * 4 / 3);
    }

    #[test]
    fn firehose_fields_follow_the_elastic_endpoint() {
        let meta = SourceMeta {
            firehose_source_arn: Some(
                "arn:aws:firehose:us-east-1:111122223333:deliverystream/cloudtrail-to-http".into(),
            ),
            common_attributes: vec![("source".into(), "cloudtrail".into())],
            ..SourceMeta::default()
        };
        let f = FirehoseSource::from_meta(&meta).fields(Some("req-1"));
        let names: Vec<&str> = f.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            names,
            [
                "aws.firehose.arn",
                "aws.firehose.request_id",
                "aws.firehose.parameters",
                "aws.kinesis.type",
                "aws.kinesis.name",
                "cloud.provider",
                "cloud.region"
            ]
        );
        assert_eq!(f[1].1, Value::str("req-1"));
        assert_eq!(f[4].1, Value::str("cloudtrail-to-http"));
        assert_eq!(f[6].1, Value::str("us-east-1"));
        let host_id = SourceMeta {
            firehose_request_id: Some("hdr".into()),
            ..SourceMeta::default()
        };
        let f = FirehoseSource::from_meta(&host_id).fields(Some("body"));
        assert!(f.contains(&("aws.firehose.request_id", Value::str("hdr"))));
        let bare = FirehoseSource::default().fields(None);
        assert_eq!(
            bare.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            ["aws.kinesis.type", "cloud.provider"]
        );
    }
}
