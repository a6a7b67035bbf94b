//! The wasmtime host for the cloudtrail-ecs component, and everything the `cloudtrail-ecs` CLI
//! and the tests share.
//!
//! - [`engine`]: the [`DecodeEngine`] trait with two implementations, [`WasmEngine`] (the
//!   component run by wasmtime, sandboxed and capped, `spec/reliability.md` §2.4 and §3.5) and
//!   [`NativeEngine`] (the same core called directly). Both must produce byte-identical output.
//! - [`conformance`] and [`compare`]: the Elastic pipeline-test runner of
//!   `spec/elastic-parity.md` §1 (framing, configs, comparison, strict and core scores).
//! - [`cli`]: the `cloudtrail-ecs` subcommands; [`bulk`] (`--output bulk`) and [`summary`]
//!   (`--summary`) format their output.
//!
//! `build.rs` builds the component; [`PLUGIN_COMPONENT`] is its path.

include!(concat!(env!("OUT_DIR"), "/gen.rs"));

pub mod bulk;
pub mod cli;
pub mod compare;
pub mod conformance;
mod convert;
pub mod engine;
pub mod error;
pub mod native;
pub mod serve;
pub mod summary;
pub mod wasm;

pub use engine::{DecodeEngine, EngineKind, Outcome};
pub use error::HostError;
pub use native::NativeEngine;
pub use wasm::{WasmConfig, WasmEngine, WasmRuntime};

/// The core's API types, shared by both engines.
pub use cloudtrail_ecs_plugin::api;
