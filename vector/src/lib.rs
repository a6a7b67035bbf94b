//! Vector compatibility (feature `vrl`): our documents as Vector event values
//! (`vrl::value::Value`) and back, and a small runner for VRL programs (Vector's `remap`), so a
//! Vector user's remap logic runs unchanged on cloudtrail-ecs output.
//!
//! Mapping, as Vector's own JSON codec does it: objects → `ObjectMap`, strings → `Bytes`,
//! integers → `Integer`, other numbers → `Float`, booleans, arrays, null. Timestamps stay
//! strings, exactly as in our JSON (`@timestamp` is text there too). Integers beyond `i64`
//! become floats (VRL has no wider integer); CloudTrail documents have none.
//!
//! Back to JSON: `Bytes` that are not UTF-8 are replaced lossily, a VRL timestamp (a program may
//! make one) is written as RFC 3339, a regex as its pattern.
//!
//! A crate of its own, everything behind the `vrl` feature: VRL is a large build, and inside the
//! host crate it would change the features of wasmtime's dependencies (a full rebuild).
//! Run: `cargo test -p cloudtrail-ecs-vector --features vrl`.

#[cfg(feature = "vrl")]
mod adapter;
#[cfg(feature = "vrl")]
pub use adapter::*;
