//! `cloudtrail-ecs`: decode CloudTrail files to ECS JSON lines, or run the conformance suite.
//! See `cloudtrail_ecs_host::cli`.

/// Native decodes allocate many small, short-lived blocks (see the workspace manifest).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cloudtrail_ecs_host::cli::main()
}
