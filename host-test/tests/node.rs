//! The second host: `host-test/node` runs the same component through jco in Node.js
//! (`npm run decode`), and its stdout is byte-identical to `cloudtrail-ecs decode`'s — and its
//! per-file summaries equal — on the repository sample and every S3 object, S3 variant and
//! Firehose sample under `../shared/samples/constructed/`, with default and non-default options.
//!
//! Needs `node`, `npm` and `npm ci --prefix host-test/node`. Without them the test prints
//! "skipping" — except under CI (`CI` set), where a missing Node host fails the test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const RECEIVED: &str = "2024-05-01T12:00:00.000Z";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("workspace")
}

/// `Some(reason)` when the Node host cannot run here.
fn node_missing() -> Option<String> {
    for tool in ["node", "npm"] {
        let ok = Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            return Some(format!("`{tool}` not found"));
        }
    }
    let jco = workspace().join("host-test/node/node_modules/@bytecodealliance/jco");
    (!jco.is_dir()).then(|| {
        "host-test/node/node_modules is missing (run `npm ci --prefix host-test/node`)".to_owned()
    })
}

/// True when the test may run; under CI a missing Node host is a failure, not a skip.
fn node_ready() -> bool {
    match node_missing() {
        None => true,
        Some(why) if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) => {
            panic!("CI is set but the Node host cannot run: {why}")
        }
        Some(why) => {
            println!("skipping the Node host comparison: {why}");
            false
        }
    }
}

/// Repository-relative paths of the inputs (so both hosts see the same path strings).
fn inputs() -> Vec<String> {
    let root = workspace();
    let mut files = vec![PathBuf::from("samples/cloudtrail-sample.json.gz")];
    let constructed = root.join("../shared/samples/constructed");
    if constructed.is_dir() {
        for sub in ["s3", "s3-variants", "firehose"] {
            collect(&constructed.join(sub), &mut files);
        }
    } else {
        println!("skipping shared inputs: ../shared not found");
    }
    let mut files: Vec<String> = files
        .into_iter()
        .map(|p| {
            p.strip_prefix(&root)
                .map(Path::to_path_buf)
                .unwrap_or(p)
                .to_string_lossy()
                .into_owned()
        })
        .collect();
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

fn rust_decode(args: &[&str], files: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cloudtrail-ecs"))
        .current_dir(workspace())
        .args(["decode", "--received", RECEIVED])
        .args(args)
        .args(files)
        .output()
        .expect("run cloudtrail-ecs")
}

fn node_decode(args: &[&str], files: &[String]) -> Output {
    Command::new("npm")
        .current_dir(workspace())
        .args([
            "--prefix",
            "host-test/node",
            "run",
            "--silent",
            "decode",
            "--",
        ])
        .args(["--component", cloudtrail_ecs_host::PLUGIN_COMPONENT])
        .args(["--received", RECEIVED])
        .args(args)
        .args(files)
        .output()
        .expect("run npm run decode")
}

/// The per-file and total summary lines of a run's stderr.
fn summaries(stderr: &[u8], files: &[String]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| {
            l.starts_with("total (") || files.iter().any(|f| l.starts_with(&format!("{f}: ")))
        })
        .map(str::to_owned)
        .collect()
}

fn assert_same(args: &[&str], files: &[String]) {
    let rust = rust_decode(args, files);
    let node = node_decode(args, files);
    assert!(
        rust.status.success(),
        "cloudtrail-ecs {args:?} failed:\n{}",
        String::from_utf8_lossy(&rust.stderr)
    );
    assert!(
        node.status.success(),
        "npm run decode {args:?} failed:\n{}",
        String::from_utf8_lossy(&node.stderr)
    );
    assert!(!rust.stdout.is_empty(), "{args:?}: no output at all");
    if rust.stdout != node.stdout {
        let (r, n) = (
            String::from_utf8_lossy(&rust.stdout),
            String::from_utf8_lossy(&node.stdout),
        );
        let (rl, nl): (Vec<&str>, Vec<&str>) = (r.lines().collect(), n.lines().collect());
        let first = (0..rl.len().max(nl.len())).find(|&i| rl.get(i) != nl.get(i));
        panic!(
            "{args:?}: outputs differ ({} vs {} lines); first differing line {first:?}:\nrust: {}\nnode: {}",
            rl.len(),
            nl.len(),
            first.and_then(|i| rl.get(i)).unwrap_or(&""),
            first.and_then(|i| nl.get(i)).unwrap_or(&""),
        );
    }
    let (rs, ns) = (
        summaries(&rust.stderr, files),
        summaries(&node.stderr, files),
    );
    assert_eq!(rs.len(), files.len() + 1, "a summary per file and a total");
    assert_eq!(rs, ns, "{args:?}: summaries differ");
}

#[test]
fn node_host_output_is_byte_identical_to_the_rust_host() {
    if !node_ready() {
        return;
    }
    let files = inputs();
    assert_same(&[], &files);
}

#[test]
fn node_host_passes_options_and_filters_like_the_rust_host() {
    if !node_ready() {
        return;
    }
    let files = vec!["samples/cloudtrail-sample.json.gz".to_owned()];
    assert_same(
        &[
            "--format",
            "flat",
            "--namespace",
            "prod",
            "--retain",
            "minimal",
            "--no-entity-mapping",
            "--bucket",
            "trail-bucket",
            "--key",
            "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/29/f.json.gz",
            "--include-source",
            "iam.amazonaws.com,signin.amazonaws.com,ec2.amazonaws.com",
            "--exclude-event",
            "RunInstances",
            "--read-only",
            "false",
        ],
        &files,
    );
}
