//! §2.7 Categorisation: `event.kind`, `event.type`, `event.outcome`, `event.category`, from the
//! 91-entry eventName table of `spec/event-categorization.json` (encoded here, sorted by name).

use super::{Ctx, Step, errors};
use crate::json::Value;

/// (eventName, category, types), sorted by eventName for binary search.
const TABLE: [(&str, &str, &[&str]); 91] = [
    ("AddUserToGroup", "iam", &["group", "change"]),
    ("AssumeRole", "authentication", &["info"]),
    ("AttachGroupPolicy", "iam", &["group", "change"]),
    ("AttachRolePolicy", "iam", &["change"]),
    ("AttachUserPolicy", "iam", &["user", "change"]),
    ("AuthorizeSecurityGroupIngress", "network", &["access"]),
    ("ChangePassword", "iam", &["user", "change"]),
    ("ConsoleLogin", "authentication", &["info"]),
    ("Converse", "api", &["info"]),
    ("CreateAccessKey", "iam", &["user", "change"]),
    ("CreateBucket", "file", &["creation"]),
    ("CreateControlChannel", "session", &["start"]),
    ("CreateDataChannel", "session", &["start"]),
    ("CreateDocument", "file", &["creation"]),
    ("CreateGroup", "iam", &["group", "creation"]),
    ("CreateKeyPair", "iam", &["admin", "creation"]),
    ("CreatePolicy", "iam", &["creation"]),
    ("CreateTopic", "configuration", &["creation"]),
    ("CreateUser", "iam", &["user", "creation"]),
    ("CreateVirtualMFADevice", "iam", &["user", "change"]),
    ("DeactivateMFADevice", "iam", &["user", "change"]),
    ("DeleteAccessKey", "iam", &["user", "change"]),
    ("DeleteBucket", "file", &["deletion"]),
    ("DeleteGroup", "iam", &["group", "deletion"]),
    ("DeleteGroupPolicy", "iam", &["group", "change"]),
    ("DeleteObject", "file", &["deletion"]),
    ("DeleteSSHPublicKey", "iam", &["user", "change"]),
    ("DeleteTrail", "configuration", &["deletion"]),
    ("DeleteUser", "iam", &["user", "deletion"]),
    ("DeleteUserPermissionsBoundary", "iam", &["user", "change"]),
    ("DeleteUserPolicy", "iam", &["user", "change"]),
    ("DeleteVirtualMFADevice", "iam", &["user", "change"]),
    ("DescribeDBInstances", "database", &["info"]),
    ("DescribeInstances", "host", &["info"]),
    ("DescribeLoadBalancers", "network", &["info"]),
    ("DescribeNetworkAcls", "network", &["info"]),
    ("DescribeNetworkInterfaces", "network", &["info"]),
    ("DescribeRegions", "api", &["info"]),
    ("DescribeSecurityGroups", "network", &["info"]),
    ("DescribeTrails", "configuration", &["info"]),
    ("DescribeVolumes", "host", &["info"]),
    ("DescribeVpcs", "network", &["info"]),
    ("DetachGroupPolicy", "iam", &["group", "change"]),
    ("DetachUserPolicy", "iam", &["user", "change"]),
    ("EnableMFADevice", "iam", &["user", "change"]),
    ("GetCallerIdentity", "authentication", &["info"]),
    ("GetGroup", "iam", &["group", "info"]),
    ("GetGroupPolicy", "iam", &["group", "info"]),
    ("GetObject", "file", &["info"]),
    ("GetPolicy", "iam", &["info"]),
    ("GetUser", "iam", &["user", "info"]),
    ("GetUserPolicy", "iam", &["user", "info"]),
    ("HeadObject", "file", &["info"]),
    ("ListAttachedGroupPolicies", "iam", &["group", "info"]),
    ("ListAttachedRolePolicies", "iam", &["info"]),
    ("ListAttachedUserPolicies", "iam", &["user", "info"]),
    ("ListBuckets", "file", &["info"]),
    ("ListFunctions", "package", &["info"]),
    ("ListGroupPolicies", "iam", &["group", "info"]),
    ("ListGroups", "iam", &["group", "info"]),
    ("ListGroupsForUser", "iam", &["user", "info"]),
    ("ListInstanceAssociations", "host", &["info"]),
    ("ListObjects", "file", &["info"]),
    ("ListRoles", "iam", &["info"]),
    ("ListTables", "database", &["info"]),
    ("ListUserPolicies", "iam", &["user", "info"]),
    ("ListUserTags", "iam", &["user", "info"]),
    ("ListUsers", "iam", &["user", "info"]),
    ("OpenControlChannel", "session", &["start"]),
    ("OpenDataChannel", "session", &["start"]),
    ("Publish", "api", &["info"]),
    ("PutGroupPolicy", "iam", &["group", "change"]),
    ("PutObject", "file", &["change"]),
    ("PutUserPermissionsBoundary", "iam", &["user", "change"]),
    ("PutUserPolicy", "iam", &["user", "change"]),
    ("RemoveUserFromGroup", "iam", &["group", "change"]),
    ("SendCommand", "process", &["start"]),
    ("SetDefaultPolicyVersion", "iam", &["admin", "change"]),
    (
        "SetSecurityTokenServicePreferences",
        "iam",
        &["admin", "change"],
    ),
    ("StartSession", "session", &["start"]),
    ("Subscribe", "configuration", &["change"]),
    ("TagUser", "iam", &["user", "change"]),
    ("TerminateSession", "session", &["end"]),
    ("UntagUser", "iam", &["user", "change"]),
    ("UpdateAccessKey", "iam", &["user", "change"]),
    ("UpdateAccountPasswordPolicy", "iam", &["admin", "change"]),
    ("UpdateGroup", "iam", &["group", "change"]),
    ("UpdateLoginProfile", "iam", &["user", "change"]),
    ("UpdateRole", "iam", &["admin", "change"]),
    ("UpdateSSHPublicKey", "iam", &["user", "change"]),
    ("UpdateUser", "iam", &["user", "change"]),
];

/// A table entry's (category, types).
pub type Categorization = (&'static str, &'static [&'static str]);

/// The table entry for an eventName.
pub fn lookup(action: &str) -> Option<Categorization> {
    TABLE
        .binary_search_by(|(name, _, _)| (*name).cmp(action))
        .ok()
        .and_then(|i| TABLE.get(i))
        .map(|(_, category, types)| (*category, *types))
}

/// The categorisation script. A failure inside it (a non-string `ConsoleLogin` value, a
/// scalar where an object is written) is a field-level error; what it wrote before stays.
pub fn run(ctx: &mut Ctx<'_>) -> Step {
    if let Err(msg) = categorize(ctx) {
        ctx.field_error("script", errors::TAG_CATEGORIZATION, &msg);
    }
    Ok(())
}

fn categorize(ctx: &mut Ctx<'_>) -> Result<(), String> {
    let set = |ctx: &mut Ctx<'_>, field: &str, v: Value| {
        ctx.set(field, v, "script", errors::TAG_CATEGORIZATION)
            .map_err(|f| f.message)
    };
    set(ctx, "event.kind", Value::str("event"))?;
    set(ctx, "event.type", Value::str_array(["info"]))?;
    let failed = ctx.has("aws.cloudtrail.error_code") || ctx.has("aws.cloudtrail.error_message");
    set(
        ctx,
        "event.outcome",
        Value::str(if failed { "failure" } else { "success" }),
    )?;
    let Some(action) = ctx.doc.get_field("event.action").map(super::render) else {
        return Ok(());
    };
    if action == "ConsoleLogin" {
        let outcome = match ctx.j.get("responseElements") {
            None => None,
            Some(Value::Object(m)) => m.get("ConsoleLogin"),
            Some(other) => {
                return Err(format!(
                    "dynamic getter [{}, ConsoleLogin] not found",
                    other.type_name()
                ));
            }
        };
        match outcome {
            None => {}
            Some(Value::String(s)) => {
                let lower = s.to_lowercase();
                set(ctx, "event.outcome", Value::String(lower))?;
            }
            Some(other) => {
                return Err(format!(
                    "dynamic method [{}, toLowerCase/0] not found",
                    other.type_name()
                ));
            }
        }
    }
    if let Some((category, types)) = lookup(&action) {
        set(ctx, "event.category", Value::str_array([category]))?;
        set(ctx, "event.type", Value::str_array(types.iter().copied()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique_so_binary_search_finds_every_entry() {
        for pair in TABLE.windows(2) {
            if let [a, b] = pair {
                assert!(a.0 < b.0, "{} !< {}", a.0, b.0);
            }
        }
        for (name, category, types) in TABLE {
            assert_eq!(lookup(name), Some((category, types)));
        }
    }

    #[test]
    fn table_rows_from_the_spec_groups() {
        let cases: [(&str, Option<Categorization>); 8] = [
            ("CreateKeyPair", Some(("iam", &["admin", "creation"]))),
            ("ConsoleLogin", Some(("authentication", &["info"]))),
            ("DeleteObject", Some(("file", &["deletion"]))),
            (
                "AuthorizeSecurityGroupIngress",
                Some(("network", &["access"])),
            ),
            ("TerminateSession", Some(("session", &["end"]))),
            ("AuthorizeSecurityGroupEgress", None),
            ("RunInstances", None),
            ("consolelogin", None),
        ];
        for (name, want) in cases {
            assert_eq!(lookup(name), want, "{name}");
        }
    }
}
