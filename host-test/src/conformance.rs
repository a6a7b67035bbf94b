//! The pipeline-test runner of `spec/elastic-parity.md` §1: finds fixtures, merges their YAML
//! configs (§1.2), frames lines like Go's `bufio.ScanLines` (§1.1), builds the decode request
//! (§1.3), decodes each fixture in one call and compares per §1.4, scoring strict and core (§3).
//!
//! Nothing here knows any fixture by name: any directory with the same layout works, including
//! our own goldens (`host-test/tests/golden/`, [`Layout::GOLDEN`]).

use crate::HostError;
use crate::compare::{DocComparison, DynamicField, compare_docs};
use crate::engine::DecodeEngine;
use cloudtrail_ecs_plugin::api::{DecodeError, InputMode, Options, SourceMeta};
use regex::Regex;
use serde_json::{Map, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// File naming of a fixture directory.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    /// Input files start with this (may be empty).
    pub log_prefix: &'static str,
    /// Input files end with this.
    pub log_suffix: &'static str,
    /// Expected file = input file name (suffix stripped when `strip_log_suffix`) + this.
    pub expected_suffix: &'static str,
    /// Per-test config = input file name (same rule) + this.
    pub config_suffix: &'static str,
    /// Whether the expected/config names drop the input's `log_suffix` first.
    pub strip_log_suffix: bool,
    /// Config applied to every test, below the per-test one.
    pub common_config: &'static str,
}

impl Layout {
    /// Elastic's `_dev/test/pipeline/` layout: `test-x.log`, `test-x.log-expected.json`,
    /// `test-x.log-config.yml`, `test-common-config.yml`.
    pub const ELASTIC: Layout = Layout {
        log_prefix: "test-",
        log_suffix: ".log",
        expected_suffix: "-expected.json",
        config_suffix: "-config.yml",
        strip_log_suffix: false,
        common_config: "test-common-config.yml",
    };

    /// Our goldens: `case.log`, `case.expected.json`, `case.config.yml`, `common-config.yml`.
    pub const GOLDEN: Layout = Layout {
        log_prefix: "",
        log_suffix: ".log",
        expected_suffix: ".expected.json",
        config_suffix: ".config.yml",
        strip_log_suffix: true,
        common_config: "common-config.yml",
    };

    fn sibling(&self, log_name: &str, suffix: &str) -> String {
        let base = if self.strip_log_suffix {
            log_name.strip_suffix(self.log_suffix).unwrap_or(log_name)
        } else {
            log_name
        };
        format!("{base}{suffix}")
    }
}

/// A fixture's merged configuration.
#[derive(Clone, Debug, Default)]
pub struct TestConfig {
    /// `fields`, flattened to dotted keys (leaves are non-object values).
    pub fields: Vec<(String, Value)>,
    /// `dynamic_fields`.
    pub dynamic_fields: Vec<DynamicField>,
    /// `skip.reason` (or a generic text) when the test is skipped.
    pub skip: Option<String>,
}

/// One test case.
#[derive(Clone, Debug)]
pub struct Fixture {
    /// Input file name (`test-x.log`).
    pub name: String,
    /// Input path.
    pub log: PathBuf,
    /// Expected-output path (may not exist yet for unblessed goldens).
    pub expected: PathBuf,
    /// Merged config.
    pub config: TestConfig,
}

/// Lists the fixtures of `dir`, sorted by name, with their merged configs.
pub fn discover(dir: &Path, layout: Layout) -> Result<Vec<Fixture>, String> {
    let rd = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with(layout.log_prefix) && n.ends_with(layout.log_suffix))
        .collect();
    names.sort();
    let common = load_yaml_if_exists(&dir.join(layout.common_config))?;
    names
        .into_iter()
        .map(|name| {
            let per_test =
                load_yaml_if_exists(&dir.join(layout.sibling(&name, layout.config_suffix)))?;
            let mut merged = common.clone();
            merge(&mut merged, per_test);
            let config = parse_config(&merged).map_err(|e| format!("{name}: config: {e}"))?;
            Ok(Fixture {
                log: dir.join(&name),
                expected: dir.join(layout.sibling(&name, layout.expected_suffix)),
                name,
                config,
            })
        })
        .collect()
}

fn load_yaml_if_exists(path: &Path) -> Result<Value, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let v: Value =
                serde_yaml_ng::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(if v.is_null() {
                Value::Object(Map::new())
            } else {
                v
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Value::Object(Map::new())),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Recursive map merge; `top` wins; non-map values (lists included) are replaced.
pub fn merge(base: &mut Value, top: Value) {
    match (base, top) {
        (Value::Object(b), Value::Object(t)) => {
            for (k, v) in t {
                match b.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, t) => *b = t,
    }
}

fn flatten_into(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten_into(&p, child, out);
            }
        }
        other => out.push((prefix.to_owned(), other.clone())),
    }
}

/// Reads `fields`, `dynamic_fields` and `skip` from a merged config.
pub fn parse_config(v: &Value) -> Result<TestConfig, String> {
    let mut cfg = TestConfig::default();
    if let Some(fields) = v.get("fields") {
        if !fields.is_object() {
            return Err("`fields` is not a map".into());
        }
        flatten_into("", fields, &mut cfg.fields);
    }
    if let Some(dynamic) = v.get("dynamic_fields") {
        let Value::Object(m) = dynamic else {
            return Err("`dynamic_fields` is not a map".into());
        };
        for (path, pattern) in m {
            let pattern = pattern
                .as_str()
                .ok_or_else(|| format!("dynamic field {path}: pattern is not a string"))?;
            let pattern = Regex::new(pattern).map_err(|e| format!("dynamic field {path}: {e}"))?;
            cfg.dynamic_fields.push(DynamicField {
                path: path.clone(),
                pattern,
            });
        }
    }
    if let Some(skip) = v.get("skip").filter(|s| !s.is_null()) {
        cfg.skip = Some(
            skip.get("reason")
                .and_then(Value::as_str)
                .unwrap_or("skipped by config")
                .to_owned(),
        );
    }
    Ok(cfg)
}

/// The request of §1.3: `@timestamp` → `received`, `tags` → tags, `_conf.retain` → retain,
/// every other field → `extra_fields`; no namespace, no bucket or key; `MessageLines`.
pub fn request(cfg: &TestConfig) -> (SourceMeta, Options) {
    let mut meta = SourceMeta::default();
    let mut options = Options {
        input_mode: InputMode::MessageLines,
        tags: Vec::new(),
        ..Options::default()
    };
    let mut extra = Map::new();
    for (k, v) in &cfg.fields {
        match k.as_str() {
            "@timestamp" => {
                meta.received = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                }
            }
            "tags" => {
                options.tags = match v {
                    Value::Array(a) => a
                        .iter()
                        .map(|t| t.as_str().map_or_else(|| t.to_string(), str::to_owned))
                        .collect(),
                    Value::String(s) => vec![s.clone()],
                    _ => Vec::new(),
                }
            }
            "_conf.retain" => {
                options.retain = Some(match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
            }
            _ => {
                extra.insert(k.clone(), v.clone());
            }
        }
    }
    if !extra.is_empty() {
        options.extra_fields = Some(Value::Object(extra).to_string());
    }
    (meta, options)
}

/// Number of events `bufio.Scanner` with `ScanLines` yields: split on `\n`; a final `\n` does
/// not start another line.
pub fn count_lines(input: &[u8]) -> usize {
    let newlines = input.iter().filter(|&&b| b == b'\n').count();
    if input.is_empty() || input.ends_with(b"\n") {
        newlines
    } else {
        newlines + 1
    }
}

/// Why a fixture could not be run.
#[derive(Debug)]
pub enum RunError {
    /// A fixture file is missing or unreadable or not the expected shape.
    Input(String),
    /// The engine failed (trap, limits, configuration).
    Host(HostError),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Input(s) => f.write_str(s),
            RunError::Host(e) => write!(f, "{e}"),
        }
    }
}

/// Decodes a fixture's input in one call and parses the documents.
pub fn actual_documents(
    engine: &mut dyn DecodeEngine,
    fixture: &Fixture,
) -> Result<(Vec<Value>, usize, Option<DecodeError>), RunError> {
    let input = std::fs::read(&fixture.log)
        .map_err(|e| RunError::Input(format!("{}: {e}", fixture.log.display())))?;
    let (meta, options) = request(&fixture.config);
    let batch = engine
        .decode_all(&input, &meta, &options)
        .map_err(RunError::Host)?;
    let docs = batch
        .documents
        .iter()
        .map(|d| {
            serde_json::from_str(&d.json).map_err(|e| {
                RunError::Host(HostError::InvalidOutput(format!(
                    "document {} is not JSON: {e}",
                    d.position
                )))
            })
        })
        .collect::<Result<Vec<Value>, _>>()?;
    Ok((docs, count_lines(&input), batch.stopped))
}

/// Reads `{"expected": [...]}`.
pub fn expected_documents(path: &Path) -> Result<Vec<Value>, RunError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| RunError::Input(format!("{}: {e}", path.display())))?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| RunError::Input(format!("{}: {e}", path.display())))?;
    match v.get("expected") {
        Some(Value::Array(a)) => Ok(a.clone()),
        _ => Err(RunError::Input(format!(
            "{}: no `expected` array",
            path.display()
        ))),
    }
}

/// Outcome of one fixture.
#[derive(Debug)]
pub struct FixtureReport {
    /// Fixture name.
    pub name: String,
    /// Set when the config skips the test (nothing else is filled).
    pub skipped: Option<String>,
    /// Input lines.
    pub lines: usize,
    /// Number of expected documents.
    pub expected_count: usize,
    /// Number of actual documents.
    pub actual_count: usize,
    /// One comparison per expected document; `None` when there is no actual document at that
    /// position.
    pub docs: Vec<Option<DocComparison>>,
    /// Set when decoding stopped early.
    pub stopped: Option<DecodeError>,
    /// Set when the fixture could not be run; all its documents count as failed.
    pub error: Option<String>,
}

impl FixtureReport {
    /// Expected documents whose strict views are equal.
    pub fn strict_passed(&self) -> usize {
        self.docs
            .iter()
            .flatten()
            .filter(|c| c.strict_equal())
            .count()
    }

    /// Expected documents whose core views are equal.
    pub fn core_passed(&self) -> usize {
        self.docs.iter().flatten().filter(|c| c.core_equal).count()
    }

    /// Document counts agree: expected = actual = input lines.
    pub fn counts_match(&self) -> bool {
        self.error.is_none() && self.actual_count == self.lines && self.expected_count == self.lines
    }

    /// Every document is strict-equal and the counts agree.
    pub fn passed(&self) -> bool {
        self.counts_match() && self.strict_passed() == self.expected_count
    }

    /// Every document is core-equal and the counts agree.
    pub fn core_passed_all(&self) -> bool {
        self.counts_match() && self.core_passed() == self.expected_count
    }

    /// Human-readable report: a status line, then for each mismatching document its
    /// field-level differences (`(enrichment)` marks fields outside the core score).
    pub fn render(&self) -> String {
        let mut s = String::new();
        if let Some(reason) = &self.skipped {
            let _ = writeln!(s, "SKIP {} ({reason})", self.name);
            return s;
        }
        let status = if self.passed() {
            "PASS"
        } else if self.core_passed_all() {
            "FAIL (core ok)"
        } else {
            "FAIL"
        };
        let _ = writeln!(
            s,
            "{status} {}: {}/{} strict, {}/{} core",
            self.name,
            self.strict_passed(),
            self.expected_count,
            self.core_passed(),
            self.expected_count
        );
        if let Some(e) = &self.error {
            let _ = writeln!(s, "  error: {e}");
            return s;
        }
        if !self.counts_match() {
            let _ = writeln!(
                s,
                "  document count: {} input lines, {} expected, {} actual",
                self.lines, self.expected_count, self.actual_count
            );
        }
        if let Some(stop) = &self.stopped {
            let _ = writeln!(s, "  decoding stopped early: {stop}");
        }
        for (i, doc) in self.docs.iter().enumerate() {
            match doc {
                None => {
                    let _ = writeln!(s, "  doc {i}: no actual document");
                }
                Some(c) if !c.strict_equal() => {
                    let _ = writeln!(s, "  doc {i}:");
                    for d in &c.diffs {
                        let mark = if d.is_enrichment_only() {
                            " (enrichment)"
                        } else {
                            ""
                        };
                        let _ = writeln!(s, "    {d}{mark}");
                    }
                }
                Some(_) => {}
            }
        }
        s
    }
}

/// Runs one fixture through `engine`. Host failures are recorded in the report (the engine
/// recovers with a fresh instance); they are also returned so callers can count them.
pub fn run_fixture(engine: &mut dyn DecodeEngine, fixture: &Fixture) -> FixtureReport {
    let mut report = FixtureReport {
        name: fixture.name.clone(),
        skipped: fixture.config.skip.clone(),
        lines: 0,
        expected_count: 0,
        actual_count: 0,
        docs: Vec::new(),
        stopped: None,
        error: None,
    };
    if report.skipped.is_some() {
        return report;
    }
    let expected = match expected_documents(&fixture.expected) {
        Ok(e) => e,
        Err(e) => {
            report.error = Some(e.to_string());
            return report;
        }
    };
    report.expected_count = expected.len();
    report.docs = vec![None; expected.len()];
    let (actual, lines, stopped) = match actual_documents(engine, fixture) {
        Ok(r) => r,
        Err(e) => {
            report.error = Some(e.to_string());
            return report;
        }
    };
    report.lines = lines;
    report.actual_count = actual.len();
    report.stopped = stopped;
    for (i, e) in expected.iter().enumerate() {
        report.docs[i] = actual
            .get(i)
            .map(|a| compare_docs(e, a, &fixture.config.dynamic_fields));
    }
    report
}

/// Totals over a run (`--json` prints exactly these keys).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Score {
    /// Fixtures run (skipped ones excluded).
    pub fixtures: usize,
    /// Fixtures whose documents are all strict-equal, counts agreeing.
    pub fixtures_passed: usize,
    /// Expected documents.
    pub docs: usize,
    /// Documents equal in the core view.
    pub docs_core_passed: usize,
    /// Documents equal in the strict view.
    pub docs_strict_passed: usize,
}

impl Score {
    /// Adds one fixture.
    pub fn add(&mut self, r: &FixtureReport) {
        if r.skipped.is_some() {
            return;
        }
        self.fixtures += 1;
        self.fixtures_passed += usize::from(r.passed());
        self.docs += r.expected_count;
        self.docs_core_passed += r.core_passed();
        self.docs_strict_passed += r.strict_passed();
    }

    /// The one-line JSON object of `conformance --json`.
    pub fn to_json_line(&self) -> String {
        format!(
            r#"{{"fixtures":{},"fixtures_passed":{},"docs":{},"docs_core_passed":{},"docs_strict_passed":{}}}"#,
            self.fixtures,
            self.fixtures_passed,
            self.docs,
            self.docs_core_passed,
            self.docs_strict_passed
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn line_count_follows_go_scanlines() {
        for (input, n) in [
            (&b""[..], 0),
            (b"a", 1),
            (b"a\n", 1),
            (b"a\nb\n", 2),
            (b"a\n\n", 2),
            (b"\n", 1),
            (b"a\r\nb", 2),
        ] {
            assert_eq!(count_lines(input), n, "{input:?}");
        }
    }

    #[test]
    fn per_test_config_wins_and_maps_merge_recursively() {
        let mut base = json!({"fields": {"@timestamp": "T", "tags": ["a", "b"]}, "dynamic_fields": {"x": "y"}});
        merge(
            &mut base,
            json!({"fields": {"tags": ["c"], "_conf": {"retain": "minimal"}}}),
        );
        assert_eq!(
            base,
            json!({"fields": {"@timestamp": "T", "tags": ["c"], "_conf": {"retain": "minimal"}}, "dynamic_fields": {"x": "y"}})
        );
    }

    #[test]
    fn request_maps_config_fields_to_meta_and_options() {
        let cfg = parse_config(&json!({
            "fields": {
                "@timestamp": "2021-11-11T01:02:03.123456789Z",
                "tags": ["preserve_original_event", "actor_target_mapping"],
                "_conf": {"retain": "keyword"},
                "cloud.region": "eu-west-1",
                "input": {"type": "aws-s3"}
            },
            "dynamic_fields": {"user_agent.version": "^\\d+$"}
        }))
        .unwrap();
        let (meta, options) = request(&cfg);
        assert_eq!(meta.received, "2021-11-11T01:02:03.123456789Z");
        assert_eq!(meta.namespace, None);
        assert_eq!(meta.bucket, None);
        assert_eq!(meta.object_key, None);
        assert_eq!(
            options.tags,
            ["preserve_original_event", "actor_target_mapping"]
        );
        assert_eq!(options.retain.as_deref(), Some("keyword"));
        assert_eq!(options.input_mode, InputMode::MessageLines);
        let extra: Value = serde_json::from_str(options.extra_fields.as_deref().unwrap()).unwrap();
        assert_eq!(
            extra,
            json!({"cloud.region": "eu-west-1", "input.type": "aws-s3"})
        );
        assert_eq!(cfg.dynamic_fields.len(), 1);
    }

    #[test]
    fn config_without_tags_gives_no_tags_and_skip_is_honoured() {
        let cfg = parse_config(&json!({"skip": {"reason": "flaky", "link": "x"}})).unwrap();
        assert_eq!(cfg.skip.as_deref(), Some("flaky"));
        let (_, options) = request(&cfg);
        assert!(options.tags.is_empty());
        assert_eq!(options.extra_fields, None);
    }

    #[test]
    fn layouts_name_siblings() {
        assert_eq!(
            Layout::ELASTIC.sibling("test-a.log", Layout::ELASTIC.expected_suffix),
            "test-a.log-expected.json"
        );
        assert_eq!(
            Layout::GOLDEN.sibling("a.log", Layout::GOLDEN.expected_suffix),
            "a.expected.json"
        );
    }

    #[test]
    fn score_counts_docs_and_fixture_passes() {
        let mut r = FixtureReport {
            name: "t".into(),
            skipped: None,
            lines: 2,
            expected_count: 2,
            actual_count: 2,
            docs: vec![
                Some(compare_docs(&json!({"a": 1}), &json!({"a": 1}), &[])),
                Some(compare_docs(
                    &json!({"a": 1, "source": {"geo": {"x": 1}}}),
                    &json!({"a": 1}),
                    &[],
                )),
            ],
            stopped: None,
            error: None,
        };
        let mut s = Score::default();
        s.add(&r);
        assert_eq!(
            s,
            Score {
                fixtures: 1,
                fixtures_passed: 0,
                docs: 2,
                docs_core_passed: 2,
                docs_strict_passed: 1
            }
        );
        assert!(
            r.render()
                .starts_with("FAIL (core ok) t: 1/2 strict, 2/2 core")
        );
        r.actual_count = 1;
        assert!(!r.core_passed_all());
        assert_eq!(
            s.to_json_line(),
            r#"{"fixtures":1,"fixtures_passed":0,"docs":2,"docs_core_passed":2,"docs_strict_passed":1}"#
        );
    }
}
