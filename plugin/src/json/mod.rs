//! JSON: the document model ([`Value`]), a strict parser, the nested/flat writers and the
//! Java-compatible formatting the reference pipeline's payload strings need.

pub mod java;
pub mod parse;
pub mod value;
pub mod write;

pub use value::{Map, Number, Value};
