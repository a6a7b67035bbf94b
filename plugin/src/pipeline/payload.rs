//! `spec/elastic-parity.md` §2.5 payload copies (Java `toString` strings and flattened copies)
//! and the two `retain` predicates §2.11 applies.

use crate::json::Value;
use crate::json::java::to_java_string;

/// Strings of this many UTF-16 code units or more get no flattened copy (§2.5; the reference
/// measures the string form, not the object).
pub const FLATTENED_MAX_UTF16: usize = 32_766;

/// keep_flattened: `retain` is null/absent, or contains `all`, `flattened` or `minimal`
/// (substring test, as the reference's condition does).
pub fn keep_flattened(retain: Option<&str>) -> bool {
    match retain {
        None => true,
        Some(r) => ["all", "flattened", "minimal"]
            .iter()
            .any(|w| r.contains(w)),
    }
}

/// drop_strings: `retain` is set and not exactly `""`, `all`, `keyword` or `minimal`.
pub fn drop_strings(retain: Option<&str>) -> bool {
    retain.is_some_and(|r| !matches!(r, "" | "all" | "keyword" | "minimal"))
}

/// The two copies of one payload value (already pre-cleaned): its Java `toString()` text, and
/// the value itself when `keep_flattened` and the text is shorter than 32,766 UTF-16 units.
/// Strings and lists are handled like objects (a string's `toString` is itself).
pub fn copies(value: &Value, keep_flattened: bool) -> (String, Option<Value>) {
    let text = match value {
        Value::String(s) => s.clone(),
        other => to_java_string(other),
    };
    // The value is cloned only when the flattened copy is kept.
    let flattened = if keep_flattened && utf16_len_below(&text, FLATTENED_MAX_UTF16) {
        Some(value.clone())
    } else {
        None
    };
    (text, flattened)
}

/// `text.encode_utf16().count() < limit`, stopping early on long texts.
fn utf16_len_below(text: &str, limit: usize) -> bool {
    if text.len() < limit {
        // UTF-8 never has fewer bytes than UTF-16 has code units.
        return true;
    }
    text.encode_utf16().take(limit).count() < limit
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{Map, Number};

    #[test]
    fn retain_predicates_match_the_mode_table() {
        // (retain, strings kept, flattened kept) — spec §2.11 "Resulting retain modes".
        let table: &[(Option<&str>, bool, bool)] = &[
            (None, true, true),
            (Some("all"), true, true),
            (Some("keyword"), true, false),
            (Some(""), true, false),
            (Some("flattened"), false, true),
            (Some("minimal"), true, true),
            (Some("none"), false, false),
            (Some("something"), false, false),
            (Some("flattened_and_more"), false, true),
            (Some("keyword,all"), false, true),
            (Some("ALL"), false, false),
            (Some("minimalist"), false, true),
        ];
        for &(retain, strings, flat) in table {
            assert_eq!(!drop_strings(retain), strings, "strings for {retain:?}");
            assert_eq!(keep_flattened(retain), flat, "flattened for {retain:?}");
        }
    }

    fn obj(members: &[(&str, Value)]) -> Value {
        Value::Object(Map::from_entries(
            members
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        ))
    }

    #[test]
    fn copies_give_java_string_and_the_value_when_flattened_is_kept() {
        let v = obj(&[
            ("MobileVersion", Value::str("No")),
            ("LoginTo", Value::str("https://console.aws.amazon.com/")),
            ("MFAUsed", Value::str("No")),
        ]);
        let (s, flat) = copies(&v, true);
        assert_eq!(
            s,
            "{LoginTo=https://console.aws.amazon.com/, MobileVersion=No, MFAUsed=No}"
        );
        assert_eq!(flat, Some(v.clone()));
        let (s2, flat2) = copies(&v, false);
        assert_eq!(s2, s);
        assert_eq!(flat2, None);
    }

    #[test]
    fn non_object_payloads_are_copied_the_same_way() {
        let (s, flat) = copies(&Value::str("raw text"), true);
        assert_eq!(s, "raw text");
        assert_eq!(flat, Some(Value::str("raw text")));
        let list = Value::Array(vec![
            Value::str("a"),
            Value::Number(Number::from_literal("1.50")),
            Value::Bool(false),
        ]);
        let (s, flat) = copies(&list, true);
        assert_eq!(s, "[a, 1.5, false]");
        assert_eq!(flat, Some(list));
    }

    #[test]
    fn flattened_copy_stops_at_32766_utf16_units_of_the_string_form() {
        // A string payload: toString length = its UTF-16 length.
        for (len, kept) in [(32_765, true), (32_766, false), (40_000, false)] {
            let (_, flat) = copies(&Value::str("x".repeat(len)), true);
            assert_eq!(flat.is_some(), kept, "length {len}");
        }
        // Counted in UTF-16 units, not bytes: 'é' is 2 bytes but 1 unit, '𝄞' 4 bytes, 2 units.
        let (_, flat) = copies(&Value::str("é".repeat(32_765)), true);
        assert!(flat.is_some());
        let (_, flat) = copies(&Value::str("𝄞".repeat(16_383)), true);
        assert!(flat.is_none(), "32,766 units");
        let (_, flat) = copies(&Value::str(format!("{}a", "𝄞".repeat(16_382))), true);
        assert!(flat.is_some(), "32,765 units");
        // An object: `{k=` + value + `}` is 4 units more than the value.
        let (s, flat) = copies(&obj(&[("k", Value::str("v".repeat(32_762)))]), true);
        assert_eq!(s.len(), 32_766);
        assert!(flat.is_none());
        let (_, flat) = copies(&obj(&[("k", Value::str("v".repeat(32_761)))]), true);
        assert!(flat.is_some());
    }
}

/// Reading Elastic's golden tests (`../shared/conformance/elastic`) for the payload and
/// resources checks: each input line with its expected document and `retain` setting.
#[cfg(test)]
pub(crate) mod fixture_support {
    use std::path::{Path, PathBuf};

    use crate::json::parse::parse;
    use crate::json::{Map, Value};

    /// One fixture line: the record after the §2.1 #6 pre-clean, and the expected document.
    pub struct Case {
        pub name: String,
        pub record: Map,
        pub expected: Map,
        pub retain: Option<String>,
    }

    fn fixture_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/elastic")
    }

    /// All fixture lines that parse to a JSON object; `None` (after printing why) when the
    /// shared folder is absent.
    pub fn cases() -> Option<Vec<Case>> {
        let dir = fixture_dir();
        let Ok(listing) = std::fs::read_dir(&dir) else {
            println!("skipping: ../shared not found ({})", dir.display());
            return None;
        };
        let mut logs: Vec<PathBuf> = listing
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "log"))
            .collect();
        logs.sort();
        let mut out = Vec::new();
        for log in logs {
            let file = log.file_name().map(|f| f.to_string_lossy().into_owned());
            let file = file.unwrap_or_default();
            let text = std::fs::read_to_string(&log).expect("fixture log is UTF-8");
            let expected_text = std::fs::read_to_string(dir.join(format!("{file}-expected.json")))
                .expect("every fixture log has an expected file");
            let expected = parse(&expected_text, &Default::default()).expect("expected parses");
            let docs = expected
                .get_path(&["expected"])
                .and_then(Value::as_array)
                .expect("`expected` array")
                .clone();
            let retain = std::fs::read_to_string(dir.join(format!("{file}-config.yml")))
                .ok()
                .and_then(|cfg| {
                    cfg.lines().find_map(|l| {
                        let v = l.trim().strip_prefix("retain:")?.trim();
                        Some(v.trim_matches(['"', '\'']).to_owned())
                    })
                });
            let body = text.strip_suffix('\n').unwrap_or(&text);
            let lines: Vec<&str> = body.split('\n').collect();
            assert_eq!(lines.len(), docs.len(), "{file}: one document per line");
            for (i, (line, doc)) in lines.iter().zip(docs).enumerate() {
                let line = line.strip_suffix('\r').unwrap_or(line);
                let (Ok(Value::Object(mut record)), Value::Object(expected)) =
                    (parse(line, &Default::default()), doc)
                else {
                    continue;
                };
                pre_clean(&mut record);
                out.push(Case {
                    name: format!("{file}:{}", i + 1),
                    record,
                    expected,
                    retain: retain.clone(),
                });
            }
        }
        Some(out)
    }

    /// §2.1 #6, bottom-up: drop `null`, `""`, `"-"`, `"none"`, and containers left empty.
    /// `Map::retain` leaves `parsed_len` alone, as the reference's table keeps its capacity.
    pub fn pre_clean(map: &mut Map) {
        map.retain(|_, v| {
            clean_value(v);
            !is_junk(v)
        });
    }

    fn clean_value(v: &mut Value) {
        match v {
            Value::Object(m) => pre_clean(m),
            Value::Array(items) => items.retain_mut(|item| {
                clean_value(item);
                !is_junk(item)
            }),
            _ => {}
        }
    }

    fn is_junk(v: &Value) -> bool {
        match v {
            Value::Null => true,
            Value::String(s) => matches!(s.as_str(), "" | "-" | "none"),
            Value::Array(a) => a.is_empty(),
            Value::Object(m) => m.is_empty(),
            Value::Bool(_) | Value::Number(_) => false,
        }
    }

    /// The harness's comparison (spec §1.4): key order ignored, array order kept, numbers by value.
    pub fn json_eq(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
            }
            (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
            }
            _ => a == b,
        }
    }
}

#[cfg(test)]
mod fixture_tests {
    use super::fixture_support::{cases, json_eq};
    use super::*;

    /// Source member of `J` and the `aws.cloudtrail` name of its copies (§2.5).
    const PAYLOADS: [(&str, &str); 4] = [
        ("requestParameters", "request_parameters"),
        ("responseElements", "response_elements"),
        ("additionalEventData", "additional_eventdata"),
        ("serviceEventDetails", "service_event_details"),
    ];

    #[test]
    fn every_payload_string_and_flattened_copy_of_the_elastic_fixtures_matches() {
        let Some(cases) = cases() else { return };
        let mut failures = Vec::new();
        let (mut strings, mut flattened, mut skipped) = (0, 0, 0);
        for case in &cases {
            let retain = case.retain.as_deref();
            let event_name = case.record.get("eventName").and_then(Value::as_str);
            for (src, dst) in PAYLOADS {
                // §2.4 moves `additionalEventData.UserName` out before the copy; the rule
                // needs pipeline state, so such events are left to the pipeline tests.
                if event_name == Some("UserAuthentication") && src == "additionalEventData" {
                    skipped += 1;
                    continue;
                }
                let want_string = case
                    .expected
                    .get_field(&format!("aws.cloudtrail.{dst}"))
                    .cloned();
                let want_flat = case
                    .expected
                    .get_field(&format!("aws.cloudtrail.flattened.{dst}"))
                    .cloned();
                let Some(value) = case.record.get(src).cloned() else {
                    if want_string.is_some() || want_flat.is_some() {
                        failures.push(format!(
                            "{} {dst}: expected a copy, record has none",
                            case.name
                        ));
                    }
                    continue;
                };
                let (text, flat) = copies(&value, keep_flattened(retain));
                let got_string = (!drop_strings(retain)).then(|| Value::String(text.clone()));
                if got_string != want_string {
                    failures.push(format!(
                        "{} {dst}:\n   got  {got_string:?}\n   want {want_string:?}",
                        case.name
                    ));
                } else if got_string.is_some() {
                    strings += 1;
                }
                // `minimal` rebuilds the flattened object later (§2.11 step 1).
                if retain != Some("minimal") {
                    let same = match (&flat, &want_flat) {
                        (Some(g), Some(w)) => json_eq(g, w),
                        (None, None) => true,
                        _ => false,
                    };
                    if !same {
                        failures.push(format!(
                            "{} flattened.{dst}: got {flat:?}, want {want_flat:?}",
                            case.name
                        ));
                    } else if flat.is_some() {
                        flattened += 1;
                    }
                }
            }
        }
        println!(
            "{} fixture records: {strings} payload strings and {flattened} flattened copies \
             matched, {skipped} UserAuthentication additionalEventData skipped",
            cases.len()
        );
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert!(strings > 50, "the fixtures hold many payload strings");
    }
}
