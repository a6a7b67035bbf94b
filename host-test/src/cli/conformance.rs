//! `cloudtrail-ecs conformance`: runs a directory of Elastic pipeline tests
//! (`spec/elastic-parity.md` §1) through an engine and reports strict and core scores (§3).
//!
//! Output (stdout): one status line per fixture (`PASS`, `FAIL`, `FAIL (core ok)`, `SKIP`) and,
//! for each mismatching document, its field-level differences; then a summary. With `--json`
//! the last line is exactly one JSON object:
//! `{"fixtures":N,"fixtures_passed":N,"docs":N,"docs_core_passed":N,"docs_strict_passed":N}`.
//! Exit status: 0 when the run completed, whatever the score; 1 when the fixture directory
//! could not be read or a fixture could not be run (unreadable file, host failure).

use super::EngineArg;
use crate::WasmConfig;
use crate::conformance::{Layout, Score, discover, run_fixture};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `conformance` arguments.
#[derive(Debug, Args)]
pub struct ConformanceArgs {
    /// Fixture directory (default `../shared/conformance/elastic` from the current directory,
    /// else beside the workspace this binary was built in).
    #[arg(long, value_name = "DIR")]
    pub fixtures: Option<PathBuf>,
    /// Directory with GeoLite2-City.mmdb and GeoLite2-ASN.mmdb (default `../shared/geoip-test`,
    /// located like `--fixtures`); used when present and supported by the component.
    #[arg(long, value_name = "DIR")]
    pub geoip: Option<PathBuf>,
    /// Engine running the decoder.
    #[arg(long, value_enum, default_value_t = EngineArg::Wasm)]
    pub engine: EngineArg,
    /// End the output with one JSON line of scores.
    #[arg(long)]
    pub json: bool,
    /// Wasm component to run (default: the one built with this binary).
    #[arg(long, value_name = "PATH")]
    pub component: Option<PathBuf>,
}

/// Finds `../shared/<rel>`: from the current directory, then beside the workspace that holds
/// the executable, then beside the workspace this crate was compiled in.
pub fn locate_shared(rel: &str) -> Option<PathBuf> {
    let mut candidates = vec![PathBuf::from("../shared").join(rel)];
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1) {
            if dir.join("Cargo.toml").is_file() {
                candidates.push(dir.join("../shared").join(rel));
                break;
            }
        }
    }
    candidates.push(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared")
            .join(rel),
    );
    candidates.into_iter().find(|p| p.is_dir())
}

/// Runs `conformance`.
pub fn run(args: &ConformanceArgs) -> ExitCode {
    let Some(dir) = args
        .fixtures
        .clone()
        .or_else(|| locate_shared("conformance/elastic"))
    else {
        eprintln!("cloudtrail-ecs: no fixture directory (give --fixtures DIR)");
        return ExitCode::FAILURE;
    };
    let fixtures = match discover(&dir, Layout::ELASTIC) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("cloudtrail-ecs: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut engine = match crate::engine::build_engine(
        args.engine.into(),
        args.component.as_deref(),
        WasmConfig::default(),
    ) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cloudtrail-ecs: {e}");
            return ExitCode::FAILURE;
        }
    };
    // An enricher is always set (user-agent parsing needs no data); the GeoLite2 databases
    // join it when found.
    let (city, asn) = match args.geoip.clone().or_else(|| locate_shared("geoip-test")) {
        Some(geo) => {
            let dbs = super::read_geoip(&geo);
            if dbs.0.is_none() && dbs.1.is_none() {
                eprintln!("warning: no GeoLite2 databases in {}", geo.display());
            }
            dbs
        }
        None => (None, None),
    };
    if let Err(e) = engine.set_geoip(city, asn) {
        eprintln!(
            "warning: enrichment unavailable ({e}); continuing without it \
             (strict scores will miss source.geo, source.as and parsed user_agent fields)"
        );
        if let Err(e) = engine.set_geoip(None, None) {
            eprintln!("warning: user-agent parsing unavailable too ({e})");
        }
    }
    let mut score = Score::default();
    let mut broken = 0;
    for f in &fixtures {
        let report = run_fixture(engine.as_mut(), f);
        print!("{}", report.render());
        broken += usize::from(report.error.is_some());
        score.add(&report);
    }
    let pct = |n: usize| {
        if score.docs == 0 {
            0.0
        } else {
            100.0 * n as f64 / score.docs as f64
        }
    };
    println!(
        "fixtures: {}/{} passed; documents: {} core passed ({:.1}%), {} strict passed ({:.1}%) of {}",
        score.fixtures_passed,
        score.fixtures,
        score.docs_core_passed,
        pct(score.docs_core_passed),
        score.docs_strict_passed,
        pct(score.docs_strict_passed),
        score.docs
    );
    if args.json {
        println!("{}", score.to_json_line());
    }
    if broken > 0 {
        eprintln!("cloudtrail-ecs: {broken} fixture(s) could not be run");
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
