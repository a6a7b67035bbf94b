//! The adapter (`spec`: Vector's event data model; see the crate docs).

use serde_json::Value as Json;
use std::collections::BTreeMap;
pub use vrl::compiler::Function;
use vrl::compiler::runtime::{Runtime, Terminate};
use vrl::compiler::{Program, TargetValue, TimeZone};
use vrl::value::{KeyString, ObjectMap, Secrets, Value};

/// A JSON value as a Vector event value.
pub fn to_vrl(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Boolean(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            // A JSON number is finite, never NaN (the only value `from_f64_or_zero` replaces).
            None => Value::from_f64_or_zero(n.as_f64().unwrap_or(0.0)),
        },
        Json::String(s) => Value::Bytes(s.clone().into()),
        Json::Array(a) => Value::Array(a.iter().map(to_vrl).collect()),
        Json::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (KeyString::from(k.as_str()), to_vrl(v)))
                .collect::<ObjectMap>(),
        ),
    }
}

/// A Vector event value as JSON.
pub fn from_vrl(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Boolean(b) => Json::Bool(*b),
        Value::Integer(i) => Json::from(*i),
        Value::Float(f) => {
            serde_json::Number::from_f64(f.into_inner()).map_or(Json::Null, Json::Number)
        }
        Value::Bytes(b) => Json::String(String::from_utf8_lossy(b).into_owned()),
        Value::Regex(r) => Json::String(r.as_str().to_owned()),
        Value::String(_) | Value::Timestamp(_) => {
            Json::String(value.to_string_lossy().into_owned())
        }
        Value::Array(a) => Json::Array(a.iter().map(from_vrl).collect()),
        Value::Object(o) => Json::Object(
            o.iter()
                .map(|(k, v)| (k.as_str().to_owned(), from_vrl(v)))
                .collect(),
        ),
    }
}

/// One document (a line of our output) as a Vector event value.
pub fn document_to_vrl(json: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str::<Json>(json).map(|j| to_vrl(&j))
}

/// What a remap program did with one event.
#[derive(Clone, Debug, PartialEq)]
pub enum RemapOutcome {
    /// The (possibly changed) event.
    Kept(Value),
    /// The program called `abort`: Vector drops the event (or routes it to `dropped`).
    Aborted,
    /// A runtime error (Vector's `drop_on_error` decides what happens).
    Failed(String),
}

/// A compiled VRL program, as in a Vector `remap` transform.
pub struct Remap {
    program: Program,
}

impl Remap {
    /// Compiles `source` with no functions (the VRL core language: paths, assignments,
    /// conditions, `abort`, `del`, …).
    pub fn compile(source: &str) -> Result<Remap, String> {
        Self::compile_with(source, &[])
    }

    /// Compiles `source` with the given functions (e.g. `vrl::stdlib::all()` with vrl's
    /// `stdlib` feature). The error is VRL's rendered diagnostics (messages, labels, source).
    pub fn compile_with(source: &str, functions: &[Box<dyn Function>]) -> Result<Remap, String> {
        vrl::compiler::compile(source, functions)
            .map(|r| Remap { program: r.program })
            .map_err(|diagnostics| vrl::diagnostic::Formatter::new(source, diagnostics).to_string())
    }

    /// Runs the program on one event (UTC time zone, empty metadata).
    pub fn run(&self, event: Value) -> RemapOutcome {
        let mut target = TargetValue {
            value: event,
            metadata: Value::Object(BTreeMap::new()),
            secrets: Secrets::default(),
        };
        let mut runtime = Runtime::default();
        match runtime.resolve(&mut target, &self.program, &TimeZone::default()) {
            Ok(_) => RemapOutcome::Kept(target.value),
            Err(Terminate::Abort(_)) => RemapOutcome::Aborted,
            Err(e) => RemapOutcome::Failed(e.to_string()),
        }
    }
}
