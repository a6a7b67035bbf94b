//! §2.12 Errors: the `error.message` text, the processor tags, and the pipeline-level failure
//! document.

use super::{Ctx, Failure, append_value};
use crate::json::{Map, Value};

/// Tag added on any failure so the raw record is kept for replay.
pub const PRESERVE_ORIGINAL_EVENT: &str = "preserve_original_event";

/// §2.1 #3 JSON parse.
pub const TAG_JSON: &str = "json_event_original_to_json_5e54dc16";
/// §2.1 #5 `eventTime`.
pub const TAG_EVENT_TIME: &str = "date_json_eventTime_to_timestamp_e9417ba3";
/// §2.2 entity extraction.
pub const TAG_ENTITY: &str = "script_append_related_entity_31dc3369";
/// §2.3 `creationDate`.
pub const TAG_CREATION_DATE: &str = "date_json_userIdentity_sessionContext_attributes_creationDate_to_aws_cloudtrail_user_identity_session_context_creation_date_7cf57f10";
/// §2.3 session name.
pub const TAG_SESSION_NAME: &str = "extract_session_name_from_arn";
/// §2.5 payload copies.
pub const TAG_PAYLOAD: &str = "script_duplicate_rules_fields";
/// §2.6 resources.
pub const TAG_RESOURCES: &str = "script_deduplicate_json_resources";
/// §2.7 ConsoleLogin details.
pub const TAG_CONSOLE_LOGIN: &str = "script_console_login_additional_eventdata";
/// §2.7 categorisation.
pub const TAG_CATEGORIZATION: &str = "script_add_ecs_categorization";
/// §2.8 `digestStartTime`.
pub const TAG_DIGEST_START: &str =
    "date_json_digestStartTime_to_aws_cloudtrail_digest_start_time_3c1d2845";
/// §2.8 `digestEndTime`.
pub const TAG_DIGEST_END: &str =
    "date_json_digestEndTime_to_aws_cloudtrail_digest_end_time_d95ac027";
/// §2.8 `newestEventTime`.
pub const TAG_NEWEST: &str =
    "date_json_newestEventTime_to_aws_cloudtrail_digest_newest_event_time_66ba4c38";
/// §2.8 `oldestEventTime`.
pub const TAG_OLDEST: &str =
    "date_json_oldestEventTime_to_aws_cloudtrail_digest_oldest_event_time_51f01072";
/// §2.10 instance ids.
pub const TAG_INSTANCE_IDS: &str = "script_append_related_hosts_instance_ids";

/// `Processor <type> with tag <tag> in pipeline <pipeline> failed with message: <message>`.
pub fn format(pipeline: &str, processor: &str, tag: &str, message: &str) -> String {
    format!(
        "Processor {processor} with tag {tag} in pipeline {pipeline} failed with message: {message}"
    )
}

/// Append one entry to the `error.message` array (a scalar already there becomes the first
/// element, as the `append` processor does).
pub fn append_message(doc: &mut Map, text: String) {
    if let Some(Value::Object(_)) | None = doc.get("error") {
        append_value(doc, "error.message", Value::String(text), true);
    } else {
        // `error` is a scalar from the ingest document: the reference's append would fail
        // inside its own failure handler; keep the message reachable instead.
        doc.insert("error", Value::Object(Map::new()));
        append_value(doc, "error.message", Value::String(text), true);
    }
}

/// `event.kind: pipeline_error` and the `preserve_original_event` tag (§2.11 #5, §2.12).
pub fn mark_failed(ctx: &mut Ctx<'_>) {
    if let Err(f) = ctx.set(
        "event.kind",
        Value::str("pipeline_error"),
        "set",
        "set_event_kind",
    ) {
        // `event` is a scalar on the ingest document: replace it so the kind is visible.
        let _ = f;
        ctx.doc.insert("event", Value::Object(Map::new()));
        ctx.doc
            .set_field("event.kind", Value::str("pipeline_error"));
    }
    ctx.add_tag(PRESERVE_ORIGINAL_EVENT);
}

/// The pipeline-level failure handler: message, kind, tag, temporaries removed. What earlier
/// steps wrote stays; no final clean runs (the handler does not include one).
pub fn fail_pipeline(ctx: &mut Ctx<'_>, failure: &Failure) {
    let text = format(
        ctx.opts.pipeline_id,
        failure.processor,
        &failure.tag,
        &failure.message,
    );
    append_message(&mut ctx.doc, text);
    mark_failed(ctx);
    ctx.j = Map::new();
    ctx.conf = None;
    ctx.session_name = None;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_has_the_reference_shape() {
        assert_eq!(
            format("p-1", "date", TAG_EVENT_TIME, "unable to parse date [x]"),
            "Processor date with tag date_json_eventTime_to_timestamp_e9417ba3 in pipeline p-1 failed with message: unable to parse date [x]"
        );
    }

    #[test]
    fn append_message_builds_an_array_and_keeps_a_preexisting_string() {
        let mut doc = Map::new();
        append_message(&mut doc, "a".into());
        append_message(&mut doc, "a".into());
        assert_eq!(
            doc.get_field("error.message"),
            Some(&Value::str_array(["a", "a"]))
        );
        let mut doc = Map::new();
        doc.set_field("error.message", Value::str("old"));
        append_message(&mut doc, "new".into());
        assert_eq!(
            doc.get_field("error.message"),
            Some(&Value::str_array(["old", "new"]))
        );
    }
}
