//! Builds the guest component so `cargo test` / `cargo build` of the host needs no manual step
//! (`spec/style.md` §1 "Building the wasm artifact inside cargo test", §8 item 5).
//!
//! Runs `cargo build -p cloudtrail-ecs-plugin --target wasm32-wasip2 --profile plugin` with its
//! own target directory under `OUT_DIR` (the outer build holds the lock on the main one), keeps
//! host compiler flags out of the wasm build, tracks the guest's sources through the `.d`
//! dep-info file, and writes `OUT_DIR/gen.rs` with the path of the component.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const WASM_TARGET: &str = "wasm32-wasip2";
const PROFILE: &str = "plugin";
const PACKAGE: &str = "cloudtrail-ecs-plugin";
const ARTIFACT: &str = "cloudtrail_ecs_plugin";

fn main() {
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir
        .parent()
        .expect("host-test lives inside the workspace")
        .to_path_buf();
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target_dir = out_dir.join("wasm-target");

    // Coarse tracking first, so a failed build is retried when any of these change.
    for p in [
        "plugin/src",
        "plugin/Cargo.toml",
        "wit",
        "Cargo.toml",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", workspace.join(p).display());
    }
    println!("cargo:rerun-if-env-changed=RUSTFLAGS");

    check_target_installed();

    let mut cmd = Command::new(&cargo);
    cmd.current_dir(&workspace)
        .arg("build")
        .arg("--package")
        .arg(PACKAGE)
        .arg("--target")
        .arg(WASM_TARGET)
        .arg("--profile")
        .arg(PROFILE)
        .env("CARGO_TARGET_DIR", &target_dir)
        // Host flags (and clippy's driver when the outer command is `cargo clippy`) must not
        // leak into the guest build.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CARGO_BUILD_TARGET");
    cmd.env("RUSTFLAGS", wasm_rustflags());

    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("could not run {cargo:?} to build the wasm component: {e}"));
    if !output.status.success() {
        panic!(
            "building the wasm component failed ({}):\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    let artifact_dir = target_dir.join(WASM_TARGET).join(PROFILE);
    let wasm = artifact_dir.join(format!("{ARTIFACT}.wasm"));
    assert!(
        wasm.is_file(),
        "the wasm build succeeded but {} is missing",
        wasm.display()
    );
    for dep in read_deps(&artifact_dir.join(format!("{ARTIFACT}.d"))) {
        println!("cargo:rerun-if-changed={}", dep.display());
    }

    let wasm = wasm.to_str().expect("OUT_DIR is valid UTF-8");
    let gen_rs = format!(
        "/// Path of the `{ARTIFACT}.wasm` component built by `build.rs` \
         (`--target {WASM_TARGET} --profile {PROFILE}`).\n\
         pub const PLUGIN_COMPONENT: &str = {wasm:?};\n"
    );
    fs::write(out_dir.join("gen.rs"), gen_rs).expect("write gen.rs");
}

/// Fails the build early, with the fix, when the wasm standard library is not installed.
fn check_target_installed() {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let Ok(out) = Command::new(&rustc).args(["--print", "sysroot"]).output() else {
        return; // let the build itself report it
    };
    let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if !sysroot.join("lib/rustlib").join(WASM_TARGET).is_dir() {
        panic!(
            "the Rust target {WASM_TARGET} is not installed in {} (needed to build the \
             component the host runs); install it with `rustup target add {WASM_TARGET}` \
             (rust-toolchain.toml lists it, so a rustup-managed toolchain installs it itself)",
            sysroot.display()
        );
    }
}

/// The guest's flags: `simd128` (wasm SIMD: every runtime we target has it, wasmtime and
/// Node's V8 by default; memchr and LLVM's vectoriser use it), plus `-D warnings` when the outer
/// build denies warnings (CI). Nothing else of the outer flags is forwarded.
fn wasm_rustflags() -> String {
    let outer = env::var("RUSTFLAGS").unwrap_or_default();
    let words: Vec<&str> = outer.split_whitespace().collect();
    let deny = words.windows(2).any(|w| w == ["-D", "warnings"])
        || words.contains(&"-Dwarnings")
        || words.contains(&"--deny=warnings");
    let mut flags = "-C target-feature=+simd128".to_owned();
    if deny {
        flags.push_str(" -D warnings");
    }
    flags
}

/// Source files listed in a Makefile-style dep-info file (`out: dep dep …`, `\ ` escapes spaces).
fn read_deps(path: &Path) -> Vec<PathBuf> {
    let Ok(text) = fs::read_to_string(path) else {
        return Vec::new();
    };
    let Some(first) = text.lines().next() else {
        return Vec::new();
    };
    let Some((_, deps)) = first.split_once(": ") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = deps.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&' ') => {
                cur.push(' ');
                chars.next();
            }
            ' ' => {
                if !cur.is_empty() {
                    out.push(PathBuf::from(std::mem::take(&mut cur)));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(PathBuf::from(cur));
    }
    out
}
