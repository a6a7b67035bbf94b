//! The WebAssembly component glue: wit-bindgen bindings for `wit/world.wit` and conversions
//! between the generated types and `crate::api`. No logic lives here.

#[expect(
    unsafe_code,
    reason = "wit-bindgen's generated export glue (canonical ABI entry points) is unsafe"
)]
mod bindings {
    //! Generated from `wit/world.wit` (world `plugin`).
    wit_bindgen::generate!({
        world: "plugin",
        path: "../wit",
    });

    use super::Component;
    export!(Component);
}

use crate::api;
use crate::decoder;
use bindings::exports::cloudtrail::ecs::decode::{self as wdecode, GuestDecoder};
use bindings::exports::cloudtrail::ecs::types as wt;
use std::cell::RefCell;
use std::sync::Arc;

/// Small blocks from size-class free lists (see [`crate::small_alloc`] for why).
#[global_allocator]
static ALLOC: crate::small_alloc::SmallAlloc<std::alloc::System> =
    crate::small_alloc::SmallAlloc::new(std::alloc::System);

/// The component's export implementation.
struct Component;

thread_local! {
    /// Per-instance enrichment databases (`set-enrichment`), shared by every decoder created
    /// afterwards. A component instance is single-threaded.
    static ENRICHER: RefCell<Option<Arc<dyn crate::enrich::Enricher + Send + Sync>>> =
        const { RefCell::new(None) };
}

/// The instance's enricher; before any `set-enrichment`, user-agent parsing only (the
/// reference always parses `user_agent.original`).
fn enricher() -> Option<Arc<dyn crate::enrich::Enricher + Send + Sync>> {
    ENRICHER.with(|e| {
        Some(
            e.borrow_mut()
                .get_or_insert_with(crate::enrich::default_enricher)
                .clone(),
        )
    })
}

impl wdecode::Guest for Component {
    type Decoder = DecoderResource;

    fn info() -> wt::ComponentInfo {
        wt::ComponentInfo {
            name: crate::NAME.to_owned(),
            version: crate::VERSION.to_owned(),
            parity_reference: crate::PARITY_REFERENCE.to_owned(),
        }
    }

    fn set_enrichment(
        city: Option<Vec<u8>>,
        asn: Option<Vec<u8>>,
    ) -> Result<(), wt::EnrichmentError> {
        let loaded = crate::enrich::load(city, asn).map_err(enrichment_error)?;
        ENRICHER.with(|e| *e.borrow_mut() = Some(loaded));
        Ok(())
    }

    fn decode(
        input: Vec<u8>,
        meta: wt::SourceMeta,
        options: wt::Options,
    ) -> Result<wt::Batch, wt::ConfigError> {
        decoder::decode(&input, meta_in(meta), options_in(options), enricher())
            .map(batch_out)
            .map_err(config_error)
    }
}

/// The `decoder` resource: one streaming decode session.
struct DecoderResource(RefCell<decoder::Decoder>);

impl GuestDecoder for DecoderResource {
    fn create(
        meta: wt::SourceMeta,
        options: wt::Options,
    ) -> Result<wdecode::Decoder, wt::ConfigError> {
        let d = decoder::Decoder::new(meta_in(meta), options_in(options), enricher())
            .map_err(config_error)?;
        Ok(wdecode::Decoder::new(DecoderResource(RefCell::new(d))))
    }

    fn push(&self, chunk: Vec<u8>) -> wt::Batch {
        batch_out(self.0.borrow_mut().push(&chunk))
    }

    fn finish(&self) -> wt::Batch {
        batch_out(self.0.borrow_mut().finish())
    }
}

fn meta_in(m: wt::SourceMeta) -> api::SourceMeta {
    api::SourceMeta {
        bucket: m.bucket,
        object_key: m.object_key,
        source_name: m.source_name,
        received: m.received,
        namespace: m.namespace,
        firehose_request_id: m.firehose_request_id,
        firehose_source_arn: m.firehose_source_arn,
        common_attributes: m.common_attributes,
    }
}

fn options_in(o: wt::Options) -> api::Options {
    api::Options {
        format: match o.format {
            wt::OutputFormat::Nested => api::OutputFormat::Nested,
            wt::OutputFormat::Flat => api::OutputFormat::Flat,
        },
        input_mode: match o.input_mode {
            wt::InputMode::Auto => api::InputMode::Auto,
            wt::InputMode::MessageLines => api::InputMode::MessageLines,
        },
        retain: o.retain,
        tags: o.tags,
        keep_original: o.keep_original,
        extra_fields: o.extra_fields,
        limits: api::Limits {
            max_decompressed_bytes: o.limits.max_decompressed_bytes,
            max_record_bytes: o.limits.max_record_bytes,
            max_depth: o.limits.max_depth,
            max_records_per_call: o.limits.max_records_per_call,
            max_compression_ratio: o.limits.max_compression_ratio,
            max_payload_string_bytes: o.limits.max_payload_string_bytes,
            max_record_decompressed_bytes: o.limits.max_record_decompressed_bytes,
        },
        filters: filters_in(o.filters),
    }
}

fn filters_in(f: wt::Filters) -> api::Filters {
    api::Filters {
        include_sources: f.include_sources,
        exclude_sources: f.exclude_sources,
        include_events: f.include_events,
        exclude_events: f.exclude_events,
        read_only: f.read_only,
        accounts: f.accounts,
        regions: f.regions,
        event_categories: f.event_categories,
    }
}

fn batch_out(b: api::Batch) -> wt::Batch {
    wt::Batch {
        documents: b
            .documents
            .into_iter()
            .map(|d| wt::Document {
                id: d.id,
                json: d.json,
                kind: match d.kind {
                    api::DocumentKind::Event => wt::DocumentKind::Event,
                    api::DocumentKind::Error => wt::DocumentKind::Error,
                },
                position: d.position,
            })
            .collect(),
        counts: counts_out(b.counts),
        stopped: b.stopped.map(decode_error_out),
    }
}

fn counts_out(c: api::Counts) -> wt::Counts {
    wt::Counts {
        records: c.records,
        documents: c.documents,
        error_documents: c.error_documents,
        skipped: c
            .skipped
            .into_iter()
            .map(|(reason, count)| wt::SkipCount {
                reason: match reason {
                    api::SkipReason::ControlMessage => wt::SkipReason::ControlMessage,
                    api::SkipReason::EmptyRecord => wt::SkipReason::EmptyRecord,
                    api::SkipReason::Filtered => wt::SkipReason::Filtered,
                },
                count,
            })
            .collect(),
        bytes_in: c.bytes_in,
        bytes_decoded: c.bytes_decoded,
        key_mismatches: c.key_mismatches,
        missing_event_time: c.missing_event_time,
    }
}

fn decode_error_out(e: api::DecodeError) -> wt::DecodeError {
    match e {
        api::DecodeError::LimitExceeded(l) => wt::DecodeError::LimitExceeded(wt::LimitError {
            limit: match l.limit {
                api::LimitKind::DecompressedBytes => wt::LimitKind::DecompressedBytes,
                api::LimitKind::RecordBytes => wt::LimitKind::RecordBytes,
                api::LimitKind::NestingDepth => wt::LimitKind::NestingDepth,
                api::LimitKind::RecordsPerCall => wt::LimitKind::RecordsPerCall,
                api::LimitKind::CompressionRatio => wt::LimitKind::CompressionRatio,
                api::LimitKind::PayloadStringBytes => wt::LimitKind::PayloadStringBytes,
            },
            max: l.max,
            actual: l.actual,
        }),
        api::DecodeError::UnrecognizedContent(s) => wt::DecodeError::UnrecognizedContent(s),
        api::DecodeError::Decompression(s) => wt::DecodeError::Decompression(s),
        api::DecodeError::MalformedJson(s) => wt::DecodeError::MalformedJson(s),
        api::DecodeError::NotCloudtrail(s) => wt::DecodeError::NotCloudtrail(s),
        api::DecodeError::Finished => wt::DecodeError::Finished,
    }
}

fn config_error(e: api::ConfigError) -> wt::ConfigError {
    match e {
        api::ConfigError::InvalidNamespace(s) => wt::ConfigError::InvalidNamespace(s),
        api::ConfigError::InvalidExtraFields(s) => wt::ConfigError::InvalidExtraFields(s),
    }
}

fn enrichment_error(e: api::EnrichmentError) -> wt::EnrichmentError {
    match e {
        api::EnrichmentError::InvalidCityDatabase(s) => wt::EnrichmentError::InvalidCityDatabase(s),
        api::EnrichmentError::InvalidAsnDatabase(s) => wt::EnrichmentError::InvalidAsnDatabase(s),
    }
}
