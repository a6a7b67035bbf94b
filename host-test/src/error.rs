//! Host errors: what can go wrong outside the guest's own domain errors
//! (`spec/reliability.md` §3.5 R1–R4).

use cloudtrail_ecs_plugin::api::{ConfigError, EnrichmentError};
use std::fmt;
use std::time::Duration;

/// A failure of the host or of a call into the guest. Decoding that merely stopped early is not
/// an error (it is [`crate::Outcome::stopped`]).
#[derive(Debug)]
pub enum HostError {
    /// The guest tried to grow its memory beyond the cap (a refused `memory.grow`).
    MemoryLimit {
        /// The cap, in bytes.
        limit: usize,
    },
    /// A call ran past its epoch deadline.
    CpuDeadline {
        /// The per-call deadline.
        deadline: Duration,
    },
    /// Any other trap; the text is wasmtime's.
    Trap(String),
    /// The guest returned something the host refuses to pass on (a document that is not one
    /// line of JSON, …).
    InvalidOutput(String),
    /// The guest rejected the configuration (namespace, extra fields).
    Config(ConfigError),
    /// The guest rejected the enrichment databases.
    Enrichment(EnrichmentError),
    /// Reading the input or writing the output failed.
    Io(std::io::Error),
    /// Loading, compiling or instantiating the component failed.
    Setup(String),
}

impl HostError {
    /// True for failures after which the instance was discarded (traps and limits).
    pub fn is_trap(&self) -> bool {
        matches!(
            self,
            HostError::MemoryLimit { .. } | HostError::CpuDeadline { .. } | HostError::Trap(_)
        )
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::MemoryLimit { limit } => {
                write!(
                    f,
                    "memory limit: the guest exceeded {} MiB",
                    limit / (1 << 20)
                )
            }
            HostError::CpuDeadline { deadline } => {
                write!(f, "cpu deadline: a call ran longer than {deadline:?}")
            }
            HostError::Trap(t) => write!(f, "trap: {t}"),
            HostError::InvalidOutput(s) => write!(f, "invalid guest output: {s}"),
            HostError::Config(e) => write!(f, "configuration rejected: {e}"),
            HostError::Enrichment(e) => write!(f, "enrichment rejected: {e}"),
            HostError::Io(e) => write!(f, "i/o error: {e}"),
            HostError::Setup(s) => write!(f, "component setup failed: {s}"),
        }
    }
}

impl std::error::Error for HostError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HostError::Io(e) => Some(e),
            HostError::Config(e) => Some(e),
            HostError::Enrichment(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for HostError {
    fn from(e: std::io::Error) -> Self {
        HostError::Io(e)
    }
}
