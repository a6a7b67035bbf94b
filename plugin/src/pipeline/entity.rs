//! §2.2 Entity extraction (`related.entity`, `*.entity.id`, `*.target.*`, `host.target.id`).
//! CONTRACT (body being written by the entity helper):

use crate::json::{Map, Value};

/// Run §2.2 on the raw record `j` (after the pre-clean, before any rename).
/// Returns the output fields to set, as (dotted output path, value), in the order to set them;
/// `Err(message)` when the reference's script would throw (then no entity field is written).
pub fn extract(j: &Map) -> Result<Vec<(&'static str, Value)>, String> {
    let _ = j;
    Ok(Vec::new())
}
