//! §2.6 `resources` → `aws.cloudtrail.resources`.
//! CONTRACT (body being written by the payload helper):

use crate::json::Value;

/// Transform `J.resources`: non-list moved unchanged; list: non-objects dropped, `ARN`→`arn`,
/// `accountId`→`account_id`, de-duplicated on `arn_account_id_type`, Java `HashMap` order.
/// `Err(message)` where the reference's script would fail.
pub fn transform(value: Value) -> Result<Value, String> {
    Ok(value)
}
