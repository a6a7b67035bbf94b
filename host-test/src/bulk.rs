//! `cloudtrail-ecs decode --output bulk`: the Elasticsearch `_bulk` request body.
//!
//! Each document becomes two lines: `{"create":{"_index":"logs-aws.cloudtrail-<ns>","_id":…}}`
//! and the document. Data streams accept only `create`; `_id` is the component's deterministic
//! document id, so sending the same object again is rejected per document (`409`, version
//! conflict) instead of indexing it twice.

/// The data stream documents go to: `logs-aws.cloudtrail-<namespace>`.
pub fn data_stream(namespace: &str) -> String {
    format!("logs-aws.cloudtrail-{namespace}")
}

/// The action line for one document (JSON, no newline), keys in the documented order.
pub fn action_line(index: &str, id: &str) -> String {
    let quote = |s: &str| serde_json::Value::from(s).to_string();
    format!(
        r#"{{"create":{{"_index":{},"_id":{}}}}}"#,
        quote(index),
        quote(id)
    )
}

/// Appends one action/document pair, each line ending with `\n` as `_bulk` requires.
pub fn push_pair(out: &mut Vec<u8>, index: &str, id: &str, document_json: &str) {
    out.extend_from_slice(action_line(index, id).as_bytes());
    out.push(b'\n');
    out.extend_from_slice(document_json.as_bytes());
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_lines_are_create_with_index_and_escaped_id() {
        assert_eq!(data_stream("prod"), "logs-aws.cloudtrail-prod");
        assert_eq!(
            action_line("logs-aws.cloudtrail-default", "ab\"c"),
            r#"{"create":{"_index":"logs-aws.cloudtrail-default","_id":"ab\"c"}}"#
        );
        let mut out = Vec::new();
        push_pair(&mut out, "i", "1", r#"{"a":1}"#);
        assert_eq!(
            out,
            b"{\"create\":{\"_index\":\"i\",\"_id\":\"1\"}}\n{\"a\":1}\n"
        );
    }
}
