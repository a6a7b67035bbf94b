//! JSON serializers: compact values, and output documents in nested or flat (dotted-key) form
//! (spec `elastic-parity.md` §1: output documents; the flat form is what a `_source` with
//! dotted names looks like, keeping the `flattened` fields of the cloudtrail mapping whole).
//!
//! Escaping is minimal and deterministic: `"`, `\` and control characters below U+0020 are
//! escaped (`\n \r \t \b \f`, others `\u00XX` in lower-case hex); everything else, non-ASCII
//! and `/` included, is written raw. Numbers are written as their literal text.

use super::parse::find_special;
use super::value::{Map, Value};

/// The six Elasticsearch `flattened` fields of the `aws.cloudtrail` mapping: in flat output
/// their object values stay whole objects instead of becoming dotted keys.
pub const FLATTENED_FIELDS: &[&str] = &[
    "aws.cloudtrail.flattened.request_parameters",
    "aws.cloudtrail.flattened.response_elements",
    "aws.cloudtrail.flattened.additional_eventdata",
    "aws.cloudtrail.flattened.service_event_details",
    "aws.cloudtrail.flattened.digest",
    "aws.cloudtrail.flattened.insight_details",
];

/// Compact JSON for `v`, object members in their existing order.
pub fn write_value(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => out.push_str(n.as_str()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_value(item, out);
            }
            out.push('}');
        }
    }
}

/// [`write_value`] into a new string.
pub fn to_json(v: &Value) -> String {
    let mut out = String::new();
    write_value(v, &mut out);
    out
}

/// `s` as a JSON string literal (quotes included).
pub fn write_string(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut run = 0;
    loop {
        let i = find_special(bytes, run);
        // `i` is at an ASCII byte or the end, so always a char boundary.
        out.push_str(s.get(run..i).unwrap_or_default());
        let Some(&b) = bytes.get(i) else {
            break;
        };
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        }
        run = i + 1;
    }
    out.push('"');
}

/// An output document, compact, with object keys sorted (byte order) at every level, arrays in
/// order. Sorting makes output independent of the order in which pipeline steps set fields.
pub fn write_document_nested(doc: &Map, out: &mut String) {
    reserve_for(doc, out);
    write_sorted_map(doc, out);
}

/// Sizes `out` once for a typical document: about three times the record text it keeps in
/// `event.original` (the record again as payload strings and flattened copies), which saves
/// the string's repeated regrowth. Only a capacity hint: output bytes do not depend on it.
fn reserve_for(doc: &Map, out: &mut String) {
    let original = doc
        .get("event")
        .and_then(|e| e.as_object()?.get("original")?.as_str())
        .map_or(0, str::len);
    out.reserve(original.saturating_mul(3).saturating_add(1024));
}

/// An output document with dotted keys, sorted (byte order).
///
/// The rule: object members are flattened recursively, so `{"a":{"b":1}}` becomes `{"a.b":1}`;
/// a leaf is any non-object value. Arrays are not flattened: an array is written whole, its
/// elements nested-style with sorted keys. An object whose full dotted path is listed in
/// `keep_whole` (see [`FLATTENED_FIELDS`]) is written whole under that path, like an
/// Elasticsearch `flattened` field keeps its object value; the shallowest listed path wins.
/// Other empty objects produce no key. Document field names contain no dots, so the dotted
/// keys are unambiguous (keys inside kept-whole objects and arrays may contain anything).
pub fn write_document_flat(doc: &Map, out: &mut String, keep_whole: &[&str]) {
    reserve_for(doc, out);
    let mut leaves: Vec<(String, &Value)> = Vec::new();
    let mut path = String::new();
    collect_leaves(doc, &mut path, keep_whole, &mut leaves);
    leaves.sort_by(|a, b| a.0.cmp(&b.0));
    out.push('{');
    for (i, (k, v)) in leaves.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(k, out);
        out.push(':');
        write_sorted(v, out);
    }
    out.push('}');
}

fn collect_leaves<'a>(
    map: &'a Map,
    path: &mut String,
    keep_whole: &[&str],
    leaves: &mut Vec<(String, &'a Value)>,
) {
    for (k, v) in map.iter() {
        let parent_len = path.len();
        if parent_len > 0 {
            path.push('.');
        }
        path.push_str(k);
        match v {
            Value::Object(inner) if !keep_whole.contains(&path.as_str()) => {
                collect_leaves(inner, path, keep_whole, leaves);
            }
            _ => leaves.push((path.clone(), v)),
        }
        path.truncate(parent_len);
    }
}

/// A value with object keys sorted at every level.
fn write_sorted(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => write_sorted_map(map, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_sorted(item, out);
            }
            out.push(']');
        }
        scalar => write_value(scalar, out),
    }
}

/// Members of up to this many entries are ordered on the stack (no allocation per object).
const STACK_MEMBERS: usize = 32;

fn write_sorted_map(map: &Map, out: &mut String) {
    let entries = map.entries();
    if entries.len() <= STACK_MEMBERS {
        let mut members: [&(String, Value); STACK_MEMBERS] = [&EMPTY_MEMBER; STACK_MEMBERS];
        for (slot, e) in members.iter_mut().zip(entries) {
            *slot = e;
        }
        let members = &mut members[..entries.len()];
        // Stable: should a map ever hold a key twice, the output stays deterministic.
        members.sort_by(|a, b| a.0.cmp(&b.0));
        write_members(members.iter().copied(), out);
    } else {
        let mut members: Vec<&(String, Value)> = entries.iter().collect();
        members.sort_by(|a, b| a.0.cmp(&b.0));
        write_members(members.into_iter(), out);
    }
}

static EMPTY_MEMBER: (String, Value) = (String::new(), Value::Null);

fn write_members<'a>(members: impl Iterator<Item = &'a (String, Value)>, out: &mut String) {
    out.push('{');
    for (i, (k, v)) in members.enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(k, out);
        out.push(':');
        write_sorted(v, out);
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Number;
    use crate::json::parse::tests::arb_value;
    use crate::json::parse::{ParseOptions, parse};
    use proptest::prelude::*;

    fn lit(s: &str) -> String {
        let mut out = String::new();
        write_string(s, &mut out);
        out
    }

    fn doc(text: &str) -> Map {
        match parse(text, &ParseOptions::default()) {
            Ok(Value::Object(m)) => m,
            other => panic!("test document {text:?} is not an object: {other:?}"),
        }
    }

    #[test]
    fn strings_escape_quotes_backslashes_and_controls_only() {
        let cases = [
            ("", r#""""#),
            ("plain", r#""plain""#),
            ("a\"b\\c", r#""a\"b\\c""#),
            ("\n\r\t\u{8}\u{c}", r#""\n\r\t\b\f""#),
            ("\u{0}\u{1}\u{1f}", r#""\u0000\u0001\u001f""#),
            ("\u{1b}[0m", r#""\u001b[0m""#),
            ("a/b", r#""a/b""#),
            ("\u{7f}é€😀\u{2028}", "\"\u{7f}é€😀\u{2028}\""),
            (
                "long run of plain text then \"",
                r#""long run of plain text then \"""#,
            ),
        ];
        for (input, want) in cases {
            assert_eq!(lit(input), want, "input {input:?}");
        }
    }

    #[test]
    fn values_are_compact_and_keep_member_order() {
        let v = Value::Object(Map::from_entries(vec![
            ("z".into(), Value::Number(Number::from_literal("1.0"))),
            (
                "a".into(),
                Value::Array(vec![Value::Null, Value::Bool(true), Value::str("x")]),
            ),
            ("m".into(), Value::Object(Map::new())),
        ]));
        assert_eq!(to_json(&v), r#"{"z":1.0,"a":[null,true,"x"],"m":{}}"#);
    }

    #[test]
    fn nested_documents_sort_keys_at_every_level_but_not_arrays() {
        let d = doc(r#"{"b":{"y":1,"x":[{"q":1,"p":2},3,1]},"a":"s","B":null,"aa":{}}"#);
        let mut out = String::new();
        write_document_nested(&d, &mut out);
        assert_eq!(
            out,
            r#"{"B":null,"a":"s","aa":{},"b":{"x":[{"p":2,"q":1},3,1],"y":1}}"#
        );
    }

    #[test]
    fn flat_documents_use_sorted_dotted_keys_and_keep_arrays_whole() {
        let d = doc(r#"{"b":{"y":1,"x":[{"q":1,"p":2}]},"a":{"c":{"d":"s"}},"e":{},"a-":0}"#);
        let mut out = String::new();
        write_document_flat(&d, &mut out, &[]);
        assert_eq!(out, r#"{"a-":0,"a.c.d":"s","b.x":[{"p":2,"q":1}],"b.y":1}"#);
    }

    #[test]
    fn flat_documents_keep_listed_paths_whole() {
        let d = doc(
            r#"{"aws":{"cloudtrail":{"event_version":"1.08","flattened":{
                "request_parameters":{"z.k":{"y":1,"x":2},"a":[1]},
                "response_elements":{},
                "digest":"not an object"}}},
                "event":{"action":"X"}}"#,
        );
        let mut out = String::new();
        write_document_flat(&d, &mut out, FLATTENED_FIELDS);
        assert_eq!(
            out,
            concat!(
                r#"{"aws.cloudtrail.event_version":"1.08","#,
                r#""aws.cloudtrail.flattened.digest":"not an object","#,
                r#""aws.cloudtrail.flattened.request_parameters":{"a":[1],"z.k":{"x":2,"y":1}},"#,
                r#""aws.cloudtrail.flattened.response_elements":{},"#,
                r#""event.action":"X"}"#
            )
        );
        // A shallower listed path wins over a deeper one.
        let mut out = String::new();
        write_document_flat(
            &d,
            &mut out,
            &[
                "aws.cloudtrail.flattened.request_parameters",
                "aws.cloudtrail",
            ],
        );
        assert!(out.starts_with(r#"{"aws.cloudtrail":{"event_version":"1.08","flattened":"#));
    }

    /// Documents as the pipeline builds them: dot-free field names, arbitrary leaves, and
    /// sometimes a `flattened` field with arbitrary (dotted, unicode) keys.
    fn arb_document() -> impl Strategy<Value = Map> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| Value::Number(n.into())),
            "[a-z \\n\"é]{0,6}".prop_map(Value::String),
            prop::collection::vec(arb_value(), 0..3).prop_map(Value::Array),
        ];
        let tree = leaf.prop_recursive(4, 48, 6, |inner| {
            prop::collection::btree_map("[a-z_]{1,4}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect()))
        });
        let flattened = prop::option::of((prop::sample::select(FLATTENED_FIELDS), arb_value()));
        (
            prop::collection::btree_map("[a-z_]{1,4}", tree, 0..6),
            flattened,
        )
            .prop_map(|(fields, extra)| {
                let mut d: Map = fields.into_iter().collect();
                if let Some((path, value)) = extra {
                    d.set_field(path, value);
                }
                d
            })
    }

    fn nested_leaves(v: &Value, path: &str, keep: &[&str], out: &mut Vec<(String, Value)>) {
        match v {
            Value::Object(m) if path.is_empty() || !keep.contains(&path) => {
                for (k, child) in m.iter() {
                    let p = if path.is_empty() {
                        k.to_owned()
                    } else {
                        format!("{path}.{k}")
                    };
                    nested_leaves(child, &p, keep, out);
                }
            }
            _ => out.push((path.to_owned(), v.clone())),
        }
    }

    proptest! {
        #[test]
        fn flat_and_nested_outputs_hold_the_same_leaves(d in arb_document()) {
            let opts = ParseOptions::default();
            let mut nested = String::new();
            write_document_nested(&d, &mut nested);
            let mut flat = String::new();
            write_document_flat(&d, &mut flat, FLATTENED_FIELDS);

            let mut from_nested = Vec::new();
            nested_leaves(&parse(&nested, &opts).unwrap(), "", FLATTENED_FIELDS, &mut from_nested);
            from_nested.sort_by(|a, b| a.0.cmp(&b.0));

            let flat_value = parse(&flat, &opts).unwrap();
            let from_flat: Vec<(String, Value)> = flat_value
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.to_owned(), v.clone()))
                .collect();
            prop_assert_eq!(from_flat, from_nested);
        }

        #[test]
        fn nested_output_equals_compact_output_of_the_sorted_tree(d in arb_document()) {
            // Re-parsing the nested output and writing it compactly reproduces it exactly:
            // the keys are already in sorted order at every level.
            let mut nested = String::new();
            write_document_nested(&d, &mut nested);
            let back = parse(&nested, &ParseOptions::default()).unwrap();
            prop_assert_eq!(to_json(&back), nested);
        }
    }
}
