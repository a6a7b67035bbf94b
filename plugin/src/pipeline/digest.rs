//! §2.8 Digest records: renames into `aws.cloudtrail.digest.*`, the four digest dates, and
//! `@timestamp` from `digestEndTime`. (The move to `aws.cloudtrail.flattened.digest` is in
//! §2.9, `convenience.rs`.)

use super::{Ctx, Step, errors, render};
use crate::json::Value;
use crate::time;

/// Digest fields live under `aws.cloudtrail.digest` (spelled out with `concat!` so the
/// steps, which run for every record, build no strings).
const D: &str = "aws.cloudtrail.digest";

/// All of §2.8.
pub fn run(ctx: &mut Ctx<'_>) -> Step {
    ctx.rename_if_unset(&["awsAccountId"], "cloud.account.id")?;
    ctx.rename_if_unset(&["digestS3Object"], "file.path")?;
    ctx.rename(
        &["previousDigestS3Object"],
        concat!("aws.cloudtrail.digest.", "previous_s3_object"),
    )?;
    ctx.rename(
        &["previousDigestSignature"],
        concat!("aws.cloudtrail.digest.", "previous_signature"),
    )?;
    ctx.rename(
        &["previousDigestHashValue"],
        concat!("aws.cloudtrail.digest.", "previous_hash_value"),
    )?;
    if let Some(v) = ctx
        .doc
        .get_field(concat!("aws.cloudtrail.digest.", "previous_hash_value"))
        .cloned()
    {
        ctx.append_unique("related.hash", Value::String(render(&v)));
    }
    ctx.rename(
        &["logFiles"],
        concat!("aws.cloudtrail.digest.", "log_files"),
    )?;
    date(
        ctx,
        "digestStartTime",
        "start_time",
        errors::TAG_DIGEST_START,
    )?;
    date(ctx, "digestEndTime", "end_time", errors::TAG_DIGEST_END)?;
    if let Some(end) = ctx
        .doc
        .get_field(concat!("aws.cloudtrail.digest.", "end_time"))
        .cloned()
    {
        ctx.doc.insert("@timestamp", end);
        ctx.timestamp_from_record = true;
    }
    ctx.rename(
        &["digestS3Bucket"],
        concat!("aws.cloudtrail.digest.", "s3_bucket"),
    )?;
    date(
        ctx,
        "newestEventTime",
        "newest_event_time",
        errors::TAG_NEWEST,
    )?;
    date(
        ctx,
        "oldestEventTime",
        "oldest_event_time",
        errors::TAG_OLDEST,
    )?;
    ctx.rename(
        &["previousDigestS3Bucket"],
        concat!("aws.cloudtrail.digest.", "previous_s3_bucket"),
    )?;
    ctx.rename(
        &["previousDigestHashAlgorithm"],
        concat!("aws.cloudtrail.digest.", "previous_hash_algorithm"),
    )?;
    ctx.rename(
        &["digestPublicKeyFingerprint"],
        concat!("aws.cloudtrail.digest.", "public_key_fingerprint"),
    )?;
    if !ctx.has(concat!("aws.cloudtrail.digest.", "public_key_fingerprint")) {
        ctx.rename(
            &["publicKeyFingerprint"],
            concat!("aws.cloudtrail.digest.", "public_key_fingerprint"),
        )?;
    }
    ctx.rename(
        &["digestSignatureAlgorithm"],
        concat!("aws.cloudtrail.digest.", "signature_algorithm"),
    )
}

/// A `date` processor (ISO8601) from `J.<src>` to `aws.cloudtrail.digest.<dst>`; on failure
/// the source is removed and one `error.message` entry appended.
fn date(ctx: &mut Ctx<'_>, src: &str, dst: &str, tag: &str) -> Step {
    let text = match ctx.j.get(src) {
        None => return Ok(()),
        Some(Value::String(s)) if s.is_empty() => return Ok(()),
        Some(v) => render(v),
    };
    match time::normalize_iso8601(&text) {
        Ok(ts) => ctx.set(&format!("{D}.{dst}"), Value::String(ts), "date", tag),
        Err(e) => {
            ctx.j.remove(src);
            ctx.field_error("date", tag, &e.to_string());
            Ok(())
        }
    }
}
