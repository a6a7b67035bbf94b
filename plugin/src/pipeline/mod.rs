//! The reference `aws.cloudtrail` ingest pipeline (`spec/elastic-parity.md` §2), step by step.
//!
//! CONTRACT (shared by the decoder and the conformance runner; the body is being written):
//! - input: the *ingest document* exactly as Elastic's pipeline would receive it: `message`
//!   (the record text), `@timestamp` (ingest time string), `tags`, `_conf.retain`, and any
//!   transport fields (S3 metadata, Firehose/CloudWatch fields);
//! - output: the document Elastic would index, plus facts the decoder counts.

pub mod entity;
pub mod payload;
pub mod resources;

use crate::enrich::Enricher;
use crate::json::Map;

/// Installed pipeline id used in `error.message` (Fleet names it after the package version).
pub const PIPELINE_ID: &str = "logs-aws.cloudtrail-9.0.0";

/// Per-run settings that are not fields of the ingest document.
#[derive(Clone, Copy)]
pub struct PipelineOptions<'a> {
    /// Pipeline id for `error.message` texts.
    pub pipeline_id: &'a str,
    /// GeoIP / user-agent lookups, if configured.
    pub enricher: Option<&'a dyn Enricher>,
    /// JSON nesting depth cap for parsing `message`.
    pub max_depth: u32,
}

impl Default for PipelineOptions<'_> {
    fn default() -> Self {
        PipelineOptions {
            pipeline_id: PIPELINE_ID,
            enricher: None,
            max_depth: 128,
        }
    }
}

/// What one pipeline run produced.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    /// The output document.
    pub doc: Map,
    /// `event.kind` is `pipeline_error`.
    pub is_error: bool,
    /// The record had no usable `eventTime` (and is not a digest with `digestEndTime`).
    pub missing_event_time: bool,
}

/// Run the pipeline on one ingest document.
pub fn run(ingest: Map, opts: &PipelineOptions<'_>) -> Output {
    let _ = opts;
    Output {
        doc: ingest,
        is_error: false,
        missing_event_time: false,
    }
}

/// An error document for a record the decoder could not hand to the pipeline intact (cut by a
/// cap, truncated stream, …): the pipeline-level failure shape of §2.12 with `error` as the
/// message. `ingest` is built as for [`run`] (its `message`, if any, becomes `event.original`).
pub fn error_document(ingest: Map, error: &str, opts: &PipelineOptions<'_>) -> Output {
    let _ = (error, opts);
    Output {
        doc: ingest,
        is_error: true,
        missing_event_time: false,
    }
}
