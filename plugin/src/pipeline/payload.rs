//! §2.5 Payload copies (Java `toString` strings and flattened copies) and the `retain` predicates.
//! CONTRACT (body being written by the payload helper):

use crate::json::Value;

/// keep_flattened: `retain` is null/absent, or contains `all`, `flattened` or `minimal`.
pub fn keep_flattened(retain: Option<&str>) -> bool {
    let _ = retain;
    true
}

/// drop_strings: `retain` is set and not exactly `""`, `all`, `keyword` or `minimal`.
pub fn drop_strings(retain: Option<&str>) -> bool {
    let _ = retain;
    false
}

/// The two copies of one payload value (already pre-cleaned): its Java `toString()` text, and
/// the value itself when `keep_flattened` and the text is shorter than 32,766 UTF-16 units.
pub fn copies(value: Value, keep_flattened: bool) -> (String, Option<Value>) {
    let _ = keep_flattened;
    (String::new(), Some(value))
}
