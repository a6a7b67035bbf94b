//! `cloudtrail-ecs decode FILE...`: streams each file through an engine, writes one JSON
//! document per line to stdout (record order) and a summary of counts to stderr.
//!
//! Exit status: 0 when every input was read and decoded, even if a decode stopped early (bad
//! gzip, not CloudTrail, a cap: the summary says why) unless `--strict` is given; 1 when an
//! input could not be read, stdout could not be written, the configuration was rejected, or the
//! host failed (trap, memory limit, cpu deadline).

use super::EngineArg;
use crate::api::{Counts, DecodeError, Options, OutputFormat, SkipReason, SourceMeta};
use crate::api::{TAG_ACTOR_TARGET, TAG_PRESERVE_ORIGINAL};
use crate::engine::{DecodeEngine, Outcome};
use crate::{HostError, WasmConfig};
use clap::{Args, ValueEnum};
use std::io::{self, BufWriter, Read, Write};
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
    Options {
        format: match args.format {
            FormatArg::Nested => OutputFormat::Nested,
            FormatArg::Flat => OutputFormat::Flat,
        },
        retain: args.retain.clone(),
        tags,
        keep_original: !args.drop_original,
        ..Options::default()
    }
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
    let mut total = Counts::default();
    let (mut failed, mut stopped_any) = (false, false);
    for file in &args.files {
        let received = args
            .received
            .clone()
            .unwrap_or_else(super::time::now_rfc3339);
        let meta = meta_for(args, file, received);
        let result = decode_file(engine.as_mut(), file, &meta, &options, &mut out);
        match result {
            Ok(outcome) => {
                eprintln!(
                    "{file}: {}",
                    summary_line(&outcome.counts, outcome.stopped.as_ref())
                );
                total.add(&outcome.counts);
                stopped_any |= outcome.stopped.is_some();
            }
            Err(e) => {
                eprintln!("{file}: failed: {e}");
                failed = true;
                if matches!(e, HostError::Io(ref io) if io.kind() == io::ErrorKind::BrokenPipe) {
                    break;
                }
            }
        }
    }
    eprintln!(
        "total ({} files): {}",
        args.files.len(),
        summary_line(&total, None)
    );
    if failed || (args.strict && stopped_any) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn decode_file(
    engine: &mut dyn DecodeEngine,
    file: &str,
    meta: &SourceMeta,
    options: &Options,
    out: &mut dyn Write,
) -> Result<Outcome, HostError> {
    let mut reader: Box<dyn Read> = if file == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(file)?)
    };
    let outcome = engine.decode_stream(&mut reader, meta, options, &mut |d| {
        out.write_all(d.json.as_bytes())?;
        out.write_all(b"\n")
    })?;
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
