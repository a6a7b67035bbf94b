//! Writes the generated seeds of every target to `corpus/<target>/seed-<n>` (libFuzzer's
//! corpus directories): `cargo run --manifest-path fuzz/Cargo.toml --no-default-features --bin seeds`.

fn main() -> std::io::Result<()> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for target in ["gzip", "framing", "json_parse", "decode", "firehose", "cwl"] {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir)?;
        for (i, seed) in cloudtrail_ecs_fuzz::seeds(target).iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i:03}")), seed)?;
        }
        println!("{}", dir.display());
    }
    Ok(())
}
