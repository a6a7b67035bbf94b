//! §2.1 Preamble: `event.original`, `event.created`, the JSON parse into `J`, `ecs.version`,
//! `eventTime` → `@timestamp`, and the pre-clean.

use super::{Ctx, Failure, Step, errors, render};
use crate::json::parse::{ParseOptions, parse};
use crate::json::{Map, Value};
use crate::time;

/// ECS version the reference stamps.
pub const ECS_VERSION: &str = "8.11.0";

/// §2.1 #1–#2: `message` → `event.original` (unless already set; `message` is removed either
/// way) and `@timestamp` → `event.created`.
pub fn original_and_created(ctx: &mut Ctx<'_>) -> Step {
    if ctx.has("event.original") {
        ctx.doc.remove("message");
    } else if let Some(message) = ctx.doc.remove("message") {
        ctx.set(
            "event.original",
            message,
            "rename",
            "rename_message_to_event_original",
        )?;
    }
    if let Some(ts) = ctx.doc.get("@timestamp").cloned() {
        ctx.set("event.created", ts, "set", "set_event_created")?;
    }
    Ok(())
}

/// All of §2.1.
pub fn run(ctx: &mut Ctx<'_>) -> Step {
    original_and_created(ctx)?;
    let not_object = parse_record(ctx)?;
    ctx.set(
        "ecs.version",
        Value::str(ECS_VERSION),
        "set",
        "set_ecs_version",
    )?;
    if let Some(kind) = not_object {
        // The next step's condition reads `ctx.json?.eventTime` from a non-map and throws.
        return Err(Failure {
            processor: "date",
            tag: errors::TAG_EVENT_TIME.to_owned(),
            message: format!("dynamic getter [{kind}, eventTime] not found"),
        });
    }
    event_time(ctx);
    pre_clean(&mut ctx.doc);
    pre_clean(&mut ctx.j);
    Ok(())
}

/// §2.1 #3: parse `event.original` into `J`. Returns the Java type name of a top level that
/// parsed but is not an object (the reference stores it and fails at the next condition).
fn parse_record(ctx: &mut Ctx<'_>) -> Result<Option<&'static str>, Failure> {
    let fail = |message: String| Failure {
        processor: "json",
        tag: errors::TAG_JSON.to_owned(),
        message,
    };
    let text = match ctx.doc.get_field("event.original") {
        None => return Ok(None),
        Some(Value::String(s)) => s,
        Some(other) => {
            return Err(fail(format!(
                "field [event.original] of type [{}] cannot be parsed as JSON",
                other.type_name()
            )));
        }
    };
    // An empty (or blank) text has no token: the processor stores nothing.
    if text.trim_matches([' ', '\t', '\n', '\r']).is_empty() {
        return Ok(None);
    }
    let opts = ParseOptions {
        max_depth: ctx.opts.max_depth,
    };
    match parse(text, &opts) {
        Err(e) => Err(fail(e.to_string())),
        Ok(Value::Object(m)) => {
            ctx.j = m;
            Ok(None)
        }
        Ok(Value::Null) => Ok(None),
        Ok(Value::String(_)) => Ok(Some("java.lang.String")),
        Ok(Value::Number(_)) => Ok(Some("java.lang.Number")),
        Ok(Value::Bool(_)) => Ok(Some("java.lang.Boolean")),
        Ok(Value::Array(_)) => Ok(Some("java.util.ArrayList")),
    }
}

/// §2.1 #5: `J.eventTime` → `@timestamp`; on failure the source is removed and one
/// `error.message` entry appended.
fn event_time(ctx: &mut Ctx<'_>) {
    let text = match ctx.j.get("eventTime") {
        None | Some(Value::Null) => return,
        Some(Value::String(s)) if s.is_empty() => return,
        Some(v) => render(v),
    };
    match time::normalize_iso8601(&text) {
        Ok(ts) => {
            // `@timestamp` is top level: this write cannot meet a non-object parent.
            ctx.doc.insert("@timestamp", Value::String(ts));
            ctx.timestamp_from_record = true;
        }
        Err(e) => {
            ctx.j.remove("eventTime");
            ctx.field_error("date", errors::TAG_EVENT_TIME, &e.to_string());
        }
    }
}

/// §2.1 #6 pre-clean: bottom-up, drop `null`, `""`, `"-"`, `"none"`, empty maps and empty
/// lists from every map and list. `parsed_len` is left alone (it sizes the Java table).
pub fn pre_clean(map: &mut Map) {
    clean_map(map, is_pre_clean_junk);
}

/// §2.11 #4 final clean: like [`pre_clean`] but `"-"` and `"none"` stay.
pub fn final_clean(map: &mut Map) {
    clean_map(map, is_final_junk);
}

fn is_pre_clean_junk(v: &Value) -> bool {
    is_final_junk(v) || matches!(v, Value::String(s) if s == "-" || s == "none")
}

fn is_final_junk(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        Value::Bool(_) | Value::Number(_) => false,
    }
}

/// Clean containers first, then drop what `junk` says. Iterative over an explicit stack of
/// raw paths would be more robust against depth, but parsed input is depth-capped already.
fn clean_map(map: &mut Map, junk: fn(&Value) -> bool) {
    map.retain(|_, v| {
        clean_value(v, junk);
        !junk(v)
    });
}

fn clean_value(v: &mut Value, junk: fn(&Value) -> bool) {
    match v {
        Value::Object(m) => clean_map(m, junk),
        Value::Array(a) => a.retain_mut(|e| {
            clean_value(e, junk);
            !junk(e)
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse::parse;

    fn obj(text: &str) -> Map {
        match parse(text, &ParseOptions::default()) {
            Ok(Value::Object(m)) => m,
            other => panic!("test input must be an object: {other:?}"),
        }
    }

    #[test]
    fn pre_clean_removes_empties_bottom_up_and_keeps_parsed_len() {
        let mut m = obj(
            r#"{"a":null,"b":"","c":"-","d":"none","e":{},"f":[],"g":{"h":{"i":""}},
                "j":[null,"x","-",[""],{"k":"none"}],"l":"None","m":0,"n":false,"o":" "}"#,
        );
        let before = m.parsed_len();
        pre_clean(&mut m);
        assert_eq!(m.parsed_len(), before);
        let want = obj(r#"{"j":["x"],"l":"None","m":0,"n":false,"o":" "}"#);
        assert_eq!(m.entries(), want.entries());
    }

    #[test]
    fn final_clean_keeps_dash_and_none() {
        let mut m = obj(r#"{"a":"-","b":"none","c":"","d":{"e":[]}}"#);
        final_clean(&mut m);
        assert_eq!(m.keys().collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn nested_parsed_len_survives_cleaning() {
        let mut m = obj(r#"{"p":{"a":"","b":"1","c":null}}"#);
        pre_clean(&mut m);
        let p = m
            .get("p")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        assert_eq!((p.len(), p.parsed_len()), (1, 3));
    }
}
