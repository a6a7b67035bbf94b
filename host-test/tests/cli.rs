//! The `cloudtrail-ecs` binary end to end: the repository's sample and every S3 object under
//! `../shared/samples/constructed/{s3,s3-variants}` decode to one valid JSON line per record
//! (records counted independently here), the summary balances, and the wasm and native engines
//! write byte-identical output.

use flate2::read::MultiGzDecoder;
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const RECEIVED: &str = "2024-05-01T12:00:00.000Z";

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cloudtrail-ecs"))
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The repository sample plus the shared S3 objects (when `../shared` is present).
fn inputs() -> Vec<PathBuf> {
    let mut files = vec![workspace().join("samples/cloudtrail-sample.json.gz")];
    let constructed = workspace().join("../shared/samples/constructed");
    if constructed.is_dir() {
        for sub in ["s3", "s3-variants"] {
            collect(&constructed.join(sub), &mut files);
        }
    } else {
        println!("skipping shared inputs: ../shared not found");
    }
    files.sort();
    files
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Records in an S3 object, counted without the component: gzip (any members) or plain, then
/// every JSON value: a `Records` array counts its elements, any other object (digest) is one.
fn independent_record_count(path: &Path) -> usize {
    let raw = std::fs::read(path).expect("read input");
    let data = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut v = Vec::new();
        MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut v)
            .expect("gunzip");
        v
    } else {
        raw
    };
    serde_json::Deserializer::from_slice(&data)
        .into_iter::<Value>()
        .map(|v| {
            let v = v.expect("valid JSON input");
            match v.get("Records") {
                Some(Value::Array(a)) => a.len(),
                _ => 1,
            }
        })
        .sum()
}

fn decode(engine: &str, files: &[PathBuf]) -> Output {
    let out = bin()
        .args(["decode", "--engine", engine, "--received", RECEIVED])
        .args(files)
        .output()
        .expect("run cloudtrail-ecs");
    assert!(
        out.status.success(),
        "{engine}: exit {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `records N, documents N, error documents N, skipped N` of a summary line.
fn summary_counts(line: &str) -> [u64; 4] {
    let num = |label: &str| -> u64 {
        let rest = &line[line
            .find(label)
            .unwrap_or_else(|| panic!("{label} in {line}"))
            + label.len()..];
        rest.trim_start()
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("number after {label} in {line}"))
    };
    [
        num("records"),
        num(" documents"),
        num("error documents"),
        num("skipped"),
    ]
}

#[test]
fn every_record_becomes_one_json_line_and_the_summary_balances() {
    let files = inputs();
    let out = decode("wasm", &files);
    let stdout = String::from_utf8(out.stdout).expect("utf-8 output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut expected_total = 0;
    for f in &files {
        let want = independent_record_count(f);
        expected_total += want;
        let prefix = format!("{}: ", f.display());
        let line = stderr
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no summary for {}:\n{stderr}", f.display()));
        let [records, docs, errors, skipped] = summary_counts(&line[prefix.len()..]);
        assert_eq!(records as usize, want, "{line}");
        assert_eq!(records, docs + errors + skipped, "unbalanced: {line}");
        assert!(line.ends_with("stopped: no"), "{line}");
    }
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), expected_total);
    for l in lines {
        let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
        assert!(v.is_object(), "{l}");
    }
}

#[test]
fn wasm_and_native_engines_write_identical_bytes() {
    let files = inputs();
    let wasm = decode("wasm", &files);
    let native = decode("native", &files);
    assert!(!wasm.stdout.is_empty());
    if wasm.stdout != native.stdout {
        let (w, n) = (
            String::from_utf8_lossy(&wasm.stdout),
            String::from_utf8_lossy(&native.stdout),
        );
        let first = w
            .lines()
            .zip(n.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "outputs differ at line {first}:\nwasm:   {}\nnative: {}",
            w.lines().nth(first).unwrap_or(""),
            n.lines().nth(first).unwrap_or("")
        );
    }
    assert_eq!(wasm.stderr, native.stderr, "summaries differ");
}

#[test]
fn stdin_is_read_with_a_dash_and_unreadable_files_fail() {
    let sample = workspace().join("samples/cloudtrail-sample.json.gz");
    let from_file = decode("native", std::slice::from_ref(&sample));
    let piped = bin()
        .args([
            "decode",
            "--engine",
            "native",
            "--received",
            RECEIVED,
            "--key",
        ])
        .arg("AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/x.json.gz")
        .arg("-")
        .stdin(std::fs::File::open(&sample).expect("sample"))
        .output()
        .expect("run");
    assert!(piped.status.success());
    assert_eq!(
        String::from_utf8_lossy(&from_file.stdout).lines().count(),
        String::from_utf8_lossy(&piped.stdout).lines().count()
    );

    let missing = bin()
        .args([
            "decode",
            "--engine",
            "native",
            "/nonexistent/cloudtrail.json.gz",
        ])
        .output()
        .expect("run");
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("failed: i/o error"));
}

#[test]
fn conformance_json_ends_with_the_score_object() {
    let fixtures = workspace().join("../shared/conformance/elastic");
    if !fixtures.is_dir() {
        println!("skipping: ../shared not found");
        return;
    }
    let out = bin()
        .args(["conformance", "--engine", "native", "--json", "--fixtures"])
        .arg(&fixtures)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last: Value = serde_json::from_str(stdout.lines().last().expect("output")).expect("json");
    let keys: Vec<&str> = last
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "docs",
            "docs_core_passed",
            "docs_strict_passed",
            "fixtures",
            "fixtures_passed"
        ]
    );
    let logs = std::fs::read_dir(&fixtures)
        .expect("fixtures")
        .flatten()
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with("test-") && n.ends_with(".log")
        })
        .count();
    assert_eq!(last["fixtures"].as_u64(), Some(logs as u64));
}
