//! The enricher against every Elastic expected document (`../shared/conformance/elastic`):
//! `source.geo`, `source.as` and the parsed `user_agent` fields, compared as elastic-package
//! compares them (key order ignored, numbers by value, `user_agent.version` only checked
//! against the dynamic-field regex, spec §1.2).

use super::*;
use crate::json::Value;
use crate::json::parse::{ParseOptions, parse};
use std::path::{Path, PathBuf};

fn shared() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: ../shared not found");
        None
    }
}

/// Every expected document, with the file it came from.
fn expected_documents(shared: &Path) -> Vec<(String, Map)> {
    let dir = shared.join("conformance/elastic");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("conformance dir readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with("-expected.json"))
        .collect();
    files.sort();
    let mut docs = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("expected file readable");
        let v = parse(&text, &ParseOptions::default()).expect("expected file is JSON");
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for d in v
            .as_object()
            .and_then(|o| o.get("expected"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(m) = d.as_object() {
                docs.push((name.clone(), m.clone()));
            }
        }
    }
    docs
}

/// elastic-package equality: objects ignore key order, numbers compare by value.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same(v, w))
        }
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn show(v: Option<&Value>) -> String {
    match v {
        None => "absent".to_owned(),
        Some(v) => crate::json::java::to_java_string(v),
    }
}

#[test]
fn geo_and_as_match_every_expected_document() {
    let Some(shared) = shared() else {
        return;
    };
    let read = |n: &str| std::fs::read(shared.join("geoip-test").join(n)).expect("test db");
    let e = Enrichment::new(
        Some(read("GeoLite2-City.mmdb")),
        Some(read("GeoLite2-ASN.mmdb")),
    )
    .expect("test databases load");
    let mut checked = 0;
    let mut diffs = Vec::new();
    for (file, doc) in expected_documents(&shared) {
        let Some(ip) = doc.str_field("source.ip") else {
            continue;
        };
        let addr: IpAddr = ip.parse().expect("expected source.ip is an address");
        for (field, got) in [("source.geo", e.geo(addr)), ("source.as", e.asn(addr))] {
            let got = got.map(Value::Object);
            let want = doc.get_field(field);
            let equal = match (got.as_ref(), want) {
                (Some(g), Some(w)) => same(g, w),
                (None, None) => true,
                _ => false,
            };
            if !equal {
                diffs.push(format!(
                    "{file} {ip} {field}: got {} want {}",
                    show(got.as_ref()),
                    show(want)
                ));
            }
            checked += 1;
        }
    }
    assert!(checked > 0, "no document with source.ip");
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    eprintln!("geo/as: {checked} lookups match");
}

#[test]
fn user_agent_matches_every_expected_document() {
    let Some(shared) = shared() else {
        return;
    };
    // The spec's `^\d+\.\d+(\.|\..*)?$`; elastic-package is Go, whose `\d` is ASCII.
    let version_rule = regex_guest::Regex::new(r"^[0-9]+\.[0-9]+(\.|\..*)?$").expect("spec regex");
    let e = Enrichment::default();
    let mut checked = 0;
    let mut diffs = Vec::new();
    let mut version_notes = Vec::new();
    for (file, doc) in expected_documents(&shared) {
        let Some(Value::Object(want)) = doc.get("user_agent") else {
            continue;
        };
        let Some(original) = want.str_field("original") else {
            continue;
        };
        let mut got = e.user_agent(original).expect("always parsed");
        let mut want = want.clone();
        want.remove("original");
        // Dynamic field: removed from both sides, the actual value checked by the regex.
        let want_version = want.remove("version");
        let got_version = got.remove("version");
        if let Some(v) = got_version.as_ref().and_then(Value::as_str)
            && !version_rule.is_match(v)
        {
            diffs.push(format!(
                "{file} `{original}`: version {v} fails the dynamic regex"
            ));
        }
        if got_version != want_version {
            version_notes.push(format!(
                "{file} `{original}`: version {} (fixture {})",
                show(got_version.as_ref()),
                show(want_version.as_ref())
            ));
        }
        let got = Value::Object(got);
        let want = Value::Object(want);
        if !same(&got, &want) {
            diffs.push(format!(
                "{file} `{original}`:\n   got  {}\n   want {}",
                show(Some(&got)),
                show(Some(&want))
            ));
        }
        checked += 1;
    }
    assert!(checked > 0, "no document with user_agent.original");
    for n in &version_notes {
        eprintln!("version differs from the fixture (not compared): {n}");
    }
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    eprintln!("user_agent: {checked} documents match");
}

#[test]
fn cached_results_equal_uncached_ones() {
    let e = Enrichment::default();
    let long = format!("Firefox/1.0 {}", "x".repeat(MAX_CACHED_AGENT_BYTES));
    let agents = [
        "aws-cli/2.17.60 md/awscrt#0.21.2 ua/2.0 os/macos#23.6.0",
        "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:24.0) Gecko/20100101 Firefox/24.0",
        "signin.amazonaws.com",
        long.as_str(),
    ];
    for round in 0..3 {
        for ua in agents {
            assert_eq!(
                e.user_agent(ua),
                Some(user_agent::parse(ua)),
                "round {round}"
            );
        }
    }
    assert_eq!(e.user_agents.len(), 3, "the long agent is not cached");

    let Some(shared) = shared() else {
        return;
    };
    let read = |n: &str| std::fs::read(shared.join("geoip-test").join(n)).expect("test db");
    let e = Enrichment::new(
        Some(read("GeoLite2-City.mmdb")),
        Some(read("GeoLite2-ASN.mmdb")),
    )
    .expect("test databases load");
    let (city, asn) = (e.city.as_ref().expect("city"), e.asn.as_ref().expect("asn"));
    for round in 0..3 {
        for ip in ["89.160.20.156", "81.2.69.144", "127.0.0.1", "2001:218::1"] {
            let ip: IpAddr = ip.parse().expect("address");
            assert_eq!(e.geo(ip), city.city(ip), "round {round} {ip}");
            assert_eq!(e.asn(ip), asn.asn(ip), "round {round} {ip}");
        }
    }
}

#[test]
fn load_rejects_corrupt_databases_with_the_slot_named() {
    let garbage = b"\x00\x01garbage".repeat(100);
    assert!(matches!(
        load(Some(garbage.clone()), None).err(),
        Some(EnrichmentError::InvalidCityDatabase(_))
    ));
    assert!(matches!(
        load(None, Some(garbage)).err(),
        Some(EnrichmentError::InvalidAsnDatabase(_))
    ));
}

#[test]
fn enricher_without_databases_still_parses_user_agents() {
    let e = default_enricher();
    let ip: IpAddr = "89.160.20.156".parse().expect("address");
    assert_eq!(e.geo(ip), None);
    assert_eq!(e.asn(ip), None);
    let ua = e.user_agent("Go-http-client/1.1").expect("parsed");
    assert_eq!(ua.str_field("name"), Some("Go-http-client"));
    assert_eq!(ua.str_field("version"), Some("1.1"));
}

/// Start-up and per-record costs, for information: `cargo test -p cloudtrail-ecs-plugin
/// --release enrich::tests::timing -- --ignored --nocapture`.
#[test]
#[ignore = "timing report, not a check"]
fn timing() {
    use std::time::Instant;
    let Some(shared) = shared() else {
        return;
    };
    let read = |n: &str| std::fs::read(shared.join("geoip-test").join(n)).expect("test db");
    let (city, asn) = (read("GeoLite2-City.mmdb"), read("GeoLite2-ASN.mmdb"));
    let t = Instant::now();
    let e = Enrichment::new(Some(city), Some(asn)).expect("loads");
    eprintln!("load both test databases: {:?}", t.elapsed());

    let agents: Vec<String> = expected_documents(&shared)
        .iter()
        .filter_map(|(_, d)| d.str_field("user_agent.original").map(str::to_owned))
        .collect();
    let t = Instant::now();
    let _ = user_agent::parse("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/134.0.0.0");
    eprintln!(
        "first user-agent parse (lazy compile of the rules it tries): {:?}",
        t.elapsed()
    );
    let t = Instant::now();
    for a in &agents {
        let _ = user_agent::parse(a);
    }
    eprintln!(
        "first pass over {} fixture agents, uncached (compiles the rest): {:?}",
        agents.len(),
        t.elapsed()
    );
    let rounds = 20;
    let t = Instant::now();
    for _ in 0..rounds {
        for a in &agents {
            let _ = user_agent::parse(a);
        }
    }
    let n = u32::try_from(rounds * agents.len()).unwrap_or(u32::MAX);
    eprintln!("uncached parse, compiled: {:?} per agent", t.elapsed() / n);
    for a in &agents {
        let _ = e.user_agent(a);
    }
    let t = Instant::now();
    for _ in 0..rounds {
        for a in &agents {
            let _ = e.user_agent(a);
        }
    }
    eprintln!("cached parse (hit): {:?} per agent", t.elapsed() / n);

    let ips: Vec<IpAddr> = ["89.160.20.156", "216.160.83.56", "81.2.69.144", "127.0.0.1"]
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    let rounds = 20_000;
    let (city, asn) = (e.city.as_ref().expect("city"), e.asn.as_ref().expect("asn"));
    let t = Instant::now();
    for _ in 0..rounds {
        for ip in &ips {
            let _ = city.city(*ip);
            let _ = asn.asn(*ip);
        }
    }
    let n = u32::try_from(rounds * ips.len()).unwrap_or(u32::MAX);
    eprintln!(
        "geo + asn lookup, uncached: {:?} per address",
        t.elapsed() / n
    );
    let t = Instant::now();
    for _ in 0..rounds {
        for ip in &ips {
            let _ = e.geo(*ip);
            let _ = e.asn(*ip);
        }
    }
    eprintln!(
        "geo + asn lookup, cached: {:?} per address",
        t.elapsed() / n
    );
}
