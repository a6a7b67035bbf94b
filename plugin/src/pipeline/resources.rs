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
