//! Helpers shared by the integration tests (a module, not a test target of its own).

use std::path::PathBuf;

/// `../shared/samples` beside the repository, or `None` with a visible skip message (the
/// project's own tests still run without it).
pub fn shared_samples() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/samples");
    if p.is_dir() {
        Some(p)
    } else {
        println!("skipping: ../shared not found");
        None
    }
}
