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
        Some(r) => ["all", "flattened", "minimal"].iter().any(|w| r.contains(w)),
    }
}

/// drop_strings: `retain` is set and not exactly `""`, `all`, `keyword` or `minimal`.
pub fn drop_strings(retain: Option<&str>) -> bool {
    retain.is_some_and(|r| !matches!(r, "" | "all" | "keyword" | "minimal"))
}

/// The two copies of one payload value (already pre-cleaned): its Java `toString()` text, and
/// the value itself when `keep_flattened` and the text is shorter than 32,766 UTF-16 units.
/// Strings and lists are handled like objects (a string's `toString` is itself).
pub fn copies(value: Value, keep_flattened: bool) -> (String, Option<Value>) {
    let text = match value {
        Value::String(ref s) => s.clone(),
        ref other => to_java_string(other),
    };
    let flattened = if keep_flattened && utf16_len_below(&text, FLATTENED_MAX_UTF16) {
        Some(value)
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
        let (s, flat) = copies(v.clone(), true);
        assert_eq!(
            s,
            "{LoginTo=https://console.aws.amazon.com/, MobileVersion=No, MFAUsed=No}"
        );
        assert_eq!(flat, Some(v.clone()));
        let (s2, flat2) = copies(v, false);
        assert_eq!(s2, s);
        assert_eq!(flat2, None);
    }

    #[test]
    fn non_object_payloads_are_copied_the_same_way() {
        let (s, flat) = copies(Value::str("raw text"), true);
        assert_eq!(s, "raw text");
        assert_eq!(flat, Some(Value::str("raw text")));
        let list = Value::Array(vec![
            Value::str("a"),
            Value::Number(Number::from_literal("1.50")),
            Value::Bool(false),
        ]);
        let (s, flat) = copies(list.clone(), true);
        assert_eq!(s, "[a, 1.5, false]");
        assert_eq!(flat, Some(list));
    }

    #[test]
    fn flattened_copy_stops_at_32766_utf16_units_of_the_string_form() {
        // A string payload: toString length = its UTF-16 length.
        for (len, kept) in [(32_765, true), (32_766, false), (40_000, false)] {
            let (_, flat) = copies(Value::str("x".repeat(len)), true);
            assert_eq!(flat.is_some(), kept, "length {len}");
        }
        // Counted in UTF-16 units, not bytes: 'é' is 2 bytes but 1 unit, '𝄞' 4 bytes, 2 units.
        let (_, flat) = copies(Value::str("é".repeat(32_765)), true);
        assert!(flat.is_some());
        let (_, flat) = copies(Value::str("𝄞".repeat(16_383)), true);
        assert!(flat.is_none(), "32,766 units");
        let (_, flat) = copies(Value::str(format!("{}a", "𝄞".repeat(16_382))), true);
        assert!(flat.is_some(), "32,765 units");
        // An object: `{k=` + value + `}` is 4 units more than the value.
        let (s, flat) = copies(obj(&[("k", Value::str("v".repeat(32_762)))]), true);
        assert_eq!(s.len(), 32_766);
        assert!(flat.is_none());
        let (_, flat) = copies(obj(&[("k", Value::str("v".repeat(32_761)))]), true);
        assert!(flat.is_some());
    }
}
