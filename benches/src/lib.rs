//! Bench inputs live here (see benches/).
