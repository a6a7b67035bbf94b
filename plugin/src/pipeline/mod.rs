//! The reference `aws.cloudtrail` ingest pipeline (`spec/elastic-parity.md` §2), step by step.
//!
//! CONTRACT (shared by the decoder and the conformance runner):
//! - input: the *ingest document* exactly as Elastic's pipeline would receive it: `message`
//!   (the record text), `@timestamp` (ingest time string), `tags`, `_conf.retain`, and any
//!   transport fields (S3 metadata, Firehose/CloudWatch fields);
//! - output: the document Elastic would index, plus facts the decoder counts.
//!
//! The reference keeps the parsed record at `json` inside the document; here it is the separate
//! map [`Ctx::j`], which every step reads and renames from in the reference's order. The steps
//! live in one module per spec section; [`run`] calls them in order.

pub mod categorize;
pub mod console_login;
pub mod convenience;
pub mod digest;
pub mod entity;
pub mod envelope;
pub mod errors;
pub mod identity;
pub mod payload;
pub mod preamble;
pub mod related;
pub mod resources;
pub mod retain;

#[cfg(test)]
mod conformance_tests;
#[cfg(test)]
mod tests;

use crate::enrich::Enricher;
use crate::json::java::to_java_string;
use crate::json::{Map, Value};

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
    /// Longest Java-string payload copy kept (`spec/reliability.md` §2.6 "Single string"):
    /// a longer copy is left out with an `error.message` entry.
    pub max_payload_string_bytes: u64,
}

impl Default for PipelineOptions<'_> {
    fn default() -> Self {
        PipelineOptions {
            pipeline_id: PIPELINE_ID,
            enricher: None,
            max_depth: 128,
            max_payload_string_bytes: 1 << 20,
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
///
/// `_conf.retain` may hold any JSON value: `null` counts as unset, a string is the retain
/// setting, and any other value behaves as in the reference's scripts for a non-string (the
/// payload-copy step fails with a field-level error, and the payload strings are dropped).
pub fn run(ingest: Map, opts: &PipelineOptions<'_>) -> Output {
    let mut ctx = Ctx::new(ingest, opts);
    let result = steps(&mut ctx);
    match result {
        Ok(()) => retain::finish(&mut ctx),
        Err(failure) => errors::fail_pipeline(&mut ctx, &failure),
    }
    let doc = std::mem::take(&mut ctx.doc);
    Output {
        is_error: doc.str_field("event.kind") == Some("pipeline_error"),
        missing_event_time: !ctx.timestamp_from_record,
        doc,
    }
}

/// All steps of §2 in the reference's order; `Err` is a pipeline-level failure (§2.12).
fn steps(ctx: &mut Ctx<'_>) -> Step {
    preamble::run(ctx)?;
    entity_step(ctx)?;
    identity::run(ctx)?;
    envelope::run_user_and_source(ctx)?;
    payload_step(ctx)?;
    envelope::run_remaining(ctx)?;
    console_login::run(ctx)?;
    categorize::run(ctx)?;
    digest::run(ctx)?;
    convenience::run(ctx)?;
    related::run(ctx)?;
    Ok(())
}

/// §2.2: entity extraction, gated on `J.eventName` and the `actor_target_mapping` tag.
fn entity_step(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.j.contains_key("eventName") || !ctx.has_tag("actor_target_mapping") {
        return Ok(());
    }
    match entity::extract(&ctx.j) {
        Ok(fields) => {
            // Inside the script: a failed write is caught by the step's own handler.
            for (path, value) in fields {
                if let Err(f) = ctx.set(path, value, "script", errors::TAG_ENTITY) {
                    ctx.field_error("script", errors::TAG_ENTITY, &f.message);
                    ctx.add_tag(errors::PRESERVE_ORIGINAL_EVENT);
                    break;
                }
            }
        }
        Err(msg) => {
            ctx.field_error("script", errors::TAG_ENTITY, &msg);
            ctx.add_tag(errors::PRESERVE_ORIGINAL_EVENT);
        }
    }
    Ok(())
}

/// §2.5: the four payload copies (Java `toString` strings and flattened objects).
fn payload_step(ctx: &mut Ctx<'_>) -> Step {
    /// (`J` member, string copy field, flattened copy field).
    const NAMES: [(&str, &str, &str); 4] = [
        (
            "requestParameters",
            "aws.cloudtrail.request_parameters",
            "aws.cloudtrail.flattened.request_parameters",
        ),
        (
            "responseElements",
            "aws.cloudtrail.response_elements",
            "aws.cloudtrail.flattened.response_elements",
        ),
        (
            "additionalEventData",
            "aws.cloudtrail.additional_eventdata",
            "aws.cloudtrail.flattened.additional_eventdata",
        ),
        (
            "serviceEventDetails",
            "aws.cloudtrail.service_event_details",
            "aws.cloudtrail.flattened.service_event_details",
        ),
    ];
    if !NAMES.iter().any(|(src, _, _)| ctx.j.contains_key(src)) {
        return Ok(());
    }
    let keep = match ctx.retain_setting() {
        Ok(r) => payload::keep_flattened(r),
        Err(kind) => {
            let msg = format!("dynamic method [{kind}, contains/1] not found");
            ctx.field_error("script", errors::TAG_PAYLOAD, &msg);
            return Ok(());
        }
    };
    for (src, field, flat_field) in NAMES {
        let Some(value) = ctx.j.get(src) else {
            continue;
        };
        let (text, flat) = payload::copies(value, keep);
        let cap = ctx.opts.max_payload_string_bytes;
        if text.len() as u64 > cap {
            // Not in the reference: a documented cap (`spec/reliability.md` §3.2 J15). The
            // message names the field and the cap, never the content.
            let msg = format!(
                "{field} would be {} bytes, over the max_payload_string_bytes cap of {cap} bytes; the string copy is left out",
                text.len()
            );
            ctx.field_error("script", errors::TAG_PAYLOAD, &msg);
        } else {
            ctx.set(field, Value::String(text), "script", errors::TAG_PAYLOAD)?;
        }
        if let Some(flat) = flat {
            ctx.set(flat_field, flat, "script", errors::TAG_PAYLOAD)?;
        }
    }
    Ok(())
}

/// An error document for a record the decoder could not hand to the pipeline intact (cut by a
/// cap, truncated stream, …): the pipeline-level failure shape of §2.12 with `error` as the
/// message. `ingest` is built as for [`run`] (its `message`, if any, becomes `event.original`).
pub fn error_document(ingest: Map, error: &str, opts: &PipelineOptions<'_>) -> Output {
    let mut ctx = Ctx::new(ingest, opts);
    // §2.1 #1 and #2 only: nothing of the record is interpreted.
    let _ = preamble::original_and_created(&mut ctx);
    errors::append_message(&mut ctx.doc, error.to_owned());
    errors::mark_failed(&mut ctx);
    Output {
        doc: std::mem::take(&mut ctx.doc),
        is_error: true,
        missing_event_time: true,
    }
}

/// A pipeline-level failure: which processor failed and why (§2.12).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Processor type (`rename`, `date`, `json`, `script`, …).
    pub processor: &'static str,
    /// Processor tag.
    pub tag: String,
    /// Exception text.
    pub message: String,
}

/// Result of one step: `Err` stops the pipeline.
pub type Step = Result<(), Failure>;

/// The state of one run: the document being built, the parsed record `J` and the settings.
pub struct Ctx<'a> {
    /// The output document (the reference's `ctx`, minus `json` and `_conf`).
    pub doc: Map,
    /// The parsed record (`json` in the reference); empty when absent.
    pub j: Map,
    /// `_conf`, set aside from the document (the pre-clean skips it).
    pub conf: Option<Value>,
    /// Settings.
    pub opts: &'a PipelineOptions<'a>,
    /// The session name extracted from the ARN (a temporary of §2.3).
    pub session_name: Option<String>,
    /// `@timestamp` came from `eventTime` or `digestEndTime`.
    pub timestamp_from_record: bool,
}

impl<'a> Ctx<'a> {
    /// Take the ingest document apart: `_conf` aside, the rest becomes the output document.
    pub fn new(mut ingest: Map, opts: &'a PipelineOptions<'a>) -> Ctx<'a> {
        let conf = ingest.remove("_conf");
        Ctx {
            doc: ingest,
            j: Map::new(),
            conf,
            opts,
            session_name: None,
            timestamp_from_record: false,
        }
    }

    /// `_conf.retain` as the payload predicates take it: `Ok(None)` when unset or `null`,
    /// `Ok(Some(s))` for a string, `Err(java type name)` for any other value.
    pub fn retain_setting(&self) -> Result<Option<&str>, &'static str> {
        match self.conf.as_ref().and_then(|c| c.get_path(&["retain"])) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(Value::Bool(_)) => Err("java.lang.Boolean"),
            Some(Value::Number(_)) => Err("java.lang.Number"),
            Some(Value::Array(_)) => Err("java.util.ArrayList"),
            Some(Value::Object(_)) => Err("java.util.HashMap"),
        }
    }

    /// Whether `tags` contains `tag` (a string `tags` is searched as text, like Painless'
    /// `String.contains`).
    pub fn has_tag(&self, tag: &str) -> bool {
        match self.doc.get("tags") {
            Some(Value::Array(a)) => a.iter().any(|t| t.as_str() == Some(tag)),
            Some(Value::String(s)) => s.contains(tag),
            _ => false,
        }
    }

    /// Append `tag` to `tags` unless present (a scalar `tags` becomes a list first).
    pub fn add_tag(&mut self, tag: &str) {
        if self.has_tag(tag) && matches!(self.doc.get("tags"), Some(Value::Array(_))) {
            return;
        }
        append_value(&mut self.doc, "tags", Value::str(tag), false);
    }

    /// Append one field-level error to `error.message` and continue (§2.12).
    pub fn field_error(&mut self, processor: &str, tag: &str, message: &str) {
        let text = errors::format(self.opts.pipeline_id, processor, tag, message);
        errors::append_message(&mut self.doc, text);
    }

    /// A document field exists (any value).
    pub fn has(&self, dotted: &str) -> bool {
        self.doc.has_field(dotted)
    }

    /// Set a document field. A non-object parent on the path fails the processor, as
    /// Elasticsearch's `IngestDocument.setFieldValue` does.
    pub fn set(&mut self, dotted: &str, value: Value, processor: &'static str, tag: &str) -> Step {
        put(&mut self.doc, dotted, value).map_err(|message| Failure {
            processor,
            tag: tag.to_owned(),
            message,
        })
    }

    /// Value in `J` at a path; `None` when missing or when a parent is not an object (the
    /// `ignore_missing` reading of Elasticsearch's processors).
    pub fn jget(&self, path: &[&str]) -> Option<&Value> {
        self.j.get_path(path)
    }

    /// Value in `J` at a path as a Painless null-safe condition reads it: a parent that exists
    /// but is not an object makes the condition throw, which fails the pipeline.
    pub fn jcond(
        &self,
        path: &[&str],
        processor: &'static str,
        tag: &str,
    ) -> Result<Option<&Value>, Failure> {
        let mut cur = &self.j;
        for (i, key) in path.iter().enumerate() {
            let Some(v) = cur.get(key) else {
                return Ok(None);
            };
            if i + 1 == path.len() {
                return Ok(Some(v));
            }
            match v {
                Value::Object(m) => cur = m,
                Value::Null => return Ok(None),
                other => {
                    return Err(Failure {
                        processor,
                        tag: tag.to_owned(),
                        message: format!(
                            "cannot access [{}] on a value of type [{}] at [{}]",
                            path.get(i + 1).copied().unwrap_or_default(),
                            other.type_name(),
                            // The walked path, `json.` first (built only on this error).
                            std::iter::once("json")
                                .chain(path.iter().take(i + 1).copied())
                                .collect::<Vec<_>>()
                                .join(".")
                        ),
                    });
                }
            }
        }
        Ok(None)
    }

    /// A non-empty string in `J` read by a condition; a non-string value fails the pipeline
    /// (the reference calls string methods on it).
    pub fn jstr_cond(
        &self,
        path: &[&str],
        processor: &'static str,
        tag: &str,
    ) -> Result<Option<String>, Failure> {
        match self.jcond(path, processor, tag)? {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(Failure {
                processor,
                tag: tag.to_owned(),
                message: format!(
                    "class {} cannot be cast to class java.lang.String ({})",
                    other.type_name(),
                    path.join(".")
                ),
            }),
        }
    }

    /// `rename` processor (`ignore_missing`): move `J.<path>` to a document field. The target
    /// must not exist (Elasticsearch fails the pipeline otherwise).
    pub fn rename(&mut self, path: &[&str], target: &str) -> Step {
        // Taking the value out of `J` before the target check changes nothing observable: a
        // failed rename fails the pipeline, which drops `J` (§2.12).
        let Some(value) = self.j.remove_path(path) else {
            return Ok(());
        };
        put_checked(&mut self.doc, target, value, true).map_err(|message| Failure {
            processor: "rename",
            tag: rename_tag(path, target),
            message,
        })
    }

    /// The write of a rename; the tag (a `format!`) is built only when the write fails.
    fn set_renamed(&mut self, path: &[&str], target: &str, value: Value) -> Step {
        put(&mut self.doc, target, value).map_err(|message| Failure {
            processor: "rename",
            tag: rename_tag(path, target),
            message,
        })
    }

    /// `rename` guarded by `if: ctx.<target> == null`.
    pub fn rename_if_unset(&mut self, path: &[&str], target: &str) -> Step {
        if self.doc.has_field(target) {
            return Ok(());
        }
        self.rename(path, target)
    }

    /// `rename` with `override: true`.
    pub fn rename_override(&mut self, path: &[&str], target: &str) -> Step {
        if self.jget(path).is_none() {
            return Ok(());
        }
        let Some(value) = self.j.remove_path(path) else {
            return Ok(());
        };
        self.set_renamed(path, target, value)
    }

    /// Append to a list field without duplicates (`append` with `allow_duplicates: false`).
    pub fn append_unique(&mut self, dotted: &str, value: Value) {
        append_value(&mut self.doc, dotted, value, false);
    }
}

/// The tag of a generated rename (the reference's tags carry a hash we cannot know; the
/// pipeline-failure text is not a parity target, §2.12).
fn rename_tag(path: &[&str], target: &str) -> String {
    format!(
        "rename_json_{}_to_{}",
        path.join("_"),
        target.replace('.', "_")
    )
}

/// Mustache/`toString` rendering of a value where the reference builds a string from it.
pub fn render(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => to_java_string(other),
    }
}

/// Set a dotted field, failing (without writing) when a parent on the path exists but is not
/// an object.
pub fn put(doc: &mut Map, dotted: &str, value: Value) -> Result<(), String> {
    put_checked(doc, dotted, value, false)
}

/// [`put`]; with `new_only`, an existing target fails too (`field [..] already exists`, the
/// `rename` processor's check), in the same walk.
fn put_checked(doc: &mut Map, dotted: &str, value: Value, new_only: bool) -> Result<(), String> {
    // One walk: descend through existing objects, fail on the first non-object parent (nothing
    // was written yet: only missing parents are ever created, and after the first missing one
    // every parent is new), create the missing rest.
    let mut cur = doc;
    let mut key = dotted;
    // Segments are short: a plain byte scan beats `split`'s searcher.
    while let Some(dot) = key.bytes().position(|b| b == b'.') {
        let (Some(parent), Some(rest)) = (key.get(..dot), key.get(dot + 1..)) else {
            break; // unreachable: `.` is ASCII, so both sides are char boundaries
        };
        match cur.position(parent) {
            Some(i) => match cur.entries_mut().get_mut(i) {
                Some((_, Value::Object(m))) => cur = m,
                Some((_, other)) => {
                    let next = rest.split('.').next().unwrap_or_default();
                    return Err(format!(
                        "cannot set [{next}] with parent object of type [{}] as part of path [{dotted}]",
                        other.type_name()
                    ));
                }
                None => unreachable!("position {i} was just found"),
            },
            None => {
                cur.push_unchecked(parent.to_owned(), Value::Object(Map::new()));
                cur = match cur.entries_mut().last_mut() {
                    Some((_, Value::Object(m))) => m,
                    _ => unreachable!("an object was just pushed"),
                };
            }
        }
        key = rest;
    }
    if new_only && cur.contains_key(key) {
        return Err(format!("field [{dotted}] already exists"));
    }
    cur.insert(key, value);
    Ok(())
}

/// Append to a list field (creating it; a scalar becomes a one-element list first), optionally
/// skipping values already present. A non-object parent on the path leaves the document as is.
pub fn append_value(doc: &mut Map, dotted: &str, value: Value, allow_duplicates: bool) {
    match doc.get_field_mut(dotted) {
        Some(Value::Array(list)) => {
            if allow_duplicates || !list.contains(&value) {
                list.push(value);
            }
        }
        Some(existing) => {
            let old = std::mem::replace(existing, Value::Null);
            let mut list = vec![old];
            if allow_duplicates || !list.contains(&value) {
                list.push(value);
            }
            *existing = Value::Array(list);
        }
        None => {
            let _ = put(doc, dotted, Value::Array(vec![value]));
        }
    }
}
