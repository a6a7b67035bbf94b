//! `cloudtrail-ecs`: decode CloudTrail files to ECS JSON lines, or run the conformance suite.
//! See `cloudtrail_ecs_host::cli`.

fn main() -> std::process::ExitCode {
    cloudtrail_ecs_host::cli::main()
}
