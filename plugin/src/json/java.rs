//! Java formatting the reference's payload strings depend on (spec §2.5): `toString()` of parsed
//! JSON, `HashMap` iteration order, `Double.toString`.
//! CONTRACT (body being written by the payload helper):

use crate::json::Value;

/// Java `toString()` of a parsed JSON value (maps in `HashMap` order).
pub fn to_java_string(value: &Value) -> String {
    let _ = value;
    String::new()
}

/// Positions of `keys` in Java `HashMap` iteration order for a map that had `parsed_len`
/// members when built (capacity from `parsed_len`); returns indices into `keys`.
pub fn hashmap_order(keys: &[&str], parsed_len: usize) -> Vec<usize> {
    (0..keys.len().min(parsed_len.max(keys.len()))).collect()
}
