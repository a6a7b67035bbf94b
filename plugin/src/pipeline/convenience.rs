//! §2.9 IAM convenience fields, the digest and Insights moves into `aws.cloudtrail.flattened`,
//! and TLS details.

use super::{Ctx, Step};
use crate::json::Value;

/// All of §2.9.
pub fn run(ctx: &mut Ctx<'_>) -> Step {
    let copies: [(&[&str], &str); 5] = [
        (&["responseElements", "group", "groupId"], "group.id"),
        (&["responseElements", "user", "userId"], "user.target.id"),
        (&["requestParameters", "newUserName"], "user.changes.name"),
        (&["requestParameters", "groupName"], "group.name"),
        (&["requestParameters", "userName"], "user.target.name"),
    ];
    for (path, target) in copies {
        let tag = format!("set_{}", target.replace('.', "_"));
        if let Some(v) = ctx.jcond(path, "set", &tag)?.cloned() {
            ctx.set(target, v, "set", &tag)?;
        }
    }
    move_field(
        ctx,
        "aws.cloudtrail.digest",
        "aws.cloudtrail.flattened.digest",
    )?;
    ctx.rename(
        &["insightDetails"],
        "aws.cloudtrail.flattened.insight_details",
    )?;
    tls(ctx)
}

/// A `rename` between two document fields.
fn move_field(ctx: &mut Ctx<'_>, from: &str, to: &str) -> Step {
    let Some(v) = ctx.doc.remove_field(from) else {
        return Ok(());
    };
    ctx.set(to, v, "rename", "rename_aws_cloudtrail_digest_to_flattened")
}

/// Split `TLSv1.2` at the first `v`: (`Some("tls")`, `"1.2"`); no `v`: (`None`, raw).
pub fn split_tls_version(v: &str) -> (Option<String>, &str) {
    match v.split_once('v') {
        Some((protocol, version)) => (Some(protocol.to_lowercase()), version),
        None => (None, v),
    }
}

/// `tlsDetails` → `tls.*` and `aws.cloudtrail.tls_details.key_exchange`.
fn tls(ctx: &mut Ctx<'_>) -> Step {
    let tag = "script_tls_version";
    if let Some(Value::String(v)) = ctx.jcond(&["tlsDetails", "tlsVersion"], "script", tag)?
        && v == "tlsVersion"
    {
        ctx.j.remove("tlsDetails");
        return Ok(());
    }
    match ctx.jget(&["tlsDetails", "tlsVersion"]).cloned() {
        None => {}
        Some(Value::String(v)) => {
            let (protocol, version) = split_tls_version(&v);
            if let Some(p) = protocol {
                ctx.set("tls.version_protocol", Value::String(p), "script", tag)?;
            }
            ctx.set("tls.version", Value::str(version), "script", tag)?;
        }
        Some(other) => ctx.set("tls.version", other, "script", tag)?,
    }
    ctx.rename(&["tlsDetails", "cipherSuite"], "tls.cipher")?;
    ctx.rename(
        &["tlsDetails", "clientProvidedHostHeader"],
        "tls.client.server_name",
    )?;
    ctx.rename(
        &["tlsDetails", "keyExchange"],
        "aws.cloudtrail.tls_details.key_exchange",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_version_splits_at_the_first_v() {
        assert_eq!(split_tls_version("TLSv1.2"), (Some("tls".into()), "1.2"));
        assert_eq!(split_tls_version("TLSv1.3"), (Some("tls".into()), "1.3"));
        assert_eq!(split_tls_version("1.3"), (None, "1.3"));
        assert_eq!(split_tls_version("v2"), (Some(String::new()), "2"));
    }
}
