//! `cloudtrail-ecs decode FILE...`: streams each file through an engine, writes one JSON
//! document per line to stdout (record order; `--output bulk`: an Elasticsearch `_bulk` body)
//! and a summary of counts to stderr (`--summary`: a table of the batch), with a progress bar
//! while stderr is a terminal.
//!
//! Exit status: 0 when every input was read and decoded, even if a decode stopped early (bad
//! gzip, not CloudTrail, a cap: the summary says why) unless `--strict` is given; 1 when an
//! input could not be read, stdout could not be written, the configuration was rejected, or the
//! host failed (trap, memory limit, cpu deadline).

use super::EngineArg;
use crate::api::{Counts, DecodeError, Filters, Options, OutputFormat, SkipReason, SourceMeta};
use crate::api::{TAG_ACTOR_TARGET, TAG_PRESERVE_ORIGINAL};
use crate::engine::{DecodeEngine, Outcome};
use crate::summary::Summary;
use crate::{HostError, WasmConfig};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// `decode` arguments.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// Input files: CloudTrail S3 objects (gzip or plain JSON) or JSON records; `-` reads stdin.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// Engine running the decoder.
    #[arg(long, value_enum, default_value_t = EngineArg::Wasm)]
    pub engine: EngineArg,
    /// Document shape.
    #[arg(long, value_enum, default_value_t = FormatArg::Nested)]
    pub format: FormatArg,
    /// Data-stream namespace (`data_stream.namespace`, `logs-aws.cloudtrail-<NS>`).
    #[arg(long, value_name = "NS", default_value = "default")]
    pub namespace: String,
    /// Elastic `retain` setting (`all`, `keyword`, `flattened`, `minimal`, `none`, …); unset
    /// by default.
    #[arg(long, value_name = "VALUE")]
    pub retain: Option<String>,
    /// Do not set the `actor_target_mapping` tag (turns off entity extraction).
    #[arg(long)]
    pub no_entity_mapping: bool,
    /// Do not set the `preserve_original_event` tag.
    #[arg(long)]
    pub no_preserve_original_tag: bool,
    /// Drop `event.original` (a documented non-parity option).
    #[arg(long)]
    pub drop_original: bool,
    /// S3 bucket name (`aws.s3.bucket.name`).
    #[arg(long, value_name = "B")]
    pub bucket: Option<String>,
    /// S3 object key (`aws.s3.object.key`), for every file. Without it, a path containing
    /// `/AWSLogs/` passes its part from `AWSLogs/` on as the key; other paths are passed as the
    /// source name (`log.file.path`).
    #[arg(long, value_name = "K")]
    pub key: Option<String>,
    /// Receive time (RFC 3339) → `event.created`; default: now, UTC, milliseconds.
    #[arg(long, value_name = "RFC3339")]
    pub received: Option<String>,
    /// Exit non-zero also when a decode stopped early.
    #[arg(long)]
    pub strict: bool,
    /// Directory with GeoLite2-City.mmdb / GeoLite2-ASN.mmdb for `source.geo` / `source.as`.
    #[arg(long, value_name = "DIR")]
    pub geoip: Option<PathBuf>,
    /// Wasm component to run (default: the one built with this binary).
    #[arg(long, value_name = "PATH")]
    pub component: Option<PathBuf>,
    /// Guest memory cap (wasm engine), MiB.
    #[arg(long, value_name = "MIB", default_value_t = 512)]
    pub memory_limit_mib: usize,
    /// Per-call CPU deadline (wasm engine), seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub call_deadline_secs: u64,
    /// What stdout gets: one document per line, or an Elasticsearch `_bulk` body (a `create`
    /// action for `logs-aws.cloudtrail-<NS>` with the document id as `_id`, then the document).
    #[arg(long, value_enum, default_value_t = OutputArg::Ndjson)]
    pub output: OutputArg,
    /// Print a table of the batch to stderr at the end: counts, top event sources and actions,
    /// failed console logins by user and source country, top source IPs, error codes.
    #[arg(long)]
    pub summary: bool,
    /// Rows per section of `--summary`.
    #[arg(long, value_name = "N", default_value_t = crate::summary::DEFAULT_TOP)]
    pub summary_top: usize,
    /// No progress bar (it is shown only while stderr is a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
    /// Filters, applied before mapping; dropped records count as skipped (`filtered`).
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Caps on untrusted sizes (WIT `limits`); each unset one keeps the component's default.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// The caps of `spec/reliability.md` §2.6 (WIT `limits`). A cap that is hit gives an error
/// document or a typed stop that names it; unset flags keep the safe defaults.
#[derive(Debug, Default, Args)]
pub struct LimitArgs {
    /// Decompressed bytes per file (gzip bombs stop here).
    #[arg(long, value_name = "BYTES")]
    pub max_decompressed_bytes: Option<u64>,
    /// Decompressed-to-compressed ratio past the first 16 MiB.
    #[arg(long, value_name = "N")]
    pub max_compression_ratio: Option<u64>,
    /// Bytes of one record; a longer one becomes an error document with an excerpt.
    #[arg(long, value_name = "BYTES")]
    pub max_record_bytes: Option<u64>,
    /// Decompressed bytes of one Firehose record's data.
    #[arg(long, value_name = "BYTES")]
    pub max_record_decompressed_bytes: Option<u64>,
    /// JSON nesting depth of a record.
    #[arg(long, value_name = "N")]
    pub max_depth: Option<u32>,
    /// Longest payload string copy (`aws.cloudtrail.request_parameters`, …) kept.
    #[arg(long, value_name = "BYTES")]
    pub max_payload_string_bytes: Option<u64>,
}

impl LimitArgs {
    /// `limits` with every given cap set.
    pub fn apply(&self, limits: &mut crate::api::Limits) {
        let caps = [
            (
                self.max_decompressed_bytes,
                &mut limits.max_decompressed_bytes,
            ),
            (
                self.max_compression_ratio,
                &mut limits.max_compression_ratio,
            ),
            (self.max_record_bytes, &mut limits.max_record_bytes),
            (
                self.max_record_decompressed_bytes,
                &mut limits.max_record_decompressed_bytes,
            ),
            (
                self.max_payload_string_bytes,
                &mut limits.max_payload_string_bytes,
            ),
        ];
        for (given, cap) in caps {
            if let Some(v) = given {
                *cap = v;
            }
        }
        if let Some(d) = self.max_depth {
            limits.max_depth = d;
        }
    }
}

/// The record filters (WIT `filters`). Each list flag is repeatable and takes comma-separated
/// values; a record is kept when it passes every filter given.
#[derive(Debug, Default, Args)]
pub struct FilterArgs {
    /// Keep only these event sources (`eventSource`, e.g. `iam.amazonaws.com`).
    #[arg(long, value_name = "SOURCE", value_delimiter = ',')]
    pub include_source: Vec<String>,
    /// Drop these event sources.
    #[arg(long, value_name = "SOURCE", value_delimiter = ',')]
    pub exclude_source: Vec<String>,
    /// Keep only these event names (`eventName`, e.g. `ConsoleLogin`).
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub include_event: Vec<String>,
    /// Drop these event names.
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub exclude_event: Vec<String>,
    /// Keep only read-only (`true`) or only mutating (`false`) events (`readOnly`).
    #[arg(long, value_name = "BOOL")]
    pub read_only: Option<bool>,
    /// Keep only these accounts (`recipientAccountId`, else `userIdentity.accountId`).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub account: Vec<String>,
    /// Keep only these regions (`awsRegion`).
    #[arg(long, value_name = "REGION", value_delimiter = ',')]
    pub region: Vec<String>,
    /// Keep only these event categories (`eventCategory`: Management, Data, Insight,
    /// NetworkActivity; any case).
    #[arg(long, value_name = "CATEGORY", value_delimiter = ',')]
    pub event_category: Vec<String>,
}

impl FilterArgs {
    /// The API filters.
    pub fn filters(&self) -> Filters {
        Filters {
            include_sources: self.include_source.clone(),
            exclude_sources: self.exclude_source.clone(),
            include_events: self.include_event.clone(),
            exclude_events: self.exclude_event.clone(),
            read_only: self.read_only,
            accounts: self.account.clone(),
            regions: self.region.clone(),
            event_categories: self.event_category.clone(),
        }
    }
}

/// `--output`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputArg {
    /// One JSON document per line.
    Ndjson,
    /// Elasticsearch `_bulk` request body: action line + document per record.
    Bulk,
}

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Nested objects, as Elasticsearch stores `_source`.
    Nested,
    /// Dotted keys.
    Flat,
}

/// The options of the arguments.
pub fn options(args: &DecodeArgs) -> Options {
    let mut tags = Vec::new();
    if !args.no_preserve_original_tag {
        tags.push(TAG_PRESERVE_ORIGINAL.to_owned());
    }
    if !args.no_entity_mapping {
        tags.push(TAG_ACTOR_TARGET.to_owned());
    }
    let mut options = Options {
        format: match args.format {
            FormatArg::Nested => OutputFormat::Nested,
            FormatArg::Flat => OutputFormat::Flat,
        },
        retain: args.retain.clone(),
        tags,
        keep_original: !args.drop_original,
        filters: args.filters.filters(),
        ..Options::default()
    };
    args.limits.apply(&mut options.limits);
    options
}

/// The object key a path implies: the part from `AWSLogs/` on, when the path has that segment.
pub fn key_from_path(path: &str) -> Option<&str> {
    if path.starts_with("AWSLogs/") {
        return Some(path);
    }
    path.find("/AWSLogs/").map(|i| &path[i + 1..])
}

/// The source metadata of one file.
pub fn meta_for(args: &DecodeArgs, file: &str, received: String) -> SourceMeta {
    let (object_key, source_name) = match (&args.key, file) {
        (Some(k), _) => (Some(k.clone()), None),
        (None, "-") => (None, None),
        (None, f) => match key_from_path(f) {
            Some(k) => (Some(k.to_owned()), None),
            None => (None, Some(f.to_owned())),
        },
    };
    SourceMeta {
        bucket: args.bucket.clone(),
        object_key,
        source_name,
        received,
        namespace: Some(args.namespace.clone()),
        ..SourceMeta::default()
    }
}

/// One line of counts.
pub fn summary_line(counts: &Counts, stopped: Option<&DecodeError>) -> String {
    let skip = |r: SkipReason| {
        counts
            .skipped
            .iter()
            .find(|(x, _)| *x == r)
            .map_or(0, |(_, n)| *n)
    };
    format!(
        "records {}, documents {}, error documents {}, skipped {} (control-message {}, \
         empty-record {}, filtered {}), key mismatches {}, missing eventTime {}, stopped: {}",
        counts.records,
        counts.documents,
        counts.error_documents,
        counts.skipped_total(),
        skip(SkipReason::ControlMessage),
        skip(SkipReason::EmptyRecord),
        skip(SkipReason::Filtered),
        counts.key_mismatches,
        counts.missing_event_time,
        stopped.map_or_else(|| "no".to_owned(), ToString::to_string)
    )
}

/// Runs `decode`.
pub fn run(args: &DecodeArgs) -> ExitCode {
    let config = WasmConfig {
        memory_limit: args.memory_limit_mib.saturating_mul(1 << 20),
        call_deadline: Duration::from_secs(args.call_deadline_secs.max(1)),
    };
    let mut engine =
        match crate::engine::build_engine(args.engine.into(), args.component.as_deref(), config) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("cloudtrail-ecs: {e}");
                return ExitCode::FAILURE;
            }
        };
    // User-agent parsing needs no data and is on whenever an enricher is set, so one is always
    // set: with the GeoLite2 databases when `--geoip` names them, without otherwise.
    let (city, asn) = match &args.geoip {
        Some(dir) => {
            let dbs = super::read_geoip(dir);
            if dbs.0.is_none() && dbs.1.is_none() {
                eprintln!("cloudtrail-ecs: no GeoLite2 databases in {}", dir.display());
                return ExitCode::FAILURE;
            }
            dbs
        }
        None => (None, None),
    };
    let explicit = args.geoip.is_some();
    if let Err(e) = engine.set_geoip(city, asn) {
        if explicit {
            eprintln!("cloudtrail-ecs: {e}");
            return ExitCode::FAILURE;
        }
        eprintln!("warning: enrichment unavailable ({e}); continuing without it");
    }
    let options = options(args);
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut writer = DocWriter {
        bulk_index: (args.output == OutputArg::Bulk)
            .then(|| crate::bulk::data_stream(&args.namespace)),
        summary: args.summary.then(Summary::default),
        line: Vec::new(),
    };
    let progress = progress_bar(args);
    let mut total = Counts::default();
    let (mut failed, mut stopped_any) = (false, false);
    for file in &args.files {
        let received = args
            .received
            .clone()
            .unwrap_or_else(super::time::now_rfc3339);
        let meta = meta_for(args, file, received);
        progress.set_message(file.clone());
        let result = decode_file(
            engine.as_mut(),
            file,
            &meta,
            &options,
            &mut out,
            &mut writer,
            &progress,
        );
        match result {
            Ok(outcome) => {
                progress.suspend(|| {
                    eprintln!(
                        "{file}: {}",
                        summary_line(&outcome.counts, outcome.stopped.as_ref())
                    );
                });
                total.add(&outcome.counts);
                stopped_any |= outcome.stopped.is_some();
            }
            Err(e) => {
                progress.suspend(|| eprintln!("{file}: failed: {e}"));
                failed = true;
                if matches!(e, HostError::Io(ref io) if io.kind() == io::ErrorKind::BrokenPipe) {
                    break;
                }
            }
        }
    }
    progress.finish_and_clear();
    eprintln!(
        "total ({} files): {}",
        args.files.len(),
        summary_line(&total, None)
    );
    if let Some(mut summary) = writer.summary {
        summary.counts = total;
        eprint!("{}", summary.render(args.summary_top));
    }
    if failed || (args.strict && stopped_any) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Where each document goes: stdout as a line or a `_bulk` pair, and the summary.
struct DocWriter {
    /// `Some(data stream)` for `--output bulk`.
    bulk_index: Option<String>,
    summary: Option<Summary>,
    /// Reused output buffer.
    line: Vec<u8>,
}

impl DocWriter {
    fn write(&mut self, d: &crate::api::Document, out: &mut dyn Write) -> io::Result<()> {
        if let Some(s) = &mut self.summary {
            s.observe_json(&d.json);
        }
        self.line.clear();
        match &self.bulk_index {
            Some(index) => crate::bulk::push_pair(&mut self.line, index, &d.id, &d.json),
            None => {
                self.line.extend_from_slice(d.json.as_bytes());
                self.line.push(b'\n');
            }
        }
        out.write_all(&self.line)
    }
}

/// A progress bar over the input bytes on stderr, hidden unless stderr is a terminal.
fn progress_bar(args: &DecodeArgs) -> ProgressBar {
    if args.no_progress || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    // Known sizes give a bar; stdin or an unreadable file leaves a spinner with a byte count.
    let sizes: Option<u64> = args
        .files
        .iter()
        .map(|f| match f.as_str() {
            "-" => None,
            path => std::fs::metadata(path).ok().map(|m| m.len()),
        })
        .sum();
    let bar = match sizes {
        Some(total) => ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
            .with_style(
                ProgressStyle::with_template(
                    "{bar:30} {bytes}/{total_bytes} ({bytes_per_sec}, {eta}) {wide_msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            ),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template("{spinner} {bytes} ({bytes_per_sec}) {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn decode_file(
    engine: &mut dyn DecodeEngine,
    file: &str,
    meta: &SourceMeta,
    options: &Options,
    out: &mut dyn Write,
    writer: &mut DocWriter,
    progress: &ProgressBar,
) -> Result<Outcome, HostError> {
    let reader: Box<dyn Read> = if file == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(file)?)
    };
    let mut reader = progress.wrap_read(reader);
    let outcome =
        engine.decode_stream(&mut reader, meta, options, &mut |d| writer.write(d, out))?;
    out.flush()?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse(argv: &[&str]) -> DecodeArgs {
        let cli = crate::cli::Cli::try_parse_from(argv).expect("valid arguments");
        match cli.command {
            crate::cli::Command::Decode(a) => a,
            other => panic!("not decode: {other:?}"),
        }
    }

    #[test]
    fn defaults_are_wasm_nested_default_namespace_and_both_tags() {
        let a = parse(&["cloudtrail-ecs", "decode", "x.json.gz"]);
        assert_eq!(a.engine, EngineArg::Wasm);
        let o = options(&a);
        assert_eq!(o.format, OutputFormat::Nested);
        assert_eq!(o.tags, [TAG_PRESERVE_ORIGINAL, TAG_ACTOR_TARGET]);
        assert!(o.keep_original);
        assert_eq!(o.retain, None);
        let m = meta_for(&a, "x.json.gz", "T".into());
        assert_eq!(m.namespace.as_deref(), Some("default"));
        assert_eq!(m.source_name.as_deref(), Some("x.json.gz"));
        assert_eq!(m.object_key, None);
    }

    #[test]
    fn limit_flags_set_their_caps_and_leave_the_others_at_the_defaults() {
        let defaults = options(&parse(&["cloudtrail-ecs", "decode", "a"])).limits;
        assert_eq!(defaults, crate::api::Limits::default());
        let a = parse(&[
            "cloudtrail-ecs",
            "decode",
            "--max-decompressed-bytes",
            "1000000",
            "--max-compression-ratio",
            "50",
            "--max-record-bytes",
            "4096",
            "--max-record-decompressed-bytes",
            "8192",
            "--max-depth",
            "32",
            "--max-payload-string-bytes",
            "2048",
            "a",
        ]);
        let l = options(&a).limits;
        assert_eq!(l.max_decompressed_bytes, 1_000_000);
        assert_eq!(l.max_compression_ratio, 50);
        assert_eq!(l.max_record_bytes, 4096);
        assert_eq!(l.max_record_decompressed_bytes, 8192);
        assert_eq!(l.max_depth, 32);
        assert_eq!(l.max_payload_string_bytes, 2048);
        assert_eq!(l.max_records_per_call, defaults.max_records_per_call);
    }

    #[test]
    fn flags_remove_tags_and_original() {
        let a = parse(&[
            "cloudtrail-ecs",
            "decode",
            "--no-entity-mapping",
            "--no-preserve-original-tag",
            "--drop-original",
            "--format",
            "flat",
            "--retain",
            "minimal",
            "a",
        ]);
        let o = options(&a);
        assert!(o.tags.is_empty());
        assert!(!o.keep_original);
        assert_eq!(o.format, OutputFormat::Flat);
        assert_eq!(o.retain.as_deref(), Some("minimal"));
    }

    #[test]
    fn object_key_comes_from_flag_or_awslogs_path() {
        let a = parse(&["cloudtrail-ecs", "decode", "--bucket", "b", "x"]);
        let m = meta_for(
            &a,
            "/data/s3/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/f.json.gz",
            "T".into(),
        );
        assert_eq!(
            m.object_key.as_deref(),
            Some("AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/f.json.gz")
        );
        assert_eq!(m.source_name, None);
        assert_eq!(m.bucket.as_deref(), Some("b"));
        let a = parse(&["cloudtrail-ecs", "decode", "--key", "k/1.json.gz", "x"]);
        let m = meta_for(&a, "/data/AWSLogs/x", "T".into());
        assert_eq!(m.object_key.as_deref(), Some("k/1.json.gz"));
        assert_eq!(
            meta_for(&a, "-", "T".into()).object_key.as_deref(),
            Some("k/1.json.gz")
        );
        let a = parse(&["cloudtrail-ecs", "decode", "-"]);
        let m = meta_for(&a, "-", "T".into());
        assert_eq!((m.object_key, m.source_name), (None, None));
        assert_eq!(key_from_path("AWSLogs/1/x"), Some("AWSLogs/1/x"));
        assert_eq!(key_from_path("/tmp/MyAWSLogs/1/x"), None);
    }

    #[test]
    fn filter_flags_repeat_split_on_commas_and_reach_the_options() {
        let a = parse(&["cloudtrail-ecs", "decode", "x"]);
        assert!(options(&a).filters.is_empty());
        assert_eq!((a.output, a.summary), (OutputArg::Ndjson, false));
        let a = parse(&[
            "cloudtrail-ecs",
            "decode",
            "--include-source",
            "iam.amazonaws.com,s3.amazonaws.com",
            "--include-source",
            "sts.amazonaws.com",
            "--exclude-source",
            "kms.amazonaws.com",
            "--include-event",
            "CreateUser",
            "--exclude-event",
            "GetObject,ListBuckets",
            "--read-only",
            "false",
            "--account",
            "111122223333",
            "--region",
            "us-east-1",
            "--event-category",
            "Data",
            "--output",
            "bulk",
            "--summary",
            "x",
        ]);
        let f = options(&a).filters;
        assert_eq!(
            f.include_sources,
            ["iam.amazonaws.com", "s3.amazonaws.com", "sts.amazonaws.com"]
        );
        assert_eq!(f.exclude_sources, ["kms.amazonaws.com"]);
        assert_eq!(f.include_events, ["CreateUser"]);
        assert_eq!(f.exclude_events, ["GetObject", "ListBuckets"]);
        assert_eq!(f.read_only, Some(false));
        assert_eq!(
            (f.accounts, f.regions),
            (
                vec!["111122223333".to_owned()],
                vec!["us-east-1".to_owned()]
            )
        );
        assert_eq!(f.event_categories, ["Data"]);
        assert_eq!((a.output, a.summary), (OutputArg::Bulk, true));
        let bad = crate::cli::Cli::try_parse_from([
            "cloudtrail-ecs",
            "decode",
            "--read-only",
            "yes",
            "x",
        ]);
        assert!(bad.is_err(), "--read-only takes true or false");
    }

    #[test]
    fn summary_line_lists_every_count() {
        let mut c = Counts {
            records: 5,
            documents: 3,
            error_documents: 1,
            key_mismatches: 2,
            ..Counts::default()
        };
        c.skip(SkipReason::ControlMessage);
        assert_eq!(
            summary_line(&c, Some(&DecodeError::Finished)),
            "records 6, documents 3, error documents 1, skipped 1 (control-message 1, \
             empty-record 0, filtered 0), key mismatches 2, missing eventTime 0, stopped: \
             decoder already finished"
        );
    }
}
