//! Criterion benches of the hot decode path, native and through wasmtime, beside the limits of
//! the candidate parsers and inflaters (see BENCHMARKS.md for a run and the commands).
//!
//! Every benchmark reports `Throughput::ElementsAndBytes`: records, and bytes of *decompressed*
//! CloudTrail JSON (also for gunzip and full decodes of gzipped objects), so MB/s figures are
//! comparable across groups.

use std::collections::VecDeque;
use std::hint::black_box;
use std::io::Read as _;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use cloudtrail_ecs_benches::{
    Input, firehose, firehose_meta, large, median, parity_options, s3_meta, small,
};
use cloudtrail_ecs_host::{DecodeEngine, NativeEngine, WasmConfig, WasmEngine, WasmRuntime};
use cloudtrail_ecs_plugin::api::{Options, SourceMeta};
use cloudtrail_ecs_plugin::decoder;
use cloudtrail_ecs_plugin::enrich::{self, Enricher};
use cloudtrail_ecs_plugin::input::framing::JsonFramer;
use cloudtrail_ecs_plugin::input::gzip::GzipInflater;
use cloudtrail_ecs_plugin::json::parse::{ParseOptions, parse};
use cloudtrail_ecs_plugin::json::write::{to_json, write_document_nested};
use cloudtrail_ecs_plugin::json::{Map, Value};
use cloudtrail_ecs_plugin::pipeline::{self, PipelineOptions};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};

/// The native binaries' allocator, as in the `cloudtrail-ecs` CLI (workspace manifest).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn inputs() -> &'static [Input] {
    static INPUTS: OnceLock<Vec<Input>> = OnceLock::new();
    INPUTS.get_or_init(|| {
        let mut v = vec![small(), median()];
        if std::env::var_os("BENCH_NO_LARGE").is_none() {
            v.push(large());
        }
        v
    })
}

/// The full-decode inputs: the S3 objects, then the Firehose request, each with the metadata
/// its transport would supply.
fn decode_inputs() -> &'static [(Input, SourceMeta)] {
    static INPUTS: OnceLock<Vec<(Input, SourceMeta)>> = OnceLock::new();
    INPUTS.get_or_init(|| {
        let mut v: Vec<(Input, SourceMeta)> =
            inputs().iter().map(|i| (i.clone(), s3_meta())).collect();
        v.push((firehose(), firehose_meta()));
        v
    })
}

fn throughput(input: &Input) -> Throughput {
    Throughput::ElementsAndBytes {
        elements: input.count(),
        bytes: input.json.len() as u64,
    }
}

/// One group per input size: the large input gets fewer, longer samples.
fn group<'a>(c: &'a mut Criterion, name: &str, input: &Input) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(format!("{name}/{}", input.name));
    g.throughput(throughput(input));
    if input.json.len() > 10_000_000 {
        g.sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(8));
    } else {
        g.warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
    }
    g
}

fn ingest(record: &str) -> Map {
    let mut doc = Map::new();
    doc.insert("@timestamp", Value::str("2026-11-29T12:30:00.000Z"));
    doc.insert("message", Value::str(record));
    doc.insert(
        "tags",
        Value::str_array(["preserve_original_event", "actor_target_mapping"]),
    );
    doc
}

fn enriched() -> Arc<dyn Enricher + Send + Sync> {
    // GeoIP test databases beside the repository, when present; user agents are always parsed.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/geoip-test");
    let read = |f: &str| std::fs::read(format!("{dir}/{f}")).ok();
    enrich::load(read("GeoLite2-City.mmdb"), read("GeoLite2-ASN.mmdb"))
        .unwrap_or_else(|_| enrich::default_enricher())
}

// ---------------------------------------------------------------------------------------------
// gunzip alone

fn gunzip(c: &mut Criterion) {
    for input in inputs() {
        let mut g = group(c, "gunzip", input);
        let gz = &input.gz;
        let n = input.json.len();
        g.bench_function("plugin_inflater", |b| {
            b.iter(|| {
                let mut inf = GzipInflater::new(u64::MAX);
                let mut total = 0usize;
                let _ = inf.feed(gz, &mut |out| {
                    total += out.len();
                    true
                });
                assert_eq!(total, n);
            })
        });
        g.bench_function("flate2_zlib_rs", |b| {
            let mut buf = vec![0u8; 64 * 1024];
            b.iter(|| {
                let mut d = flate2::read::MultiGzDecoder::new(&gz[..]);
                let mut total = 0;
                while let Ok(k) = d.read(&mut buf) {
                    if k == 0 {
                        break;
                    }
                    total += k;
                }
                assert_eq!(total, n);
            })
        });
        g.bench_function("miniz_oxide", |b| {
            // Raw deflate after the 10-byte header (our objects have no optional fields).
            let body = &gz[10..gz.len() - 8];
            b.iter(|| {
                let out = miniz_oxide::inflate::decompress_to_vec(body).unwrap_or_default();
                assert_eq!(out.len(), n);
            })
        });
        g.bench_function("libdeflate", |b| {
            let mut out = vec![0u8; n];
            let mut d = libdeflater::Decompressor::new();
            b.iter(|| {
                let k = d.gzip_decompress(gz, &mut out).unwrap_or(0);
                assert_eq!(k, n);
            })
        });
        g.finish();
    }
}

// ---------------------------------------------------------------------------------------------
// framing alone: decompressed `{"Records":[…]}` → raw records

fn framing(c: &mut Criterion) {
    for input in inputs() {
        let mut g = group(c, "framing", input);
        let json = &input.json;
        let count = input.records.len();
        g.bench_function("plugin_framer", |b| {
            b.iter(|| {
                let mut f = JsonFramer::new(1 << 20);
                let mut q = VecDeque::new();
                let mut seen = 0;
                // 32 KiB pieces, as the inflater hands them over.
                for piece in json.chunks(32 * 1024) {
                    f.push(piece, &mut q);
                    seen += q.len();
                    q.clear();
                }
                f.finish(&mut q);
                seen += q.len();
                assert_eq!(seen, count);
            })
        });
        g.bench_function("serde_json_rawvalue", |b| {
            #[derive(serde::Deserialize)]
            struct Object<'a> {
                #[serde(borrow, rename = "Records")]
                records: Vec<&'a serde_json::value::RawValue>,
            }
            b.iter(|| {
                let o: Object<'_> = serde_json::from_slice(json).unwrap_or(Object {
                    records: Vec::new(),
                });
                let owned: Vec<Vec<u8>> = o
                    .records
                    .iter()
                    .map(|r| r.get().as_bytes().to_vec())
                    .collect();
                assert_eq!(owned.len(), count);
            })
        });
        g.finish();
    }
}

// ---------------------------------------------------------------------------------------------
// per-record JSON parse (and parse + write back)

fn parse_records(c: &mut Criterion) {
    for input in inputs() {
        let mut g = group(c, "parse", input);
        let recs = &input.records;
        let opts = ParseOptions::default();
        g.bench_function("plugin_json", |b| {
            b.iter(|| {
                for r in recs {
                    black_box(parse(r, &opts).ok());
                }
            })
        });
        g.bench_function("serde_json_value", |b| {
            b.iter(|| {
                for r in recs {
                    black_box(serde_json::from_str::<serde_json::Value>(r).ok());
                }
            })
        });
        g.bench_function("simd_json_borrowed", |b| {
            let mut bufs: Vec<Vec<u8>> = recs.iter().map(|r| r.as_bytes().to_vec()).collect();
            b.iter(|| {
                for (buf, r) in bufs.iter_mut().zip(recs) {
                    // simd-json parses in place: restore the bytes first (a memcpy).
                    buf.copy_from_slice(r.as_bytes());
                    black_box(simd_json::to_borrowed_value(buf).is_ok());
                }
            })
        });
        g.bench_function("plugin_json_write_back", |b| {
            b.iter(|| {
                for r in recs {
                    if let Ok(v) = parse(r, &opts) {
                        black_box(to_json(&v));
                    }
                }
            })
        });
        g.bench_function("serde_json_value_write_back", |b| {
            b.iter(|| {
                for r in recs {
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(r) {
                        black_box(serde_json::to_string(&v).ok());
                    }
                }
            })
        });
        g.finish();
    }
}

// ---------------------------------------------------------------------------------------------
// normalize alone: pipeline::run on pre-split records (and the writer after it)

fn normalize(c: &mut Criterion) {
    for input in inputs() {
        let mut g = group(c, "normalize", input);
        let recs = &input.records;
        let popts = PipelineOptions::default();
        g.bench_function("pipeline_run", |b| {
            b.iter(|| {
                for r in recs {
                    black_box(pipeline::run(ingest(r), &popts));
                }
            })
        });
        g.bench_function("pipeline_run_write", |b| {
            b.iter(|| {
                for r in recs {
                    let out = pipeline::run(ingest(r), &popts);
                    let mut s = String::new();
                    write_document_nested(&out.doc, &mut s);
                    black_box(s);
                }
            })
        });
        let e = enriched();
        let eopts = PipelineOptions {
            enricher: Some(e.as_ref()),
            ..PipelineOptions::default()
        };
        g.bench_function("pipeline_run_enriched", |b| {
            b.iter(|| {
                for r in recs {
                    black_box(pipeline::run(ingest(r), &eopts));
                }
            })
        });
        g.finish();
    }
}

// ---------------------------------------------------------------------------------------------
// full decode: native and through wasmtime

fn check(batch_docs: usize, input: &Input) {
    assert_eq!(
        batch_docs as u64,
        input.count(),
        "every record became a document"
    );
}

fn decode_native(c: &mut Criterion) {
    let opts = parity_options();
    let e = enriched();
    // User agents are parsed in parity mode (the reference always does), as in a fresh
    // component instance: the same work as the wasm group's `decode`.
    let ua = enrich::default_enricher();
    for (input, meta) in decode_inputs() {
        let mut g = group(c, "decode_native", input);
        g.bench_function("decode", |b| {
            b.iter(|| {
                let batch =
                    decoder::decode(&input.gz, meta.clone(), opts.clone(), Some(ua.clone()));
                check(batch.map(|b| b.documents.len()).unwrap_or(0), input);
            })
        });
        g.bench_function("decode_enriched", |b| {
            b.iter(|| {
                let batch = decoder::decode(&input.gz, meta.clone(), opts.clone(), Some(e.clone()));
                check(batch.map(|b| b.documents.len()).unwrap_or(0), input);
            })
        });
        let mut engine = NativeEngine::new();
        g.bench_function("stream", |b| {
            b.iter(|| stream(&mut engine, input, meta, &Options::default()))
        });
        g.finish();
    }
}

fn stream(engine: &mut dyn DecodeEngine, input: &Input, meta: &SourceMeta, opts: &Options) {
    let mut n = 0usize;
    let mut reader = &input.gz[..];
    let outcome = engine.decode_stream(&mut reader, meta, opts, &mut |d| {
        black_box(d);
        n += 1;
        Ok(())
    });
    assert!(outcome.is_ok_and(|o| o.stopped.is_none()));
    check(n, input);
}

fn wasm_config() -> WasmConfig {
    WasmConfig {
        // The batch of a whole large object (`decode_all`) holds every document at once.
        memory_limit: 4 << 30,
        call_deadline: Duration::from_secs(600),
    }
}

fn decode_wasm(c: &mut Criterion) {
    let runtime = WasmRuntime::shared().expect("the component compiles");
    let opts = parity_options();
    let e = enriched();
    let _ = e; // the component's own enricher is configured through set_geoip below
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/geoip-test");
    let read = |f: &str| std::fs::read(format!("{dir}/{f}")).ok();
    for (input, meta) in decode_inputs() {
        let mut g = group(c, "decode_wasm", input);
        // One `decode` call returns the whole batch; for the large object (≈ 165 MB of
        // documents) that exceeds wasmtime's budget for data copied by one host call ("fuel
        // allocated for hostcalls has been exhausted"), so only the streamed path is measured.
        let one_call = input.json.len() <= 10_000_000;
        let mut plain = WasmEngine::new(runtime.clone(), wasm_config());
        if one_call {
            g.bench_function("decode", |b| {
                b.iter(|| {
                    let batch = plain.decode_all(&input.gz, meta, &opts);
                    if let Err(e) = &batch {
                        panic!("wasm decode of {} failed: {e}", input.name);
                    }
                    check(batch.map(|b| b.documents.len()).unwrap_or(0), input);
                })
            });
            let mut geo = WasmEngine::new(runtime.clone(), wasm_config())
                .with_geoip(read("GeoLite2-City.mmdb"), read("GeoLite2-ASN.mmdb"))
                .unwrap_or_else(|_| WasmEngine::new(runtime.clone(), wasm_config()));
            g.bench_function("decode_enriched", |b| {
                b.iter(|| {
                    let batch = geo.decode_all(&input.gz, meta, &opts);
                    check(batch.map(|b| b.documents.len()).unwrap_or(0), input);
                })
            });
        }
        let mut streamer = WasmEngine::new(runtime.clone(), WasmConfig::default());
        g.bench_function("stream", |b| {
            b.iter(|| stream(&mut streamer, input, meta, &Options::default()))
        });
        g.finish();
    }
}

fn cold_start(c: &mut Criterion) {
    let mut g = c.benchmark_group("cold_start");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    let path = std::path::Path::new(cloudtrail_ecs_host::PLUGIN_COMPONENT);
    g.bench_function("compile", |b| {
        b.iter(|| black_box(WasmRuntime::load(path).expect("compiles")))
    });
    let runtime = WasmRuntime::shared().expect("the component compiles");
    let input = &inputs()[0];
    let (meta, opts) = (s3_meta(), parity_options());
    g.bench_function("instantiate_and_first_decode", |b| {
        b.iter(|| {
            let mut e = WasmEngine::new(runtime.clone(), WasmConfig::default());
            let batch = e.decode_all(&input.gz, &meta, &opts);
            check(batch.map(|b| b.documents.len()).unwrap_or(0), input);
        })
    });
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// the parsers' limits: gunzip + parse with each candidate crate

fn limits(c: &mut Criterion) {
    for input in inputs() {
        let mut g = group(c, "limits", input);
        let gz = &input.gz;
        let count = input.records.len();
        let gunzip = || {
            let mut out = Vec::with_capacity(gz.len() * 12);
            let _ = flate2::read::MultiGzDecoder::new(&gz[..]).read_to_end(&mut out);
            out
        };
        #[derive(serde::Deserialize)]
        struct Object<'a> {
            #[serde(borrow, rename = "Records")]
            records: Vec<&'a serde_json::value::RawValue>,
        }
        g.bench_function("gunzip_serde_json_value", |b| {
            b.iter(|| {
                let json = gunzip();
                let v: serde_json::Value = serde_json::from_slice(&json).unwrap_or_default();
                assert_eq!(v["Records"].as_array().map_or(0, Vec::len), count);
            })
        });
        g.bench_function("gunzip_rawvalue_split", |b| {
            b.iter(|| {
                let json = gunzip();
                let o: Object<'_> = serde_json::from_slice(&json).unwrap_or(Object {
                    records: Vec::new(),
                });
                assert_eq!(o.records.len(), count);
            })
        });
        g.bench_function("gunzip_rawvalue_split_value_per_record", |b| {
            b.iter(|| {
                let json = gunzip();
                let o: Object<'_> = serde_json::from_slice(&json).unwrap_or(Object {
                    records: Vec::new(),
                });
                for r in &o.records {
                    black_box(serde_json::from_str::<serde_json::Value>(r.get()).ok());
                }
                assert_eq!(o.records.len(), count);
            })
        });
        g.bench_function("gunzip_rawvalue_split_simd_json_borrowed", |b| {
            b.iter(|| {
                let json = gunzip();
                let o: Object<'_> = serde_json::from_slice(&json).unwrap_or(Object {
                    records: Vec::new(),
                });
                for r in &o.records {
                    let mut buf = r.get().as_bytes().to_vec();
                    black_box(simd_json::to_borrowed_value(&mut buf).is_ok());
                }
                assert_eq!(o.records.len(), count);
            })
        });
        g.bench_function("gunzip_value_write_back", |b| {
            b.iter(|| {
                let json = gunzip();
                let o: Object<'_> = serde_json::from_slice(&json).unwrap_or(Object {
                    records: Vec::new(),
                });
                for r in &o.records {
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(r.get()) {
                        black_box(serde_json::to_string(&v).ok());
                    }
                }
            })
        });
        g.finish();
    }
}

criterion_group!(
    benches,
    gunzip,
    framing,
    parse_records,
    normalize,
    decode_native,
    decode_wasm,
    cold_start,
    limits
);
criterion_main!(benches);
