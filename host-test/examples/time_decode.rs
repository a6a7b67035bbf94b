//! Quick timing of one file through both engines, for profiling sessions (criterion in
//! `benches/` is the measurement of record): compiles the component once, then decodes the file
//! streamed in 1 MiB pushes `N` times per engine and prints wall time, MB/s of input bytes and
//! the guest's peak linear memory.
//!
//! `cargo run --release -p cloudtrail-ecs-host --example time_decode -- FILE [N]`
//!
//! On a shared machine, instruction counts are steadier than times:
//! `TIME_DECODE_ENGINES=wasm perf stat -e instructions:u target/release/examples/time_decode FILE 1`
//! minus the same with `0` is the cost of one decode.

use cloudtrail_ecs_host::api::{Options, SourceMeta};
use cloudtrail_ecs_host::{DecodeEngine, NativeEngine, WasmConfig, WasmEngine, WasmRuntime};
use std::time::Instant;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: time_decode FILE [N]");
        std::process::exit(2);
    };
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let meta = SourceMeta {
        received: "2026-11-29T00:00:00.000Z".into(),
        ..SourceMeta::default()
    };
    let opts = Options::default();
    let t = Instant::now();
    let runtime = WasmRuntime::shared().expect("the component compiles");
    println!("compile: {:.3} s", t.elapsed().as_secs_f64());
    let mut wasm = WasmEngine::new(runtime, WasmConfig::default());
    let mut native = NativeEngine::new();
    let engines: [(&str, &mut dyn DecodeEngine); 2] =
        [("native", &mut native), ("wasm", &mut wasm)];
    // `TIME_DECODE_ENGINES=wasm` (or `native`) times one engine only, e.g. under `perf stat`.
    let only = std::env::var("TIME_DECODE_ENGINES").ok();
    for (name, engine) in engines {
        if only
            .as_deref()
            .is_some_and(|o| !o.split(',').any(|e| e == name))
        {
            continue;
        }
        for _ in 0..n {
            let (mut docs, mut out_bytes) = (0usize, 0usize);
            let mut reader = &bytes[..];
            let t = Instant::now();
            let outcome = engine.decode_stream(&mut reader, &meta, &opts, &mut |d| {
                if docs == 0 && std::env::var_os("TIME_DECODE_SHOW_FIRST").is_some() {
                    eprintln!("{name} first document: {}", d.json);
                }
                docs += 1;
                out_bytes += d.json.len();
                Ok(())
            });
            let secs = t.elapsed().as_secs_f64();
            let stopped = outcome.map(|o| o.stopped.is_some()).unwrap_or(true);
            println!(
                "{name}: {docs} documents, {out_bytes} output bytes in {secs:.3} s ({:.0} documents/s){}",
                docs as f64 / secs,
                if stopped { ", stopped early" } else { "" }
            );
        }
    }
    if let Some(peak) = wasm.peak_memory() {
        println!(
            "wasm peak linear memory: {:.1} MiB",
            peak as f64 / (1 << 20) as f64
        );
    }
}
