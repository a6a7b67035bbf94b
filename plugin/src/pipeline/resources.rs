//! `spec/elastic-parity.md` §2.6 `resources` → `aws.cloudtrail.resources`.
//!
//! The reference's script walks the list, renames `ARN`/`accountId` in each object element,
//! and puts the element into a Java `HashMap` keyed by `arn_account_id_type`; the output is
//! that map's `values()`. So a later duplicate replaces the content of an earlier one but keeps
//! its insertion slot, and the order is the map's iteration order ([`hashmap_order`] with the
//! number of distinct keys).
//!
//! Decisions where the spec leaves the script's exact code open:
//! - a key part that is not a string is used in its Java string form (Painless `+`
//!   concatenation calls `String.valueOf`), e.g. `ARN: 5` gives `5__`; `null` counts as
//!   missing (the pre-clean removes nulls before this step anyway);
//! - an element with both `ARN` and `arn` keeps the renamed `ARN` value (a Java `put` over the
//!   existing key), likewise `accountId` over `account_id`.
//!
//! With these, no parsed value makes the step fail; `Err` is kept in the signature for the
//! pipeline's error path (§2.12, tag `script_deduplicate_json_resources`).

use std::collections::HashMap;

use crate::json::java::{hashmap_order, to_java_string};
use crate::json::{Map, Value};

/// Transform `J.resources`: non-list moved unchanged; list: non-objects dropped, `ARN`→`arn`,
/// `accountId`→`account_id`, de-duplicated on `arn_account_id_type`, Java `HashMap` order.
/// `Err(message)` where the reference's script would fail (no such input is known; see the
/// module notes).
pub fn transform(value: Value) -> Result<Value, String> {
    let Value::Array(items) = value else {
        return Ok(value);
    };
    let mut keys: Vec<String> = Vec::new();
    let mut elements: Vec<Map> = Vec::new();
    let mut slot_of: HashMap<String, usize> = HashMap::new();
    for item in items {
        let Value::Object(mut element) = item else {
            continue;
        };
        rename_in_place(&mut element, "ARN", "arn");
        rename_in_place(&mut element, "accountId", "account_id");
        let key = format!(
            "{}_{}_{}",
            key_part(&element, "arn"),
            key_part(&element, "account_id"),
            key_part(&element, "type")
        );
        match slot_of.get(&key) {
            Some(&slot) => {
                if let Some(e) = elements.get_mut(slot) {
                    *e = element;
                }
            }
            None => {
                slot_of.insert(key.clone(), elements.len());
                keys.push(key);
                elements.push(element);
            }
        }
    }
    let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let order = hashmap_order(&key_refs, key_refs.len());
    let mut slots: Vec<Option<Map>> = elements.into_iter().map(Some).collect();
    let out = order
        .into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take))
        .map(Value::Object)
        .collect();
    Ok(Value::Array(out))
}

/// Rename `from` to `to` keeping the member's position; an existing `to` is replaced.
fn rename_in_place(element: &mut Map, from: &str, to: &str) {
    if !element.contains_key(from) {
        return;
    }
    element.remove(to);
    for (k, _) in element.entries_mut().iter_mut() {
        if k == from {
            *k = to.to_owned();
        }
    }
}

/// One part of the de-duplication key: the string, a non-string's Java string form, or "".
fn key_part(element: &Map, key: &str) -> String {
    match element.get(key) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => to_java_string(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Number;
    use crate::pipeline::payload::fixture_support::{cases, json_eq};

    fn obj(members: &[(&str, Value)]) -> Value {
        Value::Object(Map::from_entries(
            members
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        ))
    }

    fn keys_of(v: &Value) -> Vec<&str> {
        v.as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default()
    }

    #[test]
    fn non_list_resources_are_moved_unchanged() {
        for v in [
            Value::str("arn:aws:s3:::bucket"),
            obj(&[("ARN", Value::str("x"))]),
            Value::Bool(true),
        ] {
            assert_eq!(transform(v.clone()), Ok(v));
        }
    }

    #[test]
    fn elements_are_renamed_in_place_and_non_objects_dropped() {
        let input = Value::Array(vec![
            Value::str("stray"),
            obj(&[
                ("accountId", Value::str("111122223333")),
                ("type", Value::str("AWS::S3::Bucket")),
                ("ARN", Value::str("arn:aws:s3:::b")),
                ("extra", Value::Bool(true)),
            ]),
            Value::Array(vec![]),
            Value::Number(Number::from_literal("7")),
        ]);
        let Ok(Value::Array(out)) = transform(input) else {
            panic!("a list stays a list");
        };
        assert_eq!(out.len(), 1);
        assert_eq!(keys_of(&out[0]), ["account_id", "type", "arn", "extra"]);
        assert_eq!(
            out[0].get_path(&["arn"]),
            Some(&Value::str("arn:aws:s3:::b"))
        );
    }

    #[test]
    fn duplicates_keep_the_first_slot_with_the_last_content() {
        // "Aa__" and "BB__" have the same Java hash, so they share a bucket and iterate in
        // first-insertion order whatever the capacity.
        let input = Value::Array(vec![
            obj(&[("ARN", Value::str("BB")), ("n", Value::str("first"))]),
            obj(&[("ARN", Value::str("Aa"))]),
            obj(&[("arn", Value::str("BB")), ("n", Value::str("last"))]),
        ]);
        let want = Value::Array(vec![
            obj(&[("arn", Value::str("BB")), ("n", Value::str("last"))]),
            obj(&[("arn", Value::str("Aa"))]),
        ]);
        assert_eq!(transform(input), Ok(want));
    }

    #[test]
    fn key_parts_default_to_empty_and_non_strings_use_their_java_form() {
        // Same composite key `5__` for the number and its string: de-duplicated.
        let input = Value::Array(vec![
            obj(&[("ARN", Value::Number(Number::from_literal("5")))]),
            obj(&[("ARN", Value::str("5")), ("type", Value::Null)]),
            obj(&[("type", Value::str("T"))]),
            obj(&[
                ("accountId", Value::str("1")),
                ("account_id", Value::str("2")),
            ]),
        ]);
        let Ok(Value::Array(out)) = transform(input) else {
            panic!("a list stays a list");
        };
        assert_eq!(out.len(), 3, "{out:?}");
        let account = out
            .iter()
            .find_map(|e| e.get_path(&["account_id"]))
            .and_then(Value::as_str);
        assert_eq!(account, Some("1"), "the renamed accountId wins");
    }

    #[test]
    fn output_order_is_hashmap_order_of_the_composite_keys() {
        let arns = ["arn:a", "arn:b", "arn:c", "arn:d", "arn:e"];
        let input = Value::Array(
            arns.iter()
                .map(|a| obj(&[("ARN", Value::str(*a)), ("type", Value::str("T"))]))
                .collect(),
        );
        // JDK 25 `HashMap` order of the keys `arn:a__T` … `arn:e__T`.
        let want = ["arn:d", "arn:e", "arn:b", "arn:c", "arn:a"];
        let Ok(Value::Array(out)) = transform(input) else {
            panic!("a list stays a list");
        };
        let got: Vec<&str> = out
            .iter()
            .filter_map(|e| e.get_path(&["arn"]).and_then(Value::as_str))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn resources_of_the_elastic_fixtures_match() {
        let Some(cases) = cases() else { return };
        let mut failures = Vec::new();
        let mut matched = 0;
        for case in &cases {
            let want = case.expected.get_field("aws.cloudtrail.resources");
            let got = match case.record.get("resources").cloned().map(transform) {
                None => None,
                Some(Ok(v)) => Some(v),
                Some(Err(e)) => {
                    failures.push(format!("{}: transform failed: {e}", case.name));
                    continue;
                }
            };
            // The final clean (§2.11 #4) removes a list left empty.
            let got = got.filter(|v| v.as_array().is_none_or(|a| !a.is_empty()));
            let same = match (&got, want) {
                (Some(g), Some(w)) => json_eq(g, w),
                (None, None) => true,
                _ => false,
            };
            if !same {
                failures.push(format!("{}:\n   got  {got:?}\n   want {want:?}", case.name));
            } else if got.is_some() {
                matched += 1;
            }
        }
        println!("{matched} fixture resources lists matched");
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert!(matched >= 10, "the fixtures hold resources lists");
    }
}
