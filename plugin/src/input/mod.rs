//! Input envelopes (`spec/input-formats.md` §0, §1, §5): how bytes become raw records.
//!
//! - [`gzip`]: sniffed, multi-member, output-capped inflation;
//! - [`framing`]: the streaming JSON framer (`Records` files, digests, bare records, concatenated
//!   or newline-separated values);
//! - [`shape`]: what a top-level object is, from its keys (the extension point for the Firehose,
//!   CloudWatch Logs and EventBridge envelopes);
//! - [`lines`]: message-lines framing (one line, one record);
//! - [`s3_key`]: CloudTrail object keys.

pub mod framing;
pub mod gzip;
pub mod lines;
pub mod s3_key;
pub mod shape;
