//! §2.3 Envelope and user-identity renames, and the 9.0.0 `user.id` override of §2.4.

use super::{Ctx, Failure, Step, errors, render};
use crate::json::Value;
use crate::time;

const UI: &str = "userIdentity";
const TYPE_FIELD: &str = "aws.cloudtrail.user_identity.type";
const ARN_FIELD: &str = "aws.cloudtrail.user_identity.arn";
const ISSUER_ARN_FIELD: &str = "aws.cloudtrail.user_identity.session_context.session_issuer.arn";

/// All of §2.3, then the `user.id` override.
pub fn run(ctx: &mut Ctx<'_>) -> Step {
    ctx.rename(&["eventVersion"], "aws.cloudtrail.event_version")?;
    ctx.rename(&[UI, "type"], TYPE_FIELD)?;
    ctx.rename(&[UI, "userName"], "user.name")?;
    ctx.rename(&[UI, "principalId"], "user.id")?;
    if let Some(id) = ctx.doc.get_field("user.id").cloned() {
        ctx.set(
            "aws.cloudtrail.user_identity.principal_id",
            id,
            "set",
            "set_principal_id",
        )?;
    }
    ctx.rename(&[UI, "arn"], ARN_FIELD)?;
    ctx.rename_if_unset(&[UI, "accountId"], "cloud.account.id")?;
    ctx.rename(
        &[UI, "accessKeyId"],
        "aws.cloudtrail.user_identity.access_key_id",
    )?;
    ctx.rename(
        &[UI, "sessionContext", "attributes", "mfaAuthenticated"],
        "aws.cloudtrail.user_identity.session_context.mfa_authenticated",
    )?;
    creation_date(ctx)?;
    ctx.rename(
        &[UI, "sessionContext", "sessionIssuer", "type"],
        "aws.cloudtrail.user_identity.session_context.session_issuer.type",
    )?;
    if matches!(identity_type(ctx), Some("AssumedRole" | "FederatedUser")) {
        ctx.rename_override(
            &[UI, "sessionContext", "sessionIssuer", "userName"],
            "user.name",
        )?;
    }
    ctx.rename(
        &[UI, "sessionContext", "sessionIssuer", "principalId"],
        "aws.cloudtrail.user_identity.session_context.session_issuer.principal_id",
    )?;
    session_name(ctx)?;
    on_behalf_of(ctx)?;
    ctx.rename(
        &[UI, "sessionContext", "sessionIssuer", "arn"],
        ISSUER_ARN_FIELD,
    )?;
    ctx.rename(
        &[UI, "sessionContext", "sessionIssuer", "accountId"],
        "aws.cloudtrail.user_identity.session_context.session_issuer.account_id",
    )?;
    user_id_override(ctx)
}

/// The renamed identity type, when it is a string.
fn identity_type<'c>(ctx: &'c Ctx<'_>) -> Option<&'c str> {
    ctx.doc.str_field(TYPE_FIELD)
}

/// `creationDate` → `…session_context.creation_date` (ISO8601, then the two basic formats).
fn creation_date(ctx: &mut Ctx<'_>) -> Step {
    let path = [UI, "sessionContext", "attributes", "creationDate"];
    let text = match ctx.jcond(&path, "date", errors::TAG_CREATION_DATE)? {
        None => return Ok(()),
        Some(Value::String(s)) if s.is_empty() => return Ok(()),
        Some(v) => render(v),
    };
    match time::normalize_creation_date(&text) {
        Ok(ts) => ctx.set(
            "aws.cloudtrail.user_identity.session_context.creation_date",
            Value::String(ts),
            "date",
            errors::TAG_CREATION_DATE,
        ),
        Err(e) => {
            ctx.j.remove_path(&path);
            ctx.field_error("date", errors::TAG_CREATION_DATE, &e.to_string());
            Ok(())
        }
    }
}

/// The session name of an STS ARN: `arn:<partition>:sts:<anything>/<session>`, partition
/// `[a-z0-9-]+`, session = everything after the last `/`. `None` if the ARN has another shape.
pub fn parse_session_name(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:")?;
    let (partition, rest) = rest.split_once(':')?;
    if partition.is_empty()
        || !partition
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return None;
    }
    let rest = rest.strip_prefix("sts:")?;
    let (_, session) = rest.rsplit_once('/')?;
    Some(session)
}

/// §2.3 session name (grok `extract_session_name_from_arn`) → `related.user`, `user.email`.
fn session_name(ctx: &mut Ctx<'_>) -> Step {
    if !matches!(
        identity_type(ctx),
        Some("AssumedRole" | "FederatedUser" | "IdentityCenterUser")
    ) {
        return Ok(());
    }
    let arn = match ctx.doc.get_field(ARN_FIELD) {
        None => return Ok(()),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(Failure {
                processor: "grok",
                tag: errors::TAG_SESSION_NAME.to_owned(),
                message: format!(
                    "dynamic method [{}, contains/1] not found",
                    other.type_name()
                ),
            });
        }
    };
    if !(arn.contains(":sts:") && arn.contains('/')) {
        return Ok(());
    }
    let Some(session) = parse_session_name(&arn).map(str::to_owned) else {
        ctx.field_error(
            "grok",
            errors::TAG_SESSION_NAME,
            &format!("Provided Grok expressions do not match field value: [{arn}]"),
        );
        return Ok(());
    };
    if session.is_empty() {
        return Ok(());
    }
    ctx.append_unique("related.user", Value::str(session.as_str()));
    if let Some((local, _)) = session.split_once('@') {
        ctx.append_unique("related.user", Value::str(local));
        if !ctx.has("user.email") {
            ctx.set(
                "user.email",
                Value::str(session.as_str()),
                "set",
                "set_user_email_from_session_name",
            )?;
        }
    }
    ctx.session_name = Some(session);
    Ok(())
}

/// `onBehalfOf` (Identity Center users).
fn on_behalf_of(ctx: &mut Ctx<'_>) -> Step {
    let tag = "set_on_behalf_of_user_id";
    let user_id = match ctx.jcond(&[UI, "onBehalfOf", "userId"], "set", tag)? {
        None => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(v) => Some(v.clone()),
    };
    if let Some(v) = user_id {
        ctx.set(
            "aws.cloudtrail.user_identity.on_behalf_of.user_id",
            v,
            "set",
            tag,
        )?;
    }
    ctx.rename(
        &[UI, "onBehalfOf", "identityStoreArn"],
        "aws.cloudtrail.user_identity.on_behalf_of.identity_store_arn",
    )?;
    if identity_type(ctx) == Some("IdentityCenterUser") {
        ctx.rename_if_unset(&[UI, "onBehalfOf", "userId"], "user.id")?;
    }
    Ok(())
}

/// §2.4 (9.0.0): `user.id` = the IAM ARN for IAMUser/Root, the role ARN for AssumedRole.
fn user_id_override(ctx: &mut Ctx<'_>) -> Step {
    let source = match identity_type(ctx) {
        Some("IAMUser" | "Root") => ARN_FIELD,
        Some("AssumedRole") => ISSUER_ARN_FIELD,
        _ => return Ok(()),
    };
    let arn = match ctx.doc.get_field(source) {
        Some(Value::String(s)) if s.is_empty() => return Ok(()),
        Some(v) => v.clone(),
        None => return Ok(()),
    };
    ctx.set("user.id", arn, "set", "set_user_id_from_arn")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_name_is_the_text_after_the_last_slash_of_an_sts_arn() {
        let cases = [
            (
                "arn:aws:sts::123456789012:assumed-role/Role/MySession",
                Some("MySession"),
            ),
            (
                "arn:aws-us-gov:sts::1:assumed-role/R/i-0123456789abcdef0",
                Some("i-0123456789abcdef0"),
            ),
            (
                "arn:aws:sts::1:assumed-role/AWSReservedSSO_X/a/b/user@example.com",
                Some("user@example.com"),
            ),
            ("arn:aws:sts::1:federated-user/", Some("")),
            ("arn:AWS:sts::1:assumed-role/R/S", None),
            ("arn::sts::1:assumed-role/R/S", None),
            ("xarn:aws:sts::1:assumed-role/R/S", None),
            ("arn:aws:iam::1:role/R", None),
            ("arn:aws:sts::1:assumed-role", None),
        ];
        for (arn, want) in cases {
            assert_eq!(parse_session_name(arn), want, "{arn}");
        }
    }
}
