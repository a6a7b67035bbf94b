//! `cloudtrail-ecs serve --listen ADDR`: a Firehose HTTP-endpoint destination writing ECS
//! documents as NDJSON (see [`crate::serve`] for the protocol handling).
//!
//! Prints `listening on ADDR` (the bound address, useful with port 0) to stderr, then one line
//! per request. Stops on Ctrl-C after the requests in flight. Exit status 1 when the server
//! could not start.

use super::EngineArg;
use super::decode::FormatArg;
use crate::WasmConfig;
use crate::api::{Options, OutputFormat};
use crate::serve::{Output, ServeConfig, spawn};
use clap::Args;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// `serve` arguments.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (`127.0.0.1:8080`; port 0 picks a free port).
    #[arg(long, value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Expected `X-Amz-Firehose-Access-Key` (prefer the environment variable: arguments are
    /// visible to other users). Without it every request is accepted, so a key is required
    /// unless the address is loopback or `--allow-no-access-key` is given.
    #[arg(
        long,
        value_name = "KEY",
        env = "CLOUDTRAIL_ECS_ACCESS_KEY",
        hide_env_values = true
    )]
    pub access_key: Option<String>,
    /// Serve a non-loopback address without an access key (anyone who reaches the port can
    /// write documents).
    #[arg(long)]
    pub allow_no_access_key: bool,
    /// Where documents go, appended as NDJSON; `-` is stdout.
    #[arg(long, value_name = "FILE", default_value = "-")]
    pub out: String,
    /// Largest request body (as received), bytes; also the cap on its decompressed size.
    #[arg(long, value_name = "N", default_value_t = 64 << 20)]
    pub max_body_bytes: u64,
    /// Data-stream namespace (`logs-aws.cloudtrail-<NS>`).
    #[arg(long, value_name = "NS", default_value = "default")]
    pub namespace: String,
    /// Engine running the decoder.
    #[arg(long, value_enum, default_value_t = EngineArg::Wasm)]
    pub engine: EngineArg,
    /// Requests decoded at the same time (engine instances in the pool).
    #[arg(long, value_name = "N", default_value_t = default_workers())]
    pub workers: usize,
    /// Tag put on every ingest document (repeatable). Elastic's Firehose path sets none;
    /// `actor_target_mapping` turns on entity extraction.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Document shape.
    #[arg(long, value_enum, default_value_t = FormatArg::Nested)]
    pub format: FormatArg,
    /// Elastic `retain` setting; unset by default.
    #[arg(long, value_name = "VALUE")]
    pub retain: Option<String>,
    /// Directory with GeoLite2-City.mmdb / GeoLite2-ASN.mmdb.
    #[arg(long, value_name = "DIR")]
    pub geoip: Option<PathBuf>,
    /// Wasm component to run (default: the one built with this binary).
    #[arg(long, value_name = "PATH")]
    pub component: Option<PathBuf>,
    /// Guest memory cap per instance (wasm engine), MiB.
    #[arg(long, value_name = "MIB", default_value_t = 512)]
    pub memory_limit_mib: usize,
    /// Per-call CPU deadline (wasm engine), seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub call_deadline_secs: u64,
}

fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 8))
}

/// The server configuration of the arguments (GeoIP read from disk).
pub fn config(args: &ServeArgs) -> Result<ServeConfig, String> {
    let access_key = args.access_key.clone().filter(|k| !k.is_empty());
    if access_key.is_none() && !args.listen.ip().is_loopback() && !args.allow_no_access_key {
        return Err(format!(
            "refusing to serve {} without an access key: set CLOUDTRAIL_ECS_ACCESS_KEY (or \
             --access-key), listen on a loopback address, or pass --allow-no-access-key",
            args.listen
        ));
    }
    let geoip = match &args.geoip {
        Some(dir) => {
            let (city, asn) = super::read_geoip(dir);
            if city.is_none() && asn.is_none() {
                return Err(format!("no GeoLite2 databases in {}", dir.display()));
            }
            Some((city, asn))
        }
        None => None,
    };
    Ok(ServeConfig {
        engine: args.engine.into(),
        component: args.component.clone(),
        wasm: WasmConfig {
            memory_limit: args.memory_limit_mib.saturating_mul(1 << 20),
            call_deadline: Duration::from_secs(args.call_deadline_secs.max(1)),
        },
        workers: args.workers.max(1),
        access_key,
        max_body_bytes: args.max_body_bytes,
        namespace: args.namespace.clone(),
        options: Options {
            format: match args.format {
                FormatArg::Nested => OutputFormat::Nested,
                FormatArg::Flat => OutputFormat::Flat,
            },
            retain: args.retain.clone(),
            tags: args.tags.clone(),
            ..Options::default()
        },
        geoip,
    })
}

/// Runs `serve`.
pub fn run(args: &ServeArgs) -> ExitCode {
    let config = match config(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cloudtrail-ecs: {e}");
            return ExitCode::FAILURE;
        }
    };
    let out: Output = if args.out == "-" {
        Box::new(io::stdout())
    } else {
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&args.out)
        {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("cloudtrail-ecs: {}: {e}", args.out);
                return ExitCode::FAILURE;
            }
        }
    };
    let handle = match spawn(config, args.listen, out, true) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("cloudtrail-ecs: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("listening on {}", handle.addr());
    match handle.wait() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cloudtrail-ecs: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse(argv: &[&str]) -> ServeArgs {
        let cli = crate::cli::Cli::try_parse_from(argv).expect("valid arguments");
        match cli.command {
            crate::cli::Command::Serve(a) => a,
            other => panic!("not serve: {other:?}"),
        }
    }

    #[test]
    fn defaults_follow_the_elastic_firehose_path() {
        let a = parse(&["cloudtrail-ecs", "serve", "--listen", "127.0.0.1:0"]);
        let c = config(&a).expect("config");
        assert_eq!(c.max_body_bytes, 64 << 20);
        assert_eq!(c.namespace, "default");
        assert!(c.options.tags.is_empty(), "no tags on the Firehose path");
        assert_eq!(a.out, "-");
        assert!(c.workers >= 1);
    }

    #[test]
    fn a_non_loopback_address_needs_a_key_or_an_explicit_opt_out() {
        let open = parse(&["cloudtrail-ecs", "serve", "--listen", "0.0.0.0:0"]);
        let Err(e) = config(&open) else {
            panic!("refused without a key");
        };
        assert!(e.contains("without an access key"), "{e}");
        let empty = parse(&[
            "cloudtrail-ecs",
            "serve",
            "--listen",
            "192.0.2.1:0",
            "--access-key",
            "",
        ]);
        assert!(config(&empty).is_err(), "an empty key is no key");
        let keyed = parse(&[
            "cloudtrail-ecs",
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--access-key",
            "k",
        ]);
        assert!(config(&keyed).is_ok());
        let opted_out = parse(&[
            "cloudtrail-ecs",
            "serve",
            "--listen",
            "[::]:0",
            "--allow-no-access-key",
        ]);
        assert!(config(&opted_out).is_ok());
        let v6_loopback = parse(&["cloudtrail-ecs", "serve", "--listen", "[::1]:0"]);
        assert!(config(&v6_loopback).is_ok());
    }

    #[test]
    fn flags_reach_the_config() {
        let a = parse(&[
            "cloudtrail-ecs",
            "serve",
            "--listen",
            "127.0.0.1:9000",
            "--access-key",
            "k",
            "--max-body-bytes",
            "100",
            "--namespace",
            "prod",
            "--engine",
            "native",
            "--tag",
            "actor_target_mapping",
            "--workers",
            "3",
        ]);
        let c = config(&a).expect("config");
        assert_eq!(c.access_key.as_deref(), Some("k"));
        assert_eq!(c.max_body_bytes, 100);
        assert_eq!(c.namespace, "prod");
        assert_eq!(c.engine, crate::EngineKind::Native);
        assert_eq!(c.options.tags, ["actor_target_mapping"]);
        assert_eq!(c.workers, 3);
    }
}
