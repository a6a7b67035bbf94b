//! Writes BENCHMARKS.md from a criterion run, with the wasm guest's peak memory measured now.
//!
//! ```text
//! cargo bench -p cloudtrail-ecs-benches --features vrl --bench decode --bench vrl
//! cargo run --release -p cloudtrail-ecs-benches --features vrl --bin bench-report -- \
//!     --criterion target/criterion --out BENCHMARKS.md
//! ```
//!
//! (`--features vrl` everywhere: it changes feature unification, so mixing builds with and
//! without it recompiles wasmtime.)

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use cloudtrail_ecs_benches::{Input, large, median, s3_meta};
use cloudtrail_ecs_host::{DecodeEngine, WasmConfig, WasmEngine, WasmRuntime};
use cloudtrail_ecs_plugin::api::Options;
use serde_json::Value;

struct Row {
    group: String,
    input: String,
    function: String,
    median_ns: f64,
    bytes: Option<f64>,
    elements: Option<f64>,
}

impl Row {
    fn mb_s(&self) -> Option<f64> {
        self.bytes.map(|b| b / self.median_ns * 1e3)
    }
    fn rec_s(&self) -> Option<f64> {
        self.elements.map(|e| e / self.median_ns * 1e9)
    }
}

fn read_json(p: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()
}

fn collect(dir: &Path, rows: &mut Vec<Row>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if !p.is_dir() {
            continue;
        }
        if p.file_name().is_some_and(|n| n == "new") {
            let (Some(b), Some(est)) = (
                read_json(&p.join("benchmark.json")),
                read_json(&p.join("estimates.json")),
            ) else {
                continue;
            };
            let gid = b["group_id"].as_str().unwrap_or_default();
            let (group, input) = gid.split_once('/').unwrap_or((gid, ""));
            let t = &b["throughput"];
            let (bytes, elements) = if let Some(x) = t.get("ElementsAndBytes") {
                (x["bytes"].as_f64(), x["elements"].as_f64())
            } else {
                (t["Bytes"].as_f64(), t["Elements"].as_f64())
            };
            rows.push(Row {
                group: group.to_owned(),
                input: input.to_owned(),
                function: b["function_id"].as_str().unwrap_or_default().to_owned(),
                median_ns: est["median"]["point_estimate"].as_f64().unwrap_or(f64::NAN),
                bytes,
                elements,
            });
        } else if p.file_name().is_some_and(|n| n != "report" && n != "base") {
            collect(&p, rows);
        }
    }
}

fn peak(engine: &mut WasmEngine, input: &Input, streaming: bool) -> Result<usize, String> {
    let meta = s3_meta();
    let mut opts = Options::default();
    if streaming {
        let mut n = 0u64;
        let mut reader = &input.gz[..];
        engine
            .decode_stream(&mut reader, &meta, &opts, &mut |_| {
                n += 1;
                Ok(())
            })
            .map_err(|e| e.to_string())?;
        if n != input.count() {
            return Err(format!("{n} documents for {} records", input.count()));
        }
    } else {
        opts.limits.max_records_per_call = u64::MAX;
        let b = engine
            .decode_all(&input.gz, &meta, &opts)
            .map_err(|e| e.to_string())?;
        if b.documents.len() as u64 != input.count() {
            return Err(format!(
                "{} documents for {} records",
                b.documents.len(),
                input.count()
            ));
        }
    }
    engine.peak_memory().ok_or_else(|| "no instance".to_owned())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let crit = PathBuf::from(arg("--criterion").unwrap_or_else(|| "target/criterion".into()));
    let out = PathBuf::from(arg("--out").unwrap_or_else(|| "BENCHMARKS.md".into()));

    let mut rows = Vec::new();
    collect(&crit, &mut rows);
    let order = |r: &Row| match r.input.as_str() {
        "small" => 0,
        "median" => 1,
        "large" => 2,
        "firehose" => 3,
        _ => 4,
    };
    rows.sort_by(|a, b| {
        (a.group.as_str(), order(a), a.function.as_str()).cmp(&(
            b.group.as_str(),
            order(b),
            b.function.as_str(),
        ))
    });

    // Guest memory: a fresh instance per measurement (memory only grows).
    let runtime = WasmRuntime::shared().expect("the component compiles");
    let (med, big) = (median(), large());
    let mut mem = Vec::new();
    for (label, input, streaming, cfg) in [
        (
            "median object, `decode` (one call)",
            &med,
            false,
            wasm_cfg(),
        ),
        (
            "large object, streamed in 1 MiB pushes (CLI path)",
            &big,
            true,
            WasmConfig::default(),
        ),
        (
            "large object, `decode` (one call, whole batch)",
            &big,
            false,
            wasm_cfg(),
        ),
    ] {
        let mut e = WasmEngine::new(runtime.clone(), cfg);
        let p = peak(&mut e, input, streaming);
        mem.push((label, input.json.len(), p));
    }

    let find = |g: &str, i: &str, f: &str| {
        rows.iter()
            .find(|r| r.group == g && r.input == i && r.function == f)
    };
    let mut md = String::new();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let _ = writeln!(md, "# Benchmarks\n");
    let _ = writeln!(
        md,
        "Generated by `benches/src/bin/bench-report.rs` from a criterion run; do not edit by hand.\n"
    );
    let _ = writeln!(md, "- Date: {date}");
    let _ = writeln!(
        md,
        "- Machine: {nproc} cores (`nproc`), {cpu}; benches run on one core"
    );
    let _ = writeln!(
        md,
        "- Toolchain: {rustc}; wasmtime 48 (cranelift, `OptLevel::Speed`)"
    );
    let _ = writeln!(
        md,
        "- Inputs (`benches/src/lib.rs`, deterministic): small = one record of {} B; median = {} records, {} B; large = {} records, {} B of JSON ({} B gzipped)",
        rows.iter()
            .find(|r| r.input == "small")
            .and_then(|r| r.bytes)
            .unwrap_or(0.0),
        med.count(),
        med.json.len(),
        big.count(),
        big.json.len(),
        big.gz.len()
    );
    let fh = cloudtrail_ecs_benches::firehose();
    let _ = writeln!(
        md,
        "- Firehose input: one HTTP-endpoint request of {} records (gzipped CloudWatch Logs envelopes) carrying {} CloudTrail events, {} B of event JSON, {} B of request body",
        cloudtrail_ecs_benches::FIREHOSE_RECORDS,
        fh.count(),
        fh.json.len(),
        fh.gz.len()
    );
    if let Some(note) = arg("--note") {
        let _ = writeln!(md, "- Note: {note}");
    }
    let _ = writeln!(md, "- Commands:\n");
    let _ = writeln!(md, "```sh");
    let _ = writeln!(
        md,
        "cargo bench -p cloudtrail-ecs-benches --features vrl --bench decode --bench vrl"
    );
    let _ = writeln!(
        md,
        "cargo run --release -p cloudtrail-ecs-benches --features vrl --bin bench-report -- \\\n    --criterion target/criterion --out BENCHMARKS.md"
    );
    let _ = writeln!(
        md,
        "# without the VRL baseline (faster build): drop `--features vrl` and `--bench vrl`"
    );
    let _ = writeln!(md, "```\n");
    let _ = writeln!(
        md,
        "MB/s is always megabytes (10^6) of *decompressed* CloudTrail JSON per second, also for gunzip and for full decodes of gzipped objects; times are criterion medians. \"Parity\" = the reference configuration (both tags, `event.original` kept, nested output) without enrichment.\n"
    );

    // Targets.
    let _ = writeln!(md, "## Targets\n");
    let _ = writeln!(md, "| target | figure | met |");
    let _ = writeln!(md, "| --- | --- | --- |");
    let native = find("decode_native", "large", "decode");
    let wasm = find("decode_wasm", "large", "decode");
    let wasm_stream = find("decode_wasm", "large", "stream");
    let native_stream = find("decode_native", "large", "stream");
    let vrl = find("vrl", "median", "vrl_program_write");
    let native_med = find("decode_native", "median", "decode");
    if let Some(n) = native {
        let mb = n.mb_s().unwrap_or(0.0);
        let _ = writeln!(
            md,
            "| native full decode ≥ 120 MB/s (large object, parity) | {mb:.0} MB/s, {:.0} records/s | {} |",
            n.rec_s().unwrap_or(0.0),
            yes(mb >= 120.0)
        );
    }
    for (label, w, n) in [
        ("`decode`", wasm, native),
        ("streamed", wasm_stream, native_stream),
    ] {
        if let (Some(w), Some(n)) = (w, n) {
            let ratio = n.median_ns / w.median_ns;
            let _ = writeln!(
                md,
                "| wasm full decode ≥ 0.85× native ({label}, large) | {:.0} vs {:.0} MB/s = {ratio:.2}× | {} |",
                w.mb_s().unwrap_or(0.0),
                n.mb_s().unwrap_or(0.0),
                yes(ratio >= 0.85)
            );
        }
    }
    let wasm_med = find("decode_wasm", "median", "decode");
    match vrl {
        Some(v) => {
            for (label, ours) in [("native", native_med), ("wasm", wasm_med)] {
                let Some(n) = ours else { continue };
                let ratio = v.median_ns
                    / v.elements.unwrap_or(1.0)
                    / (n.median_ns / n.elements.unwrap_or(1.0));
                let _ = writeln!(
                    md,
                    "| ≥ 5× the VRL equivalent (records/s, median object; ours {label} full decode from gzip, VRL on pre-split records) | {:.0} vs {:.0} records/s = {ratio:.1}× | {} |",
                    n.rec_s().unwrap_or(0.0),
                    v.rec_s().unwrap_or(0.0),
                    yes(ratio >= 5.0)
                );
            }
        }
        None => {
            let _ = writeln!(
                md,
                "| ≥ 5× the VRL equivalent | not in this run (`--features vrl --bench vrl`) | – |"
            );
        }
    }
    for (label, bytes, p) in &mem {
        if label.contains("streamed") {
            let _ = writeln!(
                md,
                "| guest peak memory ≤ 64 MiB for the large object ({label}) | {} | {} |",
                mib(p),
                yes(p.as_ref().is_ok_and(|p| *p <= 64 << 20))
            );
            let _ = bytes;
        }
    }
    let _ = writeln!(md, "\n## Guest peak linear memory\n");
    let _ = writeln!(md, "| run | JSON bytes | peak |");
    let _ = writeln!(md, "| --- | ---: | ---: |");
    for (label, bytes, p) in &mem {
        let _ = writeln!(md, "| {label} | {bytes} | {} |", mib(p));
    }

    // One table per group.
    let mut groups: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in &rows {
        groups.entry(r.group.as_str()).or_default().push(r);
    }
    let order = [
        "gunzip",
        "framing",
        "parse",
        "normalize",
        "decode_native",
        "decode_wasm",
        "cold_start",
        "limits",
        "vrl",
    ];
    let mut names: Vec<&str> = groups.keys().copied().collect();
    names.sort_by_key(|n| order.iter().position(|o| o == n).unwrap_or(order.len()));
    for name in names {
        let _ = writeln!(md, "\n## {name}\n");
        let _ = writeln!(md, "{}\n", describe(name));
        let _ = writeln!(md, "| input | bench | time | MB/s | records/s |");
        let _ = writeln!(md, "| --- | --- | ---: | ---: | ---: |");
        for r in &groups[name] {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                if r.input.is_empty() { "–" } else { &r.input },
                r.function,
                time(r.median_ns),
                r.mb_s().map_or("–".into(), |v| format!("{v:.1}")),
                r.rec_s().map_or("–".into(), |v| format!("{v:.0}"))
            );
        }
    }
    std::fs::write(&out, md).expect("write the report");
    eprintln!("wrote {} ({} benchmarks)", out.display(), rows.len());
}

fn wasm_cfg() -> WasmConfig {
    WasmConfig {
        memory_limit: 4 << 30,
        call_deadline: std::time::Duration::from_secs(600),
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "**no**" }
}

fn mib(p: &Result<usize, String>) -> String {
    match p {
        Ok(p) => format!("{:.1} MiB", *p as f64 / f64::from(1 << 20)),
        Err(e) => format!("fails: {e}"),
    }
}

fn time(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn describe(group: &str) -> &'static str {
    match group {
        "gunzip" => {
            "Gzip inflation alone: the plugin's streaming `GzipInflater` (flate2 + zlib-rs, 32 KiB output pieces) against whole-stream baselines."
        }
        "framing" => {
            "Splitting decompressed `{\"Records\":[…]}` into raw records: the plugin's streaming `JsonFramer` (32 KiB pieces) vs serde_json `RawValue` (copied out, as the framer does)."
        }
        "parse" => "Per-record JSON parsing of pre-split records, and parse + write back.",
        "normalize" => {
            "`pipeline::run` on pre-split records (ingest document built per record), alone, with the nested writer, and with enrichment (user agent; GeoIP test databases when `../shared` has them)."
        }
        "decode_native" => {
            "The whole decode natively (mimalloc, as the CLI): `decoder::decode` on the gzipped object (one call) with user-agent parsing (parity: the reference always parses `user_agent.original`; a fresh component instance does the same), with full enrichment (+ GeoIP test databases), and streamed through the host's `NativeEngine` in 1 MiB pushes (default options, user agents parsed)."
        }
        "decode_wasm" => {
            "The same through wasmtime, warm instance (`cloudtrail_ecs_host::WasmEngine`): `decode` (one call, user agents parsed by the instance's default enricher), with full enrichment (`set-enrichment` with the GeoIP test databases), and streamed in 1 MiB pushes. The large object is timed streamed only: one `decode` call would hold its whole batch (≈ 155 MB of documents) in the guest at once (see guest memory for that peak)."
        }
        "cold_start" => {
            "Compiling the component (`WasmRuntime::load`), and a fresh instance plus its first (small) decode."
        }
        "limits" => {
            "The parsers' limits: gunzip (flate2 + zlib-rs) + JSON with each candidate crate, nothing else."
        }
        "vrl" => {
            "A VRL program doing the core envelope mapping (what a Vector user would write), through the `vrl` crate: parse_json + mapping, and + JSON encoding of the result."
        }
        _ => "",
    }
}
