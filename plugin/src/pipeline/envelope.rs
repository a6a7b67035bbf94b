//! §2.4 (renames after the `user.id` override: further identity fields, service, action,
//! region, source address and enrichment, user agent, error fields) and §2.6 (remaining
//! envelope fields).

use super::{Ctx, Failure, Step, errors, render};
use crate::json::{Map, Value};
use std::net::IpAddr;

const UI: &str = "userIdentity";
const SC: &str = "sessionContext";
const AMAZONAWS: &str = ".amazonaws.com";

/// §2.4 after the `user.id` override.
pub fn run_user_and_source(ctx: &mut Ctx<'_>) -> Step {
    ctx.rename(
        &["sessionCredentialFromConsole"],
        "aws.cloudtrail.session_credential_from_console",
    )?;
    let renames: [(&[&str], &str); 14] = [
        (&[UI, "invokedBy"], "invoked_by"),
        (
            &[UI, "invokedByDelegate", "accountId"],
            "invoked_by_delegate.account_id",
        ),
        (&[UI, "credentialId"], "credential_id"),
        (&[UI, "identityProvider"], "identity_provider"),
        (&[UI, "inScopeOf", "issuerType"], "in_scope_of.issuer_type"),
        (
            &[UI, "inScopeOf", "credentialsIssuedTo"],
            "in_scope_of.credentials_issued_to",
        ),
        (&[UI, "inScopeOf", "sourceArn"], "in_scope_of.source_arn"),
        (
            &[UI, "inScopeOf", "sourceAccount"],
            "in_scope_of.source_account",
        ),
        (
            &[UI, SC, "ec2RoleDelivery"],
            "session_context.ec2_role_delivery",
        ),
        (
            &[UI, SC, "sourceIdentity"],
            "session_context.source_identity",
        ),
        (
            &[UI, SC, "webIdFederationData", "federatedProvider"],
            "session_context.web_id_federation_data.federated_provider",
        ),
        (
            &[UI, SC, "webIdFederationData", "attributes"],
            "session_context.web_id_federation_data.attributes",
        ),
        (&[UI, SC, "assumedRoot"], "session_context.assumed_root"),
        (
            &[UI, SC, "signInSessionArn"],
            "session_context.sign_in_session_arn",
        ),
    ];
    for (path, target) in renames {
        // Most records have none of these: skip the target's `format!` for absent fields.
        if ctx.jget(path).is_some() {
            ctx.rename(path, &format!("aws.cloudtrail.user_identity.{target}"))?;
        }
    }
    event_source(ctx)?;
    event_action(ctx)?;
    ctx.rename(&["eventCategory"], "aws.cloudtrail.event_category")?;
    if ctx.doc.str_field("event.action") == Some("UserAuthentication") {
        ctx.rename_if_unset(&["additionalEventData", "UserName"], "user.name")?;
    }
    ctx.set(
        "cloud.provider",
        Value::str("aws"),
        "set",
        "set_cloud_provider",
    )?;
    region(ctx)?;
    ctx.rename_if_unset(&["sourceIPAddress"], "source.address")?;
    source_ip(ctx)?;
    user_agent(ctx)?;
    ctx.rename(&["errorCode"], "aws.cloudtrail.error_code")?;
    ctx.rename(&["errorMessage"], "aws.cloudtrail.error_message")
}

/// `eventSource` → `cloud.service.name` (text before `.amazonaws.com`) and `event.provider`.
fn event_source(ctx: &mut Ctx<'_>) -> Step {
    let tag = "set_cloud_service_name";
    if let Some(source) = ctx.jstr_cond(&["eventSource"], "set", tag)?
        && source.ends_with(AMAZONAWS)
        && !ctx.has("cloud.service.name")
    {
        let name = source.split(AMAZONAWS).next().unwrap_or_default();
        ctx.set("cloud.service.name", Value::str(name), "set", tag)?;
    }
    ctx.rename_if_unset(&["eventSource"], "event.provider")
}

/// `eventName` → `event.action`, as a string; `J.eventName` stays.
fn event_action(ctx: &mut Ctx<'_>) -> Step {
    let tag = "set_event_action";
    let action = match ctx.jcond(&["eventName"], "set", tag)? {
        None => return Ok(()),
        Some(v) => render(v),
    };
    if action.is_empty() {
        return Ok(());
    }
    ctx.set("event.action", Value::String(action), "set", tag)
}

/// `awsRegion` → `cloud.region`, overwriting.
fn region(ctx: &mut Ctx<'_>) -> Step {
    let tag = "set_cloud_region";
    let region = match ctx.jcond(&["awsRegion"], "set", tag)? {
        None => return Ok(()),
        Some(Value::String(s)) if s.is_empty() => return Ok(()),
        Some(v) => v.clone(),
    };
    ctx.set("cloud.region", region, "set", tag)
}

/// Elasticsearch IP parsing: the whole string must be one IPv4 or IPv6 address.
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    text.parse().ok()
}

/// `source.address` → `source.ip` when it is one IP; then GeoIP and ASN lookups.
fn source_ip(ctx: &mut Ctx<'_>) -> Step {
    let Some(address) = ctx.doc.str_field("source.address").map(str::to_owned) else {
        return Ok(());
    };
    let Some(ip) = parse_ip(&address) else {
        return Ok(());
    };
    ctx.set(
        "source.ip",
        Value::String(address),
        "convert",
        "convert_source_ip",
    )?;
    if let Some(enricher) = ctx.opts.enricher {
        if let Some(geo) = enricher.geo(ip).filter(|m| !m.is_empty()) {
            ctx.set(
                "source.geo",
                Value::Object(geo),
                "geoip",
                "geoip_source_ip_to_source_geo",
            )?;
        }
        if let Some(asn) = enricher.asn(ip).filter(|m| !m.is_empty()) {
            ctx.set(
                "source.as",
                Value::Object(asn),
                "geoip",
                "geoip_source_ip_to_source_as",
            )?;
        }
    }
    Ok(())
}

/// `userAgent` → `user_agent.original` plus the parsed fields from the enricher.
fn user_agent(ctx: &mut Ctx<'_>) -> Step {
    let tag = "user_agent_json_userAgent";
    let ua = match ctx.jcond(&["userAgent"], "user_agent", tag)? {
        None => return Ok(()),
        Some(Value::String(s)) if s.is_empty() => return Ok(()),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(Failure {
                processor: "user_agent",
                tag: tag.to_owned(),
                message: format!(
                    "field [json.userAgent] of type [{}] cannot be cast to [java.lang.String]",
                    other.type_name()
                ),
            });
        }
    };
    let mut parsed = Map::new();
    parsed.insert("original", Value::str(ua.as_str()));
    if let Some(fields) = ctx.opts.enricher.and_then(|e| e.user_agent(&ua)) {
        for (k, v) in fields.into_entries() {
            if k != "original" {
                parsed.insert(k, v);
            }
        }
    }
    ctx.set("user_agent", Value::Object(parsed), "user_agent", tag)
}

/// §2.6: the remaining envelope fields.
pub fn run_remaining(ctx: &mut Ctx<'_>) -> Step {
    ctx.rename(&["requestID"], "aws.cloudtrail.request_id")?;
    ctx.rename_if_unset(&["eventID"], "event.id")?;
    ctx.rename(&["eventType"], "aws.cloudtrail.event_type")?;
    ctx.rename(&["apiVersion"], "aws.cloudtrail.api_version")?;
    if let Some(v) = ctx.jget(&["managementEvent"]) {
        let converted = convert_to_string(v);
        ctx.set(
            "aws.cloudtrail.management_event",
            converted,
            "convert",
            "convert_json_managementEvent_to_string",
        )?;
    }
    ctx.rename(&["readOnly"], "aws.cloudtrail.read_only")?;
    resources(ctx)?;
    ctx.rename(
        &["recipientAccountId"],
        "aws.cloudtrail.recipient_account_id",
    )?;
    if !ctx.has("cloud.account.id")
        && let Some(acct) = ctx
            .doc
            .get_field("aws.cloudtrail.recipient_account_id")
            .cloned()
    {
        ctx.set("cloud.account.id", acct, "set", "set_cloud_account_id")?;
    }
    ctx.rename(&["sharedEventID"], "aws.cloudtrail.shared_event_id")?;
    if !ctx.has("aws.cloudtrail.shared_event_id") {
        ctx.rename(&["sharedEventId"], "aws.cloudtrail.shared_event_id")?;
    }
    ctx.rename(&["vpcEndpointId"], "aws.cloudtrail.vpc_endpoint_id")?;
    ctx.rename(
        &["vpcEndpointAccountId"],
        "aws.cloudtrail.vpc_endpoint_account_id",
    )?;
    for (src, dst) in [
        ("reason", "reason"),
        ("updatedFields", "updated_fields"),
        ("originalRequestID", "original_request_id"),
        ("originalEventID", "original_event_id"),
    ] {
        ctx.rename(
            &["addendum", src],
            &format!("aws.cloudtrail.addendum.{dst}"),
        )?;
    }
    let tag = "append_related_user";
    for path in [
        &["requestParameters", "userName"][..],
        &["requestParameters", "newUserName"][..],
        &["responseElements", "user", "userId"][..],
    ] {
        if let Some(v) = ctx.jcond(path, "append", tag)? {
            let s = render(v);
            ctx.append_unique("related.user", Value::String(s));
        }
    }
    Ok(())
}

/// The `convert` processor with `type: string`: scalars to their text, lists element-wise.
fn convert_to_string(v: &Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.iter().map(convert_to_string).collect()),
        other => Value::String(render(other)),
    }
}

/// `resources` → `aws.cloudtrail.resources` (the payload helper's transform).
fn resources(ctx: &mut Ctx<'_>) -> Step {
    let Some(value) = ctx.j.remove("resources") else {
        return Ok(());
    };
    match super::resources::transform(value) {
        Ok(v) => {
            if let Err(f) = ctx.set(
                "aws.cloudtrail.resources",
                v,
                "script",
                errors::TAG_RESOURCES,
            ) {
                ctx.field_error("script", errors::TAG_RESOURCES, &f.message);
            }
        }
        Err(msg) => ctx.field_error("script", errors::TAG_RESOURCES, &msg),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_whole_single_address_is_an_ip() {
        for ok in [
            "127.0.0.1",
            "89.160.20.156",
            "2001:db8::1",
            "::ffff:1.2.3.4",
        ] {
            assert!(parse_ip(ok).is_some(), "{ok}");
        }
        for bad in [
            "81.2.69.142, 192.168.10.10",
            "AWS Internal",
            "s3.amazonaws.com",
            "",
            " 1.2.3.4",
            "1.2.3",
            "01.2.3.4",
        ] {
            assert!(parse_ip(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn convert_to_string_renders_scalars_and_maps_lists() {
        assert_eq!(convert_to_string(&Value::Bool(true)), Value::str("true"));
        assert_eq!(
            convert_to_string(&Value::Array(vec![Value::Bool(false), Value::str("x")])),
            Value::str_array(["false", "x"])
        );
    }
}
