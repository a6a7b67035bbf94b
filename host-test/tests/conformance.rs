//! Conformance through the wasm component: one trial per fixture file.
//!
//! - `elastic::<test-x.log>`: Elastic's `aws.cloudtrail` pipeline tests read from
//!   `../shared/conformance/elastic` (beside the repository, never copied into it), framed and
//!   compared as `spec/elastic-parity.md` §1 says. A trial passes when every document is equal in
//!   the **core** view (§3: without `source.geo.*`, `source.as.*`, parsed `user_agent.*`);
//!   `CONFORMANCE_STRICT=1` requires strict equality (GeoIP databases from
//!   `../shared/geoip-test` are loaded when the component accepts them). When `../shared` is
//!   absent a single ignored trial `shared_fixtures_absent` says so.
//! - `golden::<case.log>`: our own cases in `tests/golden/` (see `tests/README.md`), compared
//!   strictly; `BLESS=1` rewrites their `.expected.json` files from the actual output.
//!
//! The component is compiled once and shared; each trial gets its own instance.

use cloudtrail_ecs_host::compare::to_sorted_pretty;
use cloudtrail_ecs_host::conformance::{
    Fixture, FixtureReport, Layout, actual_documents, discover, run_fixture,
};
use cloudtrail_ecs_host::{DecodeEngine, WasmConfig, WasmEngine, WasmRuntime};
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::{Path, PathBuf};

fn env_on(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

fn engine() -> Result<WasmEngine, Failed> {
    let runtime = WasmRuntime::shared().map_err(|e| Failed::from(e.to_string()))?;
    Ok(WasmEngine::new(runtime, WasmConfig::default()))
}

fn shared_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn elastic_trial(fixture: &Fixture, strict: bool) -> Result<(), Failed> {
    let mut engine = engine()?;
    // User-agent parsing is always on; GeoIP only for strict runs.
    let (city, asn) = if strict {
        (
            std::fs::read(shared_dir().join("geoip-test/GeoLite2-City.mmdb")).ok(),
            std::fs::read(shared_dir().join("geoip-test/GeoLite2-ASN.mmdb")).ok(),
        )
    } else {
        (None, None)
    };
    if let Err(e) = engine.set_geoip(city, asn) {
        eprintln!("warning: enrichment unavailable: {e}");
    }
    let report = run_fixture(&mut engine, fixture);
    let ok = if strict {
        report.passed()
    } else {
        report.core_passed_all()
    };
    if ok {
        if !report.passed() {
            // Strict differences are reported, not required (enrichment pending).
            println!(
                "note: {} is core-equal; strict {}/{}",
                report.name,
                report.strict_passed(),
                report.expected_count
            );
        }
        Ok(())
    } else {
        Err(report.render().into())
    }
}

fn golden_trial(fixture: &Fixture) -> Result<(), Failed> {
    let mut engine = engine()?;
    // An enricher without databases: user-agent parsing on, no GeoIP (deterministic).
    engine
        .set_geoip(None, None)
        .map_err(|e| Failed::from(e.to_string()))?;
    if env_on("BLESS") {
        let (docs, _, _) =
            actual_documents(&mut engine, fixture).map_err(|e| Failed::from(e.to_string()))?;
        let text = to_sorted_pretty(&serde_json::json!({ "expected": docs }));
        std::fs::write(&fixture.expected, text).map_err(|e| Failed::from(e.to_string()))?;
        return Ok(());
    }
    if !fixture.expected.is_file() {
        return Err(format!(
            "{} has no expected file {}; create it with \
             `BLESS=1 cargo test -p cloudtrail-ecs-host --test conformance golden::`",
            fixture.name,
            fixture.expected.display()
        )
        .into());
    }
    let report = run_fixture(&mut engine, fixture);
    if report.passed() {
        return Ok(());
    }
    Err(golden_failure(&mut engine, fixture, &report).into())
}

/// The field-level report, then a unified diff of the pretty-printed documents, then the hint.
fn golden_failure(
    engine: &mut dyn DecodeEngine,
    fixture: &Fixture,
    report: &FixtureReport,
) -> String {
    let mut msg = report.render();
    let expected = std::fs::read_to_string(&fixture.expected).unwrap_or_default();
    if let Ok((docs, _, _)) = actual_documents(engine, fixture) {
        let actual = to_sorted_pretty(&serde_json::json!({ "expected": docs }));
        let diff = similar::TextDiff::from_lines(&expected, &actual);
        msg.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header("expected", "actual")
                .to_string(),
        );
    }
    msg.push_str(
        "\nif the new output is right, bless it: \
         BLESS=1 cargo test -p cloudtrail-ecs-host --test conformance golden::\n",
    );
    msg
}

fn main() {
    let args = Arguments::from_args();
    let strict = env_on("CONFORMANCE_STRICT");
    let mut trials = Vec::new();

    let elastic = shared_dir().join("conformance/elastic");
    if elastic.is_dir() {
        match discover(&elastic, Layout::ELASTIC) {
            Ok(fixtures) => {
                for f in fixtures {
                    let ignored = f.config.skip.is_some();
                    trials.push(
                        Trial::test(format!("elastic::{}", f.name), move || {
                            elastic_trial(&f, strict)
                        })
                        .with_ignored_flag(ignored),
                    );
                }
            }
            Err(e) => trials.push(Trial::test("elastic::discover", move || Err(e.into()))),
        }
    } else {
        println!("skipping: ../shared not found ({})", elastic.display());
        trials.push(Trial::test("shared_fixtures_absent", || Ok(())).with_ignored_flag(true));
    }

    match discover(&golden_dir(), Layout::GOLDEN) {
        Ok(fixtures) => {
            for f in fixtures {
                trials.push(Trial::test(format!("golden::{}", f.name), move || {
                    golden_trial(&f)
                }));
            }
        }
        Err(e) => trials.push(Trial::test("golden::discover", move || Err(e.into()))),
    }

    libtest_mimic::run(&args, trials).exit();
}
