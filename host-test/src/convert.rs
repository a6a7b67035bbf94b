//! Conversions between the wasmtime bindgen types of `wit/world.wit` and the core's
//! `cloudtrail_ecs_plugin::api` types, one-to-one, in one place.

use crate::wasm::bindings::exports::cloudtrail::ecs::types as wt;
use cloudtrail_ecs_plugin::api;

pub(crate) fn meta_out(m: &api::SourceMeta) -> wt::SourceMeta {
    wt::SourceMeta {
        bucket: m.bucket.clone(),
        object_key: m.object_key.clone(),
        source_name: m.source_name.clone(),
        received: m.received.clone(),
        namespace: m.namespace.clone(),
        firehose_request_id: m.firehose_request_id.clone(),
        firehose_source_arn: m.firehose_source_arn.clone(),
        common_attributes: m.common_attributes.clone(),
    }
}

pub(crate) fn options_out(o: &api::Options) -> wt::Options {
    wt::Options {
        format: match o.format {
            api::OutputFormat::Nested => wt::OutputFormat::Nested,
            api::OutputFormat::Flat => wt::OutputFormat::Flat,
        },
        input_mode: match o.input_mode {
            api::InputMode::Auto => wt::InputMode::Auto,
            api::InputMode::MessageLines => wt::InputMode::MessageLines,
        },
        retain: o.retain.clone(),
        tags: o.tags.clone(),
        keep_original: o.keep_original,
        extra_fields: o.extra_fields.clone(),
        limits: wt::Limits {
            max_decompressed_bytes: o.limits.max_decompressed_bytes,
            max_record_bytes: o.limits.max_record_bytes,
            max_depth: o.limits.max_depth,
            max_records_per_call: o.limits.max_records_per_call,
            max_compression_ratio: o.limits.max_compression_ratio,
            max_payload_string_bytes: o.limits.max_payload_string_bytes,
            max_record_decompressed_bytes: o.limits.max_record_decompressed_bytes,
        },
        filters: filters_out(&o.filters),
    }
}

fn filters_out(f: &api::Filters) -> wt::Filters {
    wt::Filters {
        include_sources: f.include_sources.clone(),
        exclude_sources: f.exclude_sources.clone(),
        include_events: f.include_events.clone(),
        exclude_events: f.exclude_events.clone(),
        read_only: f.read_only,
        accounts: f.accounts.clone(),
        regions: f.regions.clone(),
        event_categories: f.event_categories.clone(),
    }
}

pub(crate) fn batch_in(b: wt::Batch) -> api::Batch {
    api::Batch {
        documents: b
            .documents
            .into_iter()
            .map(|d| api::Document {
                id: d.id,
                json: d.json,
                kind: match d.kind {
                    wt::DocumentKind::Event => api::DocumentKind::Event,
                    wt::DocumentKind::Error => api::DocumentKind::Error,
                },
                position: d.position,
            })
            .collect(),
        counts: counts_in(b.counts),
        stopped: b.stopped.map(decode_error_in),
    }
}

fn counts_in(c: wt::Counts) -> api::Counts {
    let mut skipped: Vec<(api::SkipReason, u64)> = c
        .skipped
        .into_iter()
        .map(|s| {
            let reason = match s.reason {
                wt::SkipReason::ControlMessage => api::SkipReason::ControlMessage,
                wt::SkipReason::EmptyRecord => api::SkipReason::EmptyRecord,
                wt::SkipReason::Filtered => api::SkipReason::Filtered,
            };
            (reason, s.count)
        })
        .collect();
    skipped.sort();
    api::Counts {
        records: c.records,
        documents: c.documents,
        error_documents: c.error_documents,
        skipped,
        bytes_in: c.bytes_in,
        bytes_decoded: c.bytes_decoded,
        key_mismatches: c.key_mismatches,
        missing_event_time: c.missing_event_time,
    }
}

fn decode_error_in(e: wt::DecodeError) -> api::DecodeError {
    match e {
        wt::DecodeError::LimitExceeded(l) => api::DecodeError::LimitExceeded(api::LimitError {
            limit: match l.limit {
                wt::LimitKind::DecompressedBytes => api::LimitKind::DecompressedBytes,
                wt::LimitKind::RecordBytes => api::LimitKind::RecordBytes,
                wt::LimitKind::NestingDepth => api::LimitKind::NestingDepth,
                wt::LimitKind::RecordsPerCall => api::LimitKind::RecordsPerCall,
                wt::LimitKind::CompressionRatio => api::LimitKind::CompressionRatio,
                wt::LimitKind::PayloadStringBytes => api::LimitKind::PayloadStringBytes,
            },
            max: l.max,
            actual: l.actual,
        }),
        wt::DecodeError::UnrecognizedContent(s) => api::DecodeError::UnrecognizedContent(s),
        wt::DecodeError::Decompression(s) => api::DecodeError::Decompression(s),
        wt::DecodeError::MalformedJson(s) => api::DecodeError::MalformedJson(s),
        wt::DecodeError::NotCloudtrail(s) => api::DecodeError::NotCloudtrail(s),
        wt::DecodeError::Finished => api::DecodeError::Finished,
    }
}

pub(crate) fn config_error_in(e: wt::ConfigError) -> api::ConfigError {
    match e {
        wt::ConfigError::InvalidNamespace(s) => api::ConfigError::InvalidNamespace(s),
        wt::ConfigError::InvalidExtraFields(s) => api::ConfigError::InvalidExtraFields(s),
    }
}

pub(crate) fn enrichment_error_in(e: wt::EnrichmentError) -> api::EnrichmentError {
    match e {
        wt::EnrichmentError::InvalidCityDatabase(s) => api::EnrichmentError::InvalidCityDatabase(s),
        wt::EnrichmentError::InvalidAsnDatabase(s) => api::EnrichmentError::InvalidAsnDatabase(s),
    }
}
