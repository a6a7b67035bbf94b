//! Stable smoke mode of the fuzz targets (CI): every target over its seeds and
//! `FUZZ_SMOKE_ITERS` (default 3000) deterministic mutations. A panic names the target and the
//! input in hex, so a finding reproduces with `cargo fuzz run <target> <file>`.

use cloudtrail_ecs_fuzz::{Mutator, cwl, decode, firehose, framing, gzip, json_parse, seeds};

fn iterations() -> usize {
    std::env::var("FUZZ_SMOKE_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000)
}

fn run(target: &str, body: fn(&[u8])) {
    let seeds = seeds(target);
    let check = |input: &[u8]| {
        let r = std::panic::catch_unwind(|| body(input));
        if r.is_err() {
            let hex: String = input.iter().map(|b| format!("{b:02x}")).collect();
            panic!("{target}: finding on input ({} bytes) {hex}", input.len());
        }
    };
    for s in &seeds {
        check(s);
    }
    let mut m = Mutator::new(0x5eed ^ target.len() as u64);
    let mut pool = seeds.clone();
    for i in 0..iterations() {
        let a = &pool[i % pool.len()];
        let b = &pool[(i * 7 + 3) % pool.len()];
        let input = m.mutate(a, b);
        check(&input);
        // Keep some mutants as parents, bounded.
        if i % 5 == 0 && input.len() < 1 << 16 {
            if pool.len() < 256 {
                pool.push(input);
            } else {
                let at = i % pool.len();
                pool[at] = input;
            }
        }
    }
}

#[test]
fn gzip_target_holds_on_seeds_and_mutations() {
    run("gzip", gzip);
}

#[test]
fn framing_target_holds_on_seeds_and_mutations() {
    run("framing", framing);
}

#[test]
fn json_parse_target_holds_on_seeds_and_mutations() {
    run("json_parse", json_parse);
}

#[test]
fn decode_target_holds_on_seeds_and_mutations() {
    run("decode", decode);
}

#[test]
fn firehose_target_holds_on_seeds_and_mutations() {
    run("firehose", firehose);
}

#[test]
fn cwl_target_holds_on_seeds_and_mutations() {
    run("cwl", cwl);
}
