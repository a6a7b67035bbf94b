//! Document comparison of `spec/elastic-parity.md` §1.4: deep equality with object key order
//! ignored, array order significant and numbers compared by value; dynamic fields removed after
//! their value is checked; the "core" view of §3 that leaves out enrichment-dependent fields.

use regex::Regex;
use serde_json::{Map, Number, Value};
use std::fmt;

/// One field-level difference, at a dotted path (`a.b[2].c`).
#[derive(Clone, Debug, PartialEq)]
pub enum Diff {
    /// Present in the expected document only.
    Missing {
        /// Dotted path.
        path: String,
        /// Expected value.
        expected: Value,
    },
    /// Present in the actual document only.
    Extra {
        /// Dotted path.
        path: String,
        /// Actual value.
        actual: Value,
    },
    /// Present on both sides with different values.
    Changed {
        /// Dotted path.
        path: String,
        /// Expected value.
        expected: Value,
        /// Actual value.
        actual: Value,
    },
    /// A dynamic field whose actual value does not match its pattern.
    DynamicMismatch {
        /// Dotted path.
        path: String,
        /// The pattern.
        pattern: String,
        /// Actual value.
        actual: Value,
    },
}

impl Diff {
    /// The dotted path of the difference.
    pub fn path(&self) -> &str {
        match self {
            Diff::Missing { path, .. }
            | Diff::Extra { path, .. }
            | Diff::Changed { path, .. }
            | Diff::DynamicMismatch { path, .. } => path,
        }
    }

    /// True when the difference is outside the core view (enrichment-dependent field).
    pub fn is_enrichment_only(&self) -> bool {
        is_enrichment_path(self.path())
    }
}

/// Compact JSON, cut to a readable length.
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 160 {
        let cut: String = s.chars().take(160).collect();
        format!("{cut}…")
    } else {
        s
    }
}

impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Diff::Missing { path, expected } => {
                write!(f, "{path}: missing (expected {})", short(expected))
            }
            Diff::Extra { path, actual } => write!(f, "{path}: extra (actual {})", short(actual)),
            Diff::Changed {
                path,
                expected,
                actual,
            } => write!(
                f,
                "{path}: expected {} vs actual {}",
                short(expected),
                short(actual)
            ),
            Diff::DynamicMismatch {
                path,
                pattern,
                actual,
            } => write!(
                f,
                "{path}: dynamic field {} does not match /{pattern}/",
                short(actual)
            ),
        }
    }
}

/// Numbers are equal by value (`1` equals `1.0`); integers compare exactly.
pub fn numbers_equal(a: &Number, b: &Number) -> bool {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return x == y;
    }
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// Appends the differences between `expected` and `actual` under `path` to `out`.
pub fn diff_values(path: &str, expected: &Value, actual: &Value, out: &mut Vec<Diff>) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_owned()
        } else {
            format!("{path}.{k}")
        }
    };
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let mut keys: Vec<&String> = e.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                match (e.get(k), a.get(k)) {
                    (Some(ev), Some(av)) => diff_values(&join(k), ev, av, out),
                    (Some(ev), None) => out.push(Diff::Missing {
                        path: join(k),
                        expected: ev.clone(),
                    }),
                    (None, Some(av)) => out.push(Diff::Extra {
                        path: join(k),
                        actual: av.clone(),
                    }),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            for i in 0..e.len().max(a.len()) {
                let p = format!("{path}[{i}]");
                match (e.get(i), a.get(i)) {
                    (Some(ev), Some(av)) => diff_values(&p, ev, av, out),
                    (Some(ev), None) => out.push(Diff::Missing {
                        path: p,
                        expected: ev.clone(),
                    }),
                    (None, Some(av)) => out.push(Diff::Extra {
                        path: p,
                        actual: av.clone(),
                    }),
                    (None, None) => {}
                }
            }
        }
        (Value::Number(e), Value::Number(a)) if numbers_equal(e, a) => {}
        (e, a) if e == a => {}
        (e, a) => out.push(Diff::Changed {
            path: path.to_owned(),
            expected: e.clone(),
            actual: a.clone(),
        }),
    }
}

/// Deep equality of §1.4.
pub fn equal(expected: &Value, actual: &Value) -> bool {
    let mut d = Vec::new();
    diff_values("", expected, actual, &mut d);
    d.is_empty()
}

/// Removes the field at a dotted path from a document, matching nested objects and dotted keys
/// alike (`a.b.c` finds `{"a":{"b":{"c":…}}}`, `{"a.b":{"c":…}}` and `{"a.b.c":…}`). Returns the
/// removed value.
pub fn remove_path(doc: &mut Value, path: &str) -> Option<Value> {
    let segments: Vec<&str> = path.split('.').collect();
    remove_segments(doc, &segments)
}

fn remove_segments(v: &mut Value, segments: &[&str]) -> Option<Value> {
    let Value::Object(map) = v else { return None };
    for take in 1..=segments.len() {
        let key = segments[..take].join(".");
        if take == segments.len() {
            if let Some(found) = map.remove(&key) {
                return Some(found);
            }
        } else if let Some(child) = map.get_mut(&key)
            && let Some(found) = remove_segments(child, &segments[take..])
        {
            return Some(found);
        }
    }
    None
}

/// A dynamic field (`dynamic_fields` of a test config): removed from both sides before
/// comparing; the actual value, when present, must match the pattern.
#[derive(Clone, Debug)]
pub struct DynamicField {
    /// Dotted field name.
    pub path: String,
    /// Pattern the actual value must match.
    pub pattern: Regex,
}

/// Removes the dynamic fields from both documents; reports actual values that do not match.
pub fn strip_dynamic(
    expected: &mut Value,
    actual: &mut Value,
    fields: &[DynamicField],
    out: &mut Vec<Diff>,
) {
    for f in fields {
        remove_path(expected, &f.path);
        if let Some(v) = remove_path(actual, &f.path) {
            let text = match &v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if !f.pattern.is_match(&text) {
                out.push(Diff::DynamicMismatch {
                    path: f.path.clone(),
                    pattern: f.pattern.as_str().to_owned(),
                    actual: v,
                });
            }
        }
    }
}

/// Fields outside the core score (`spec/elastic-parity.md` §3): `source.geo.*`, `source.as.*`
/// and the parsed `user_agent.*` fields (everything under `user_agent` but `original`).
pub fn is_enrichment_path(path: &str) -> bool {
    let under = |p: &str, root: &str| {
        p == root || (p.starts_with(root) && p.as_bytes().get(root.len()) == Some(&b'.'))
    };
    under(path, "source.geo")
        || under(path, "source.as")
        || (path.starts_with("user_agent.") && !under(path, "user_agent.original"))
}

/// The core view of a document: enrichment fields removed (objects emptied by the removal go too).
pub fn core_view(doc: &Value) -> Value {
    let mut v = doc.clone();
    if let Value::Object(m) = &mut v {
        strip_enrichment(m, "");
    }
    v
}

fn strip_enrichment(map: &mut Map<String, Value>, prefix: &str) {
    let keys: Vec<String> = map.keys().cloned().collect();
    for k in keys {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        if is_enrichment_path(&path) {
            map.remove(&k);
            continue;
        }
        if let Some(Value::Object(child)) = map.get_mut(&k) {
            let was_empty = child.is_empty();
            strip_enrichment(child, &path);
            if child.is_empty() && !was_empty {
                map.remove(&k);
            }
        }
    }
}

/// Result of comparing one document pair.
#[derive(Clone, Debug, Default)]
pub struct DocComparison {
    /// Every difference (the strict view), dynamic-field mismatches included.
    pub diffs: Vec<Diff>,
    /// True when the core views are equal and no core-relevant dynamic field mismatched.
    pub core_equal: bool,
}

impl DocComparison {
    /// True when the documents are equal in the strict view.
    pub fn strict_equal(&self) -> bool {
        self.diffs.is_empty()
    }
}

/// Compares one actual document with its expected one under §1.4 rules.
pub fn compare_docs(expected: &Value, actual: &Value, dynamic: &[DynamicField]) -> DocComparison {
    let (mut e, mut a) = (expected.clone(), actual.clone());
    let mut diffs = Vec::new();
    strip_dynamic(&mut e, &mut a, dynamic, &mut diffs);
    let dynamic_core_failure = diffs.iter().any(|d| !d.is_enrichment_only());
    diff_values("", &e, &a, &mut diffs);
    let core_equal = !dynamic_core_failure && equal(&core_view(&e), &core_view(&a));
    DocComparison { diffs, core_equal }
}

/// JSON pretty-printed with object keys sorted (the golden-file format).
pub fn to_sorted_pretty(v: &Value) -> String {
    fn sort(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                let mut out = Map::new();
                for k in keys {
                    out.insert(k.clone(), sort(&m[k]));
                }
                Value::Object(out)
            }
            Value::Array(a) => Value::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    let mut s = serde_json::to_string_pretty(&sort(v)).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_is_ignored_array_order_is_not_numbers_by_value() {
        let table = [
            (
                json!({"a": 1, "b": [1, 2]}),
                json!({"b": [1, 2], "a": 1}),
                true,
            ),
            (json!({"a": [1, 2]}), json!({"a": [2, 1]}), false),
            (json!({"a": 1}), json!({"a": 1.0}), true),
            (json!({"a": 1}), json!({"a": "1"}), false),
            (json!({"a": {"b": null}}), json!({"a": {}}), false),
            (
                json!({"a": 18446744073709551615u64}),
                json!({"a": 18446744073709551614u64}),
                false,
            ),
        ];
        for (e, a, eq) in table {
            assert_eq!(equal(&e, &a), eq, "{e} vs {a}");
        }
    }

    #[test]
    fn diffs_name_dotted_paths_and_kinds() {
        let e = json!({"event": {"action": "A", "type": ["x"]}, "gone": 1});
        let a = json!({"event": {"action": "B", "type": ["x", "y"]}, "new": 2});
        let mut d = Vec::new();
        diff_values("", &e, &a, &mut d);
        let text: Vec<String> = d.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                r#"event.action: expected "A" vs actual "B""#,
                r#"event.type[1]: extra (actual "y")"#,
                "gone: missing (expected 1)",
                "new: extra (actual 2)",
            ]
        );
    }

    #[test]
    fn remove_path_finds_nested_and_dotted_keys() {
        for mut doc in [
            json!({"user_agent": {"version": "1.2", "name": "x"}}),
            json!({"user_agent.version": "1.2", "user_agent": {"name": "x"}}),
        ] {
            assert_eq!(
                remove_path(&mut doc, "user_agent.version"),
                Some(json!("1.2"))
            );
            assert_eq!(remove_path(&mut doc, "user_agent.version"), None);
        }
    }

    #[test]
    fn dynamic_fields_are_removed_and_checked_against_their_pattern() {
        let f = [DynamicField {
            path: "user_agent.version".into(),
            pattern: Regex::new(r"^\d+\.\d+(\.|\..*)?$").unwrap(),
        }];
        let e = json!({"user_agent": {"version": "1.16."}});
        let ok = compare_docs(&e, &json!({"user_agent": {"version": "1.16.248"}}), &f);
        assert!(ok.strict_equal() && ok.core_equal);
        let absent = compare_docs(&e, &json!({"user_agent": {}}), &f);
        assert!(absent.strict_equal());
        let bad = compare_docs(&e, &json!({"user_agent": {"version": "x"}}), &f);
        assert!(!bad.strict_equal());
        assert!(bad.core_equal, "user_agent.version is not a core field");
    }

    #[test]
    fn core_view_drops_geo_as_and_parsed_user_agent_only() {
        let doc = json!({
            "source": {"ip": "192.0.2.1", "geo": {"city_name": "X"}, "as": {"number": 1}},
            "user_agent": {"original": "aws-cli", "name": "aws-cli", "os": {"name": "Linux"}},
            "user": {"name": "u"}
        });
        assert_eq!(
            core_view(&doc),
            json!({"source": {"ip": "192.0.2.1"}, "user_agent": {"original": "aws-cli"}, "user": {"name": "u"}})
        );
        let expected = json!({"source": {"ip": "192.0.2.1", "geo": {"city_name": "X"}}});
        let actual = json!({"source": {"ip": "192.0.2.1"}});
        let c = compare_docs(&expected, &actual, &[]);
        assert!(c.core_equal && !c.strict_equal());
        let c = compare_docs(
            &json!({"source": {"ip": "a"}}),
            &json!({"source": {"ip": "b"}}),
            &[],
        );
        assert!(!c.core_equal);
    }

    #[test]
    fn enrichment_paths_are_exact_prefixes() {
        for (p, yes) in [
            ("source.geo", true),
            ("source.geo.city_name", true),
            ("source.as.number", true),
            ("source.geography", false),
            ("source.ip", false),
            ("user_agent.name", true),
            ("user_agent.os.full", true),
            ("user_agent.original", false),
            ("user_agent", false),
        ] {
            assert_eq!(is_enrichment_path(p), yes, "{p}");
        }
    }

    #[test]
    fn sorted_pretty_output_sorts_keys_at_every_level() {
        let s = to_sorted_pretty(&json!({"b": {"d": 1, "c": 2}, "a": [ {"z": 1, "y": 2} ]}));
        let a = s.find("\"a\"").unwrap();
        let b = s.find("\"b\"").unwrap();
        let c = s.find("\"c\"").unwrap();
        let d = s.find("\"d\"").unwrap();
        let y = s.find("\"y\"").unwrap();
        let z = s.find("\"z\"").unwrap();
        assert!(a < b && c < d && y < z && s.ends_with("}\n"));
    }
}
