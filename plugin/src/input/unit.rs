//! Units: what one framed record becomes (`spec/input-formats.md` §0 "Unit that becomes one
//! document", §5; `spec/reliability.md` §3.4).
//!
//! A framed record of the S3 path is one unit. An envelope expands: a CloudWatch Logs envelope
//! to one unit per log event (or one control-message skip), an EventBridge event to its
//! `detail`, a Firehose record to whatever its decoded `data` holds. Each unit is counted once:
//! a pipeline run, an error document, or a skip; the accounting promise
//! `records = documents + error documents + skipped` is over units.
//!
//! Units carry the transport fields the decoder sets on the ingest document before the pipeline
//! runs (`spec/elastic-parity.md` §4: `aws.cloudwatch.*`, `aws.firehose.*`, `event.id`, …).

use std::collections::VecDeque;

use super::firehose::FirehoseSource;
use super::framing::{EXCERPT_BYTES, RawRecord, RecordBody, RecordKind};
use super::{cwl, eventbridge, firehose};
use crate::api::{Limits, SkipReason};
use crate::json::Value;

/// Transport fields for the ingest document: dotted path and value, applied in order.
pub type Fields = Vec<(&'static str, Value)>;

/// One unit of accounting.
#[derive(Clone, Debug, PartialEq)]
pub struct Unit {
    /// What to do with it.
    pub kind: UnitKind,
    /// Offset of the framed record it came from, in the decoded input (`log.offset`).
    pub offset: u64,
    /// Index of the unit within its framed record (0 for the first), for document ids.
    pub index: u64,
    /// Transport fields for the ingest document.
    pub fields: Fields,
}

/// What a unit becomes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnitKind {
    /// One CloudTrail record for the pipeline (or, when not complete, an error document that
    /// says why).
    Record {
        /// The record text (an excerpt when too large or cut).
        text: Vec<u8>,
        /// How the record ended.
        body: RecordBody,
        /// Full size of the record in bytes.
        size: u64,
    },
    /// An error document: `original` becomes `event.original`, `reason` the error message.
    Error {
        /// The text the error is about (bounded).
        original: Vec<u8>,
        /// Why it is an error.
        reason: String,
    },
    /// Counted, no document.
    Skip(SkipReason),
}

/// What expansion needs besides the record.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// Caps.
    pub limits: &'a Limits,
    /// The Firehose delivery the host described (source ARN, request id, common attributes).
    pub firehose: &'a FirehoseSource,
}

/// Builds the units of one framed record, in order.
pub struct Sink<'a> {
    out: &'a mut VecDeque<Unit>,
    offset: u64,
    next: u64,
    max_record: u64,
}

impl<'a> Sink<'a> {
    /// A sink for the units of the framed record at `offset`.
    pub fn new(out: &'a mut VecDeque<Unit>, offset: u64, limits: &Limits) -> Sink<'a> {
        Sink {
            out,
            offset,
            next: 0,
            max_record: limits.max_record_bytes,
        }
    }

    fn push(&mut self, kind: UnitKind, fields: Fields) {
        self.out.push_back(Unit {
            kind,
            offset: self.offset,
            index: self.next,
            fields,
        });
        self.next += 1;
    }

    /// One CloudTrail record; over `max_record_bytes` it keeps an excerpt and becomes a
    /// too-large error document, as on the S3 path.
    pub fn record(&mut self, text: &[u8], fields: Fields) {
        let size = text.len() as u64;
        let kind = if size > self.max_record {
            UnitKind::Record {
                text: text.get(..EXCERPT_BYTES).unwrap_or(text).to_vec(),
                body: RecordBody::TooLarge,
                size,
            }
        } else {
            UnitKind::Record {
                text: text.to_vec(),
                body: RecordBody::Complete,
                size,
            }
        };
        self.push(kind, fields);
    }

    /// A framed record as it came (complete, too large or cut).
    pub fn raw(&mut self, rec: RawRecord, fields: Fields) {
        if rec.body == RecordBody::Complete {
            self.record(&rec.text, fields);
        } else {
            let kind = UnitKind::Record {
                text: rec.text,
                body: rec.body,
                size: rec.size,
            };
            self.push(kind, fields);
        }
    }

    /// An error document about `original`; text over `max_record_bytes` is cut to an excerpt
    /// and the reason says so.
    pub fn error(&mut self, original: &[u8], reason: String, fields: Fields) {
        let (original, reason) = if original.len() as u64 > self.max_record {
            let excerpt = original.get(..EXCERPT_BYTES).unwrap_or(original).to_vec();
            let reason = format!(
                "{reason} (`message` holds the first {} of {} bytes)",
                excerpt.len(),
                original.len()
            );
            (excerpt, reason)
        } else {
            (original.to_vec(), reason)
        };
        self.push(UnitKind::Error { original, reason }, fields);
    }

    /// A counted skip.
    pub fn skip(&mut self, reason: SkipReason) {
        self.push(UnitKind::Skip(reason), Fields::new());
    }
}

/// Test support for the envelope modules: run `expand` with `limits` and no Firehose request
/// metadata, and collect the units it emits.
#[cfg(test)]
pub(crate) fn collect_units(
    limits: &Limits,
    expand: impl FnOnce(&Context<'_>, &mut Sink<'_>),
) -> Vec<Unit> {
    let source = FirehoseSource::default();
    let ctx = Context {
        limits,
        firehose: &source,
    };
    let mut out = VecDeque::new();
    let mut sink = Sink::new(&mut out, 0, limits);
    expand(&ctx, &mut sink);
    out.into_iter().collect()
}

/// Expand one framed record into its units.
pub fn expand(rec: RawRecord, ctx: &Context<'_>, out: &mut VecDeque<Unit>) {
    let mut sink = Sink::new(out, rec.offset, ctx.limits);
    match (&rec.kind, &rec.body) {
        (RecordKind::Cloudtrail, _) => sink.raw(rec, Fields::new()),
        (RecordKind::CwlEnvelope, RecordBody::Complete) => {
            cwl::expand(&rec.text, &Fields::new(), ctx, &mut sink);
        }
        (RecordKind::EventBridge, RecordBody::Complete) => {
            eventbridge::expand(&rec.text, &Fields::new(), ctx, &mut sink);
        }
        (RecordKind::FirehoseRecord { request_id }, RecordBody::Complete) => {
            let fields = ctx.firehose.fields(request_id.as_deref());
            firehose::expand_record(&rec.text, &fields, ctx, &mut sink);
        }
        (RecordKind::FirehoseRecord { request_id }, RecordBody::TooLarge) => {
            let fields = ctx.firehose.fields(request_id.as_deref());
            let reason = format!(
                "Firehose record is {} bytes of JSON, over the cap of {} bytes derived from \
                 max_record_decompressed_bytes ({} bytes of data)",
                rec.size,
                firehose::element_cap(ctx.limits),
                ctx.limits.max_record_decompressed_bytes
            );
            sink.error(&rec.text, reason, fields);
        }
        (RecordKind::FirehoseRecord { request_id }, RecordBody::Cut(reason)) => {
            let fields = ctx.firehose.fields(request_id.as_deref());
            let reason = reason.clone();
            sink.error(&rec.text, reason, fields);
        }
        // A too-large or cut envelope: the record's own error document.
        (RecordKind::CwlEnvelope | RecordKind::EventBridge, _) => sink.raw(rec, Fields::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            max_record_bytes: 2000,
            ..Limits::default()
        }
    }

    #[test]
    fn units_are_indexed_and_oversized_texts_become_excerpts() {
        let mut out = VecDeque::new();
        let l = limits();
        let mut sink = Sink::new(&mut out, 7, &l);
        sink.record(b"{\"eventVersion\":\"1\"}", Fields::new());
        sink.record(&[b'x'; 3000], Fields::new());
        sink.error(&[b'y'; 3000], "bad".into(), Fields::new());
        sink.skip(SkipReason::ControlMessage);
        let got: Vec<(u64, u64)> = out.iter().map(|u| (u.offset, u.index)).collect();
        assert_eq!(got, [(7, 0), (7, 1), (7, 2), (7, 3)]);
        assert!(matches!(
            &out[1].kind,
            UnitKind::Record { text, body: RecordBody::TooLarge, size: 3000 } if text.len() == EXCERPT_BYTES
        ));
        assert!(matches!(
            &out[2].kind,
            UnitKind::Error { original, reason } if original.len() == EXCERPT_BYTES && reason.contains("first 1024 of 3000 bytes")
        ));
    }
}
