//! Enrichment hooks: GeoIP city/ASN lookups and user-agent parsing (spec §3).
//!
//! The pipeline calls these at the reference's steps (§2.4). User-agent parsing needs no host
//! data and is always available; the GeoIP properties appear only when the host supplied the
//! databases (`set-enrichment`), otherwise they are simply absent.

#[cfg(test)]
mod atoms;
pub mod cache;
pub mod geoip;
#[cfg(test)]
mod java_regex;
pub mod user_agent;

use crate::api::EnrichmentError;
use crate::json::Map;
use cache::Cache;
use geoip::{Database, Kind};
use std::net::IpAddr;
use std::sync::Arc;

/// Lookups the pipeline can ask for. Implementations must never panic on any input.
pub trait Enricher {
    /// `source.geo` properties for an IP (the object put at `source.geo`), or `None` when not found.
    fn geo(&self, ip: IpAddr) -> Option<Map>;
    /// `source.as` properties (`number`, `organization.name`), or `None` when not found.
    fn asn(&self, ip: IpAddr) -> Option<Map>;
    /// Parsed `user_agent` fields other than `original` (`name`, `version`, `os.*`, `device.name`).
    fn user_agent(&self, ua: &str) -> Option<Map>;
}

/// Agents longer than this are parsed every time rather than pinning large strings in the cache.
const MAX_CACHED_AGENT_BYTES: usize = 2048;

/// The enricher the component uses: the host's GeoIP databases (each optional) and the
/// Elasticsearch user-agent parser, each with a small cache of recent results.
#[derive(Default)]
pub struct Enrichment {
    city: Option<Database>,
    asn: Option<Database>,
    geo_cache: Cache<IpAddr, Option<Map>>,
    asn_cache: Cache<IpAddr, Option<Map>>,
    user_agents: Cache<Box<str>, Map>,
}

impl Enrichment {
    /// Open the databases the host supplied. A database that cannot be opened, or is of the
    /// wrong kind, is an error now rather than a failure at lookup time.
    pub fn new(city: Option<Vec<u8>>, asn: Option<Vec<u8>>) -> Result<Enrichment, EnrichmentError> {
        let city = city
            .map(|b| Database::open(b, Kind::City))
            .transpose()
            .map_err(EnrichmentError::InvalidCityDatabase)?;
        let asn = asn
            .map(|b| Database::open(b, Kind::Asn))
            .transpose()
            .map_err(EnrichmentError::InvalidAsnDatabase)?;
        Ok(Enrichment {
            city,
            asn,
            ..Enrichment::default()
        })
    }
}

impl Enricher for Enrichment {
    fn geo(&self, ip: IpAddr) -> Option<Map> {
        let db = self.city.as_ref()?;
        self.geo_cache
            .get_or_compute(&ip, |ip| *ip, |ip| db.city(*ip))
    }

    fn asn(&self, ip: IpAddr) -> Option<Map> {
        let db = self.asn.as_ref()?;
        self.asn_cache
            .get_or_compute(&ip, |ip| *ip, |ip| db.asn(*ip))
    }

    fn user_agent(&self, ua: &str) -> Option<Map> {
        Some(if ua.len() > MAX_CACHED_AGENT_BYTES {
            user_agent::parse(ua)
        } else {
            self.user_agents
                .get_or_compute(ua, |k: &str| Box::from(k), user_agent::parse)
        })
    }
}

/// The component's `set-enrichment`: an enricher with the given databases (user-agent parsing
/// included).
pub fn load(
    city: Option<Vec<u8>>,
    asn: Option<Vec<u8>>,
) -> Result<Arc<dyn Enricher + Send + Sync>, EnrichmentError> {
    Ok(Arc::new(Enrichment::new(city, asn)?))
}

/// The enricher before (or without) `set-enrichment`: user-agent parsing only, as the
/// reference always parses `user_agent.original`.
pub fn default_enricher() -> Arc<dyn Enricher + Send + Sync> {
    Arc::new(Enrichment::default())
}

#[cfg(test)]
mod tests;
