//! Input envelopes (`spec/input-formats.md` §0, §1, §5): how bytes become raw records.
//!
//! - [`gzip`]: sniffed, multi-member, output-capped inflation;
//! - [`framing`]: the streaming JSON framer (`Records` files, digests, bare records, concatenated
//!   or newline-separated values);
//! - [`shape`]: what a top-level object is, from its keys (the extension point for the Firehose,
//!   CloudWatch Logs and EventBridge envelopes);
//! - [`lines`]: message-lines framing (one line, one record);
//! - [`s3_key`]: CloudTrail object keys;
//! - [`unit`]: what one framed record expands to (documents, error documents, skips), with
//!   [`firehose`] (Firehose records, [`base64`]), [`cwl`] (CloudWatch Logs envelopes) and
//!   [`eventbridge`] (EventBridge events).

pub mod base64;
pub mod cwl;
pub mod eventbridge;
pub mod firehose;
pub mod framing;
pub mod gzip;
pub mod lines;
pub mod s3_key;
pub mod shape;
pub mod unit;

#[cfg(test)]
mod sample_tests;
