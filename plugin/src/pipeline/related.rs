//! §2.10 `user.email` and `related.*` (`user`, `ip`, `hosts`).

use super::{Ctx, Failure, Step, errors, render};
use crate::json::{Map, Value};

const AMAZONAWS: &str = ".amazonaws.com";

/// All of §2.10.
pub fn run(ctx: &mut Ctx<'_>) -> Step {
    user_email(ctx)?;
    for field in [
        "aws.cloudtrail.user_identity.principal_id",
        "user.id",
        "user.name",
        "user.changes.name",
        "aws.cloudtrail.user_identity.on_behalf_of.user_id",
    ] {
        if let Some(v) = ctx.doc.get_field(field) {
            let s = render(v);
            ctx.append_unique("related.user", Value::String(s));
        }
    }
    related_ip(ctx);
    related_hosts(ctx);
    Ok(())
}

/// `user.email` = `user.name` when unset and the name has `@` after its first character.
fn user_email(ctx: &mut Ctx<'_>) -> Step {
    let tag = "set_user_email";
    let name = match ctx.doc.get_field("user.name") {
        None => return Ok(()),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(Failure {
                processor: "set",
                tag: tag.to_owned(),
                message: format!(
                    "dynamic method [{}, indexOf/1] not found",
                    other.type_name()
                ),
            });
        }
    };
    if ctx.has("user.email") || name.find('@').is_none_or(|i| i == 0) {
        return Ok(());
    }
    ctx.set("user.email", Value::String(name), "set", tag)
}

/// `source.ip`, then `J.serviceEventDetails.sourceIpAddress` when it is an IP.
fn related_ip(ctx: &mut Ctx<'_>) {
    if let Some(ip) = ctx.doc.get_field("source.ip").cloned() {
        ctx.append_unique("related.ip", ip);
    }
    if let Some(Value::String(s)) = ctx.jget(&["serviceEventDetails", "sourceIpAddress"])
        && super::envelope::parse_ip(s).is_some()
    {
        let ip = Value::str(s.as_str());
        ctx.append_unique("related.ip", ip);
    }
}

fn related_hosts(ctx: &mut Ctx<'_>) {
    if let Some(name) = ctx.doc.str_field("tls.client.server_name")
        && !name.ends_with(AMAZONAWS)
    {
        let v = Value::str(name);
        ctx.append_unique("related.hosts", v);
    }
    if !ctx.has("source.ip")
        && let Some(addr) = ctx.doc.str_field("source.address")
        && addr.contains('.')
        && !addr.contains(' ')
        && !addr.ends_with(AMAZONAWS)
    {
        let v = Value::str(addr);
        ctx.append_unique("related.hosts", v);
    }
    if let Some(v) = ctx.jget(&["requestParameters", "computerName"]) {
        let s = render(v);
        ctx.append_unique("related.hosts", Value::String(s));
    }
    let req = ctx.jget(&["requestParameters"]);
    let resp = ctx.jget(&["responseElements"]);
    let res = ctx.doc.get_field("aws.cloudtrail.resources");
    if req.is_none() && resp.is_none() && res.is_none() {
        return;
    }
    match instance_ids(res, req, resp) {
        Ok(ids) => {
            for id in ids {
                ctx.append_unique("related.hosts", Value::String(id));
            }
        }
        Err(msg) => ctx.field_error("script", errors::TAG_INSTANCE_IDS, &msg),
    }
}

/// EC2 instance ids from resources ARNs and the payloads (candidates `i-…`, ≥ 10 UTF-16 units).
pub fn instance_ids(
    resources: Option<&Value>,
    req: Option<&Value>,
    resp: Option<&Value>,
) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    if let Some(Value::Array(list)) = resources {
        for r in list {
            if let Some(Value::String(arn)) = r.as_object().and_then(|m| m.get("arn"))
                && arn.contains(":instance/")
                && let Some((_, id)) = arn.rsplit_once('/')
            {
                push_candidate(&mut out, id);
            }
        }
    }
    for payload in [req, resp].into_iter().flatten() {
        if let Value::Object(m) = payload {
            from_payload(m, &mut out)?;
        }
    }
    Ok(out)
}

fn from_payload(m: &Map, out: &mut Vec<String>) -> Result<(), String> {
    for key in ["instanceId", "target", "resourceId"] {
        if let Some(Value::String(s)) = m.get(key) {
            push_candidate(out, s);
        }
    }
    if let Some(Value::Array(ids)) = m.get("instanceIds") {
        for id in ids {
            if let Value::String(s) = id {
                push_candidate(out, s);
            }
        }
    }
    match m.get("instancesSet") {
        None => {}
        Some(Value::Object(set)) => match set.get("items") {
            None => {}
            Some(Value::Array(items)) => {
                for item in items {
                    if let Some(Value::String(s)) =
                        item.as_object().and_then(|o| o.get("instanceId"))
                    {
                        push_candidate(out, s);
                    }
                }
            }
            Some(other) => {
                return Err(format!(
                    "instancesSet.items is a {} where a list was expected",
                    other.type_name()
                ));
            }
        },
        Some(other) => {
            return Err(format!(
                "instancesSet is a {} where an object was expected",
                other.type_name()
            ));
        }
    }
    Ok(())
}

fn push_candidate(out: &mut Vec<String>, s: &str) {
    if s.starts_with("i-") && s.encode_utf16().count() >= 10 && !out.iter().any(|o| o == s) {
        out.push(s.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse::{ParseOptions, parse};

    fn val(text: &str) -> Value {
        parse(text, &ParseOptions::default()).unwrap_or(Value::Null)
    }

    #[test]
    fn instance_ids_come_from_resources_then_request_then_response() {
        let res = val(
            r#"[{"arn":"arn:aws:ec2:us-east-1:1:instance/i-0000000001"},{"arn":"arn:aws:s3:::b"}]"#,
        );
        let req = val(
            r#"{"instanceId":"i-0000000002","target":"i-short","instanceIds":["i-0000000003",5],
                "instancesSet":{"items":[{"instanceId":"i-0000000004"},"x"]}}"#,
        );
        let resp = val(r#"{"resourceId":"i-0000000001","instanceId":"i-0000000005"}"#);
        assert_eq!(
            instance_ids(Some(&res), Some(&req), Some(&resp)),
            Ok(vec![
                "i-0000000001".to_owned(),
                "i-0000000002".to_owned(),
                "i-0000000003".to_owned(),
                "i-0000000004".to_owned(),
                "i-0000000005".to_owned(),
            ])
        );
    }

    #[test]
    fn a_non_object_instances_set_is_a_script_failure() {
        let req = val(r#"{"instancesSet":"i-0000000004"}"#);
        assert!(instance_ids(None, Some(&req), None).is_err());
    }
}
