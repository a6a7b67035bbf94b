//! The engine-agnostic decode interface used by the CLI and the tests.

use crate::HostError;
use cloudtrail_ecs_plugin::api::{Batch, Counts, DecodeError, Document, Options, SourceMeta};
use std::io::{self, Read};

/// Bytes handed to the decoder per `push` when streaming.
pub const CHUNK_SIZE: usize = 1 << 20;

/// Which engine runs the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum EngineKind {
    /// The wasm component, through wasmtime.
    #[default]
    Wasm,
    /// The core called natively.
    Native,
}

/// How a whole input went.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Counts summed over every call.
    pub counts: Counts,
    /// Set when decoding stopped before the end of the input.
    pub stopped: Option<DecodeError>,
}

/// A decoder of whole inputs. Implementations keep any per-instance state (enrichment) across
/// inputs.
pub trait DecodeEngine {
    /// Which engine this is.
    fn kind(&self) -> EngineKind;

    /// Give the decoder MaxMind databases (GeoLite2-City, GeoLite2-ASN). `None` clears one.
    fn set_geoip(&mut self, city: Option<Vec<u8>>, asn: Option<Vec<u8>>) -> Result<(), HostError>;

    /// Decode one object read from `reader`, pushed in [`CHUNK_SIZE`] chunks; each completed
    /// document goes to `sink`, in record order. A sink error stops decoding and is returned as
    /// [`HostError::Io`].
    fn decode_stream(
        &mut self,
        reader: &mut dyn Read,
        meta: &SourceMeta,
        options: &Options,
        sink: &mut dyn FnMut(&Document) -> io::Result<()>,
    ) -> Result<Outcome, HostError>;

    /// Decode one whole input in one call (`decode` of the WIT interface).
    fn decode_all(
        &mut self,
        input: &[u8],
        meta: &SourceMeta,
        options: &Options,
    ) -> Result<Batch, HostError>;
}

/// Builds an engine of the given kind. The wasm engine runs `component` (compiled now) or, by
/// default, the component built with this crate (compiled once per process).
pub fn build_engine(
    kind: EngineKind,
    component: Option<&std::path::Path>,
    config: crate::WasmConfig,
) -> Result<Box<dyn DecodeEngine>, HostError> {
    Ok(match kind {
        EngineKind::Native => Box::new(crate::NativeEngine::new()),
        EngineKind::Wasm => {
            let runtime = match component {
                Some(p) => crate::WasmRuntime::load(p)?,
                None => crate::WasmRuntime::shared()?,
            };
            Box::new(crate::WasmEngine::new(runtime, config))
        }
    })
}

/// Fills `buf` from `reader` as far as possible; returns the bytes read (0 only at the end).
/// Full chunks make the push sequence independent of how the reader happens to return data.
pub(crate) fn read_chunk(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Checks what the guest returned before anything is passed on (`spec/reliability.md` §3.5
/// R4): every document is one line of JSON text holding an object.
pub fn check_document(doc: &Document) -> Result<(), HostError> {
    let json = doc.json.as_bytes();
    if json.contains(&b'\n') || json.contains(&b'\r') {
        return Err(HostError::InvalidOutput(format!(
            "document {} contains a line break",
            doc.position
        )));
    }
    if json.first() != Some(&b'{') || json.last() != Some(&b'}') {
        return Err(HostError::InvalidOutput(format!(
            "document {} is not a JSON object",
            doc.position
        )));
    }
    Ok(())
}

/// Sends a batch's documents to the sink after checking them all.
pub(crate) fn deliver(
    batch: &Batch,
    sink: &mut dyn FnMut(&Document) -> io::Result<()>,
) -> Result<(), HostError> {
    for d in &batch.documents {
        check_document(d)?;
    }
    for d in &batch.documents {
        sink(d)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudtrail_ecs_plugin::api::DocumentKind;

    fn doc(json: &str) -> Document {
        Document {
            id: "x".into(),
            json: json.into(),
            kind: DocumentKind::Event,
            position: 3,
        }
    }

    #[test]
    fn check_document_accepts_one_line_objects_and_rejects_the_rest() {
        let table = [
            (r#"{"a":1}"#, true),
            (r#"{"a":"b\nc"}"#, true), // escaped newline is fine
            ("{\"a\":\n1}", false),
            ("{\"a\":1}\r", false),
            ("[1]", false),
            ("", false),
        ];
        for (json, ok) in table {
            assert_eq!(check_document(&doc(json)).is_ok(), ok, "{json:?}");
        }
    }

    #[test]
    fn read_chunk_fills_the_buffer_across_short_reads() {
        struct Trickle(Vec<u8>);
        impl Read for Trickle {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() || buf.is_empty() {
                    return Ok(0);
                }
                buf[0] = self.0.remove(0);
                Ok(1)
            }
        }
        let mut r = Trickle(b"abcdefg".to_vec());
        let mut buf = [0u8; 4];
        assert_eq!(read_chunk(&mut r, &mut buf).unwrap(), 4);
        assert_eq!(&buf, b"abcd");
        assert_eq!(read_chunk(&mut r, &mut buf).unwrap(), 3);
        assert_eq!(read_chunk(&mut r, &mut buf).unwrap(), 0);
    }
}
