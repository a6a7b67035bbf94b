//! Enrichment hooks: GeoIP city/ASN lookups and user-agent parsing (spec §3).
//!
//! The pipeline calls these at the reference's steps (§2.4). Without an enricher, the enriched
//! fields are simply absent.

use crate::json::Map;
use std::net::IpAddr;

/// Lookups the pipeline can ask for. Implementations must never panic on any input.
pub trait Enricher {
    /// `source.geo` properties for an IP (the object put at `source.geo`), or `None` when not found.
    fn geo(&self, ip: IpAddr) -> Option<Map>;
    /// `source.as` properties (`number`, `organization.name`), or `None` when not found.
    fn asn(&self, ip: IpAddr) -> Option<Map>;
    /// Parsed `user_agent` fields other than `original` (`name`, `version`, `os.*`, `device.name`).
    fn user_agent(&self, ua: &str) -> Option<Map>;
}
