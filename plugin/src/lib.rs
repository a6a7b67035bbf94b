//! cloudtrail-ecs: AWS CloudTrail → Elastic Common Schema documents.
//!
//! The crate is a pure core (no I/O, no WASI): everything here builds, tests and benches
//! natively. The WebAssembly component is the same code plus the thin glue in `component.rs`,
//! compiled only for `wasm32`.
//!
//! Layers, outside in:
//! - [`decoder`]: one decode session per object: sniffing, capped gzip, framing into records,
//!   object metadata, ids, counts, error documents;
//! - [`input`]: the envelopes (gzip, S3 `Records` files and keys, JSON values/lines);
//! - [`pipeline`]: the reference `aws.cloudtrail` ingest pipeline, one module per spec section
//!   (`spec/elastic-parity.md` §2);
//! - [`json`]: the document model, parser, writers and Java formatting the pipeline relies on.

pub mod api;
pub mod decoder;
pub mod enrich;
pub mod filter;
pub mod input;
pub mod json;
pub mod pipeline;
pub mod small_alloc;
pub mod time;

#[cfg(target_arch = "wasm32")]
mod component;

/// Crate name, reported by the component's `info`.
pub const NAME: &str = env!("CARGO_PKG_NAME");
/// Crate version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The reference pipeline reproduced in parity mode.
pub const PARITY_REFERENCE: &str = "elastic/integrations aws 9.0.0 (7d5030ab) aws.cloudtrail";
