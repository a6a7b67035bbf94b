//! §2.7 ConsoleLogin details: `aws.cloudtrail.console_login.additional_eventdata`.

use super::{Ctx, Step, errors};
use crate::json::{Map, Value};

/// Build the ConsoleLogin details from `J.additionalEventData` (members present only).
pub fn run(ctx: &mut Ctx<'_>) -> Step {
    if ctx.jget(&["eventName"]).and_then(Value::as_str) != Some("ConsoleLogin") {
        return Ok(());
    }
    let data = match ctx.j.get("additionalEventData") {
        None => return Ok(()),
        Some(Value::Object(m)) => m,
        Some(other) => {
            let msg = format!(
                "dynamic getter [{}, MobileVersion] not found",
                other.type_name()
            );
            ctx.field_error("script", errors::TAG_CONSOLE_LOGIN, &msg);
            return Ok(());
        }
    };
    let details = details(data);
    if details.is_empty() {
        return Ok(());
    }
    if let Err(f) = ctx.set(
        "aws.cloudtrail.console_login.additional_eventdata",
        Value::Object(details),
        "script",
        errors::TAG_CONSOLE_LOGIN,
    ) {
        ctx.field_error("script", errors::TAG_CONSOLE_LOGIN, &f.message);
    }
    Ok(())
}

/// `MobileVersion`/`MFAUsed` become booleans (`!= "No"`), `LoginTo` is kept as given.
fn details(data: &Map) -> Map {
    let mut out = Map::new();
    if let Some(v) = data.get("MobileVersion") {
        out.insert("mobile_version", Value::Bool(v.as_str() != Some("No")));
    }
    if let Some(v) = data.get("LoginTo") {
        out.insert("login_to", v.clone());
    }
    if let Some(v) = data.get("MFAUsed") {
        out.insert("mfa_used", Value::Bool(v.as_str() != Some("No")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_true_for_anything_but_no() {
        let data = Map::from_entries(vec![
            ("MobileVersion".into(), Value::str("Yes")),
            ("MFAUsed".into(), Value::str("No")),
        ]);
        let d = details(&data);
        assert_eq!(d.get("mobile_version"), Some(&Value::Bool(true)));
        assert_eq!(d.get("mfa_used"), Some(&Value::Bool(false)));
        assert_eq!(d.get("login_to"), None);
    }
}
