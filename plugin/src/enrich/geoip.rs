//! GeoIP City and ASN lookups as Elasticsearch's `geoip` processor does them (spec §2.4, §3).
//!
//! City (default properties): `city_name`, `continent_name`, `country_iso_code`, `country_name`,
//! `location.{lat, lon}` (only when both are known), `region_iso_code` (country ISO code + `-` +
//! ISO code of the *most specific* subdivision, only when both are known) and `region_name`
//! (that subdivision's English name). Names are the English (`en`) ones; the country is the
//! `country` record, not `registered_country`. An address that is not in the database, or whose
//! record yields none of these properties, gives no object at all.
//!
//! ASN (pipeline properties `asn`, `organization_name`, then renamed): `number` (integer) and
//! `organization.name`, each only when present.
//!
//! Databases come from the host as bytes; nothing is read from files. A database that cannot
//! be opened, or is of the wrong type, is rejected at load. A later decoding error (a corrupt
//! record deep in an otherwise valid file) makes that one lookup find nothing; it never panics.

use crate::json::java::double_to_string;
use crate::json::{Map, Number, Value};
use maxminddb::{Reader, geoip2};
use std::net::IpAddr;

/// Which database a slot expects; `database_type` must name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// GeoIP2/GeoLite2 City (or another `*City*` database with the same record layout).
    City,
    /// GeoIP2/GeoLite2 ASN.
    Asn,
}

/// An opened MaxMind database.
pub struct Database {
    reader: Reader<Vec<u8>>,
    kind: Kind,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("kind", &self.kind)
            .field("database_type", &self.reader.metadata().database_type)
            .finish()
    }
}

impl Database {
    /// Open a database from its bytes and check it is of the expected kind. The error text
    /// says what is wrong (for the host's `enrichment-error`).
    pub fn open(bytes: Vec<u8>, kind: Kind) -> Result<Database, String> {
        let reader = Reader::from_source(bytes).map_err(|e| e.to_string())?;
        let db_type = reader.metadata().database_type.as_str();
        let expected = match kind {
            Kind::City => "City",
            Kind::Asn => "ASN",
        };
        if !db_type.contains(expected) {
            return Err(format!(
                "database type `{db_type}` is not a {expected} database"
            ));
        }
        Ok(Database { reader, kind })
    }

    /// The database's `database_type` metadata.
    pub fn database_type(&self) -> &str {
        &self.reader.metadata().database_type
    }

    /// Walk the whole database and decode every record (slow on full-size databases: a
    /// diagnostic, not part of loading).
    pub fn verify(&self) -> Result<(), String> {
        self.reader.verify().map_err(|e| e.to_string())
    }

    /// The `source.geo` object for `ip` (City databases; `None` for an ASN database).
    pub fn city(&self, ip: IpAddr) -> Option<Map> {
        if self.kind != Kind::City {
            return None;
        }
        let record: geoip2::City<'_> = self.reader.lookup(ip).ok()?.decode().ok()??;
        let geo = city_properties(&record);
        (!geo.is_empty()).then_some(geo)
    }

    /// The `source.as` object for `ip` (ASN databases; `None` for a City database).
    pub fn asn(&self, ip: IpAddr) -> Option<Map> {
        if self.kind != Kind::Asn {
            return None;
        }
        let record: geoip2::Asn<'_> = self.reader.lookup(ip).ok()?.decode().ok()??;
        let mut out = Map::with_capacity(2);
        if let Some(n) = record.autonomous_system_number {
            out.insert("number", Value::Number(Number::from(u64::from(n))));
        }
        if let Some(org) = record.autonomous_system_organization {
            let mut o = Map::with_capacity(1);
            o.insert("name", Value::str(org));
            out.insert("organization", Value::Object(o));
        }
        (!out.is_empty()).then_some(out)
    }
}

/// The seven default City properties, in sorted key order.
fn city_properties(r: &geoip2::City<'_>) -> Map {
    let mut geo = Map::with_capacity(7);
    let country_iso = r.country.iso_code;
    let subdivision = r.subdivisions.last();
    if let Some(name) = r.city.names.english {
        geo.insert("city_name", Value::str(name));
    }
    if let Some(name) = r.continent.names.english {
        geo.insert("continent_name", Value::str(name));
    }
    if let Some(iso) = country_iso {
        geo.insert("country_iso_code", Value::str(iso));
    }
    if let Some(name) = r.country.names.english {
        geo.insert("country_name", Value::str(name));
    }
    if let (Some(lat), Some(lon)) = (r.location.latitude, r.location.longitude) {
        let mut loc = Map::with_capacity(2);
        loc.insert("lat", double(lat));
        loc.insert("lon", double(lon));
        geo.insert("location", Value::Object(loc));
    }
    if let (Some(country), Some(sub)) = (country_iso, subdivision.and_then(|s| s.iso_code)) {
        geo.insert("region_iso_code", Value::String(format!("{country}-{sub}")));
    }
    if let Some(name) = subdivision.and_then(|s| s.names.english) {
        geo.insert("region_name", Value::str(name));
    }
    geo
}

/// A Java `Double` as the reference prints it.
fn double(x: f64) -> Value {
    Value::Number(Number::from_literal(&double_to_string(x)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn shared_db(name: &str) -> Option<Vec<u8>> {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/geoip-test")
            .join(name);
        match std::fs::read(&path) {
            Ok(b) => Some(b),
            Err(_) => {
                eprintln!("skipping: ../shared not found ({})", path.display());
                None
            }
        }
    }

    fn open(name: &str, kind: Kind) -> Option<Database> {
        Some(Database::open(shared_db(name)?, kind).expect("test database opens"))
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("valid test address")
    }

    fn render(m: &Map) -> String {
        let mut out = String::new();
        render_into(m, &mut out);
        out
    }

    fn render_into(m: &Map, out: &mut String) {
        out.push('{');
        for (i, (k, v)) in m.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(k);
            out.push(':');
            match v {
                Value::Object(o) => render_into(o, out),
                Value::String(s) => out.push_str(s),
                Value::Number(n) => out.push_str(n.as_str()),
                other => out.push_str(other.type_name()),
            }
        }
        out.push('}');
    }

    #[test]
    fn city_lookup_gives_the_seven_properties_with_the_most_specific_subdivision() {
        let Some(db) = open("GeoLite2-City.mmdb", Kind::City) else {
            return;
        };
        let cases = [
            (
                "89.160.20.156",
                "{city_name:Linköping,continent_name:Europe,country_iso_code:SE,country_name:Sweden,\
                 location:{lat:58.4167,lon:15.6167},region_iso_code:SE-E,region_name:Östergötland County}",
            ),
            (
                "216.160.83.56",
                "{city_name:Milton,continent_name:North America,country_iso_code:US,\
                 country_name:United States,location:{lat:47.2513,lon:-122.3149},\
                 region_iso_code:US-WA,region_name:Washington}",
            ),
            // Two subdivisions (England, West Berkshire): the last one is the region.
            (
                "2.125.160.216",
                "{city_name:Boxford,continent_name:Europe,country_iso_code:GB,\
                 country_name:United Kingdom,location:{lat:51.75,lon:-1.25},\
                 region_iso_code:GB-WBK,region_name:West Berkshire}",
            ),
            // No city, no subdivision.
            (
                "67.43.156.1",
                "{continent_name:Asia,country_iso_code:BT,country_name:Bhutan,\
                 location:{lat:27.5,lon:90.5}}",
            ),
        ];
        for (addr, expected) in cases {
            let got = db.city(ip(addr)).map(|m| render(&m));
            assert_eq!(got.as_deref(), Some(expected), "{addr}");
        }
    }

    #[test]
    fn city_lookup_finds_nothing_for_unknown_and_private_addresses() {
        let Some(db) = open("GeoLite2-City.mmdb", Kind::City) else {
            return;
        };
        for addr in ["127.0.0.1", "10.0.0.1", "::1", "fe80::1"] {
            assert_eq!(db.city(ip(addr)), None, "{addr}");
        }
        assert_eq!(
            db.asn(ip("89.160.20.156")),
            None,
            "a City db answers no ASN"
        );
    }

    #[test]
    fn city_lookup_handles_ipv6() {
        let Some(db) = open("GeoLite2-City.mmdb", Kind::City) else {
            return;
        };
        let geo = db
            .city(ip("2001:218::1"))
            .expect("2001:218::/32 is in the test db");
        assert_eq!(geo.str_field("country_iso_code"), Some("JP"));
        assert!(!geo.contains_key("city_name"));
    }

    #[test]
    fn asn_lookup_gives_number_and_organization_when_present() {
        let Some(db) = open("GeoLite2-ASN.mmdb", Kind::Asn) else {
            return;
        };
        let cases = [
            (
                "89.160.20.156",
                Some("{number:29518,organization:{name:Bredband2 AB}}"),
            ),
            ("216.160.83.56", Some("{number:209}")),
            ("81.2.69.144", None),
            ("127.0.0.1", None),
        ];
        for (addr, expected) in cases {
            let got = db.asn(ip(addr)).map(|m| render(&m));
            assert_eq!(got.as_deref(), expected, "{addr}");
        }
    }

    #[test]
    fn corrupt_or_mismatched_databases_are_rejected_at_open() {
        let Some(city) = shared_db("GeoLite2-City.mmdb") else {
            return;
        };
        let Some(asn) = shared_db("GeoLite2-ASN.mmdb") else {
            return;
        };
        let truncated = city.get(..city.len() / 2).unwrap_or_default().to_vec();
        let cases: [(&str, Vec<u8>, Kind); 6] = [
            ("empty", Vec::new(), Kind::City),
            (
                "garbage",
                b"not a maxmind database at all".repeat(50),
                Kind::City,
            ),
            ("truncated", truncated, Kind::City),
            ("ASN db in the City slot", asn.clone(), Kind::City),
            ("City db in the ASN slot", city.clone(), Kind::Asn),
            (
                "metadata only",
                city.get(city.len().saturating_sub(200)..)
                    .unwrap_or_default()
                    .to_vec(),
                Kind::City,
            ),
        ];
        for (what, bytes, kind) in cases {
            assert!(Database::open(bytes, kind).is_err(), "{what} accepted");
        }
    }

    #[test]
    fn corrupted_data_section_never_panics_lookups() {
        let Some(city) = shared_db("GeoLite2-City.mmdb") else {
            return;
        };
        // Overwrite stretches of the search tree and data section (not the metadata at the
        // end) with noise; whatever opens must answer every lookup without panicking.
        let len = city.len();
        let metadata_start = len.saturating_sub(400);
        for seed in 0u32..40 {
            let mut bytes = city.clone();
            let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
            for _ in 0..64 {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                let pos = usize::try_from(x).unwrap_or(0) % metadata_start;
                if let Some(b) = bytes.get_mut(pos) {
                    *b = u8::try_from(x >> 24).unwrap_or(0);
                }
            }
            if let Ok(db) = Database::open(bytes, Kind::City) {
                for addr in [
                    "89.160.20.156",
                    "216.160.83.56",
                    "2.125.160.216",
                    "2001:218::1",
                ] {
                    let _ = db.city(ip(addr));
                }
            }
        }
    }

    #[test]
    fn test_databases_verify_cleanly() {
        let Some(db) = open("GeoLite2-City.mmdb", Kind::City) else {
            return;
        };
        assert_eq!(db.verify(), Ok(()));
        assert_eq!(db.database_type(), "GeoLite2-City");
    }
}
