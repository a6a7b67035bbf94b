//! The `cloudtrail-ecs` command line (clap derive). Subcommand names and flags are a contract:
//! see `decode`, `conformance` and `component-path` below and `host-test/tests/README.md`.

pub mod conformance;
pub mod decode;
pub mod serve;
pub mod time;

use crate::engine::EngineKind;
use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

/// Top-level command line.
#[derive(Debug, Parser)]
#[command(
    name = "cloudtrail-ecs",
    version,
    about = "Turn AWS CloudTrail data into Elastic Common Schema documents (the aws.cloudtrail \
             ingest pipeline, as a WebAssembly component)"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
#[expect(
    clippy::large_enum_variant,
    reason = "parsed once per process; boxing would only complicate the clap derive"
)]
pub enum Command {
    /// Decode CloudTrail files (S3 objects, gzip or plain) into one ECS JSON document per line.
    Decode(decode::DecodeArgs),
    /// Run Elastic's aws.cloudtrail pipeline tests and report strict and core scores.
    Conformance(conformance::ConformanceArgs),
    /// Print the path of the wasm component built with this binary (other hosts, such as the
    /// Node host in `host-test/node`, load the same file).
    ComponentPath,
    /// Serve as an Amazon Data Firehose HTTP endpoint: decode each delivery (CloudWatch Logs,
    /// EventBridge or raw CloudTrail records) and append ECS documents as NDJSON.
    Serve(serve::ServeArgs),
}

/// `--engine`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum EngineArg {
    /// The wasm component through wasmtime (sandboxed, capped).
    #[default]
    Wasm,
    /// The same core called natively.
    Native,
}

impl From<EngineArg> for EngineKind {
    fn from(e: EngineArg) -> Self {
        match e {
            EngineArg::Wasm => EngineKind::Wasm,
            EngineArg::Native => EngineKind::Native,
        }
    }
}

/// Parses the process arguments and runs the subcommand.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Decode(args) => decode::run(&args),
        Command::Conformance(args) => conformance::run(&args),
        Command::ComponentPath => {
            println!("{}", crate::PLUGIN_COMPONENT);
            ExitCode::SUCCESS
        }
        Command::Serve(args) => serve::run(&args),
    }
}

/// Reads the GeoLite2 City and ASN databases from `dir` when present.
pub(crate) fn read_geoip(dir: &std::path::Path) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
    let read = |name: &str| std::fs::read(dir.join(name)).ok();
    (read("GeoLite2-City.mmdb"), read("GeoLite2-ASN.mmdb"))
}
