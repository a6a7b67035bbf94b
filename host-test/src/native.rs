//! The native engine: the core of `cloudtrail-ecs-plugin` called directly, without wasm. It is
//! the reference the wasm engine must match byte for byte, and the fast path for debugging.

use crate::HostError;
use crate::engine::{CHUNK_SIZE, DecodeEngine, EngineKind, Outcome, deliver, read_chunk};
use cloudtrail_ecs_plugin::api::{Batch, Document, Options, SourceMeta};
use cloudtrail_ecs_plugin::decoder::{self, Decoder};
use cloudtrail_ecs_plugin::enrich::{self, Enricher};
use std::io::{self, Read};
use std::sync::Arc;

/// Calls `cloudtrail_ecs_plugin::decoder` in-process.
pub struct NativeEngine {
    enricher: Option<Arc<dyn Enricher + Send + Sync>>,
}

impl NativeEngine {
    /// An engine configured as a fresh component instance is: user-agent parsing (which the
    /// reference always does), no GeoIP until [`DecodeEngine::set_geoip`].
    pub fn new() -> Self {
        NativeEngine {
            enricher: Some(enrich::default_enricher()),
        }
    }

    /// An engine without any enrichment (no `user_agent.*` fields): the bare pipeline.
    pub fn without_enrichment() -> Self {
        NativeEngine { enricher: None }
    }
}

impl Default for NativeEngine {
    fn default() -> Self {
        NativeEngine::new()
    }
}

impl DecodeEngine for NativeEngine {
    fn kind(&self) -> EngineKind {
        EngineKind::Native
    }

    fn set_geoip(&mut self, city: Option<Vec<u8>>, asn: Option<Vec<u8>>) -> Result<(), HostError> {
        self.enricher = Some(enrich::load(city, asn).map_err(HostError::Enrichment)?);
        Ok(())
    }

    fn decode_stream(
        &mut self,
        reader: &mut dyn Read,
        meta: &SourceMeta,
        options: &Options,
        sink: &mut dyn FnMut(&Document) -> io::Result<()>,
    ) -> Result<Outcome, HostError> {
        let mut d = Decoder::new(meta.clone(), options.clone(), self.enricher.clone())
            .map_err(HostError::Config)?;
        let mut outcome = Outcome::default();
        let mut buf = vec![0u8; CHUNK_SIZE];
        loop {
            let n = read_chunk(reader, &mut buf)?;
            let batch = if n == 0 {
                d.finish()
            } else {
                d.push(&buf[..n])
            };
            deliver(&batch, sink)?;
            outcome.counts.add(&batch.counts);
            if batch.stopped.is_some() {
                outcome.stopped = batch.stopped;
                return Ok(outcome);
            }
            if n == 0 {
                return Ok(outcome);
            }
        }
    }

    fn decode_all(
        &mut self,
        input: &[u8],
        meta: &SourceMeta,
        options: &Options,
    ) -> Result<Batch, HostError> {
        let batch = decoder::decode(input, meta.clone(), options.clone(), self.enricher.clone())
            .map_err(HostError::Config)?;
        for d in &batch.documents {
            crate::engine::check_document(d)?;
        }
        Ok(batch)
    }
}
