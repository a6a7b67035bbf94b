//! The Rust mirror of the WIT types (`wit/world.wit`, interface `types`).
//!
//! The core speaks these types; `component.rs` converts them one-to-one to and from the
//! wit-bindgen types, and the host's native engine uses them directly. Keep the two in step: a
//! field added here is added to the WIT package (with `@since` once 0.1.0 is released).

/// Shape of each output document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OutputFormat {
    /// Nested objects (Elasticsearch `_source` shape).
    #[default]
    Nested,
    /// Dotted keys; `flattened`-type fields keep their object values.
    Flat,
}

/// How input bytes are framed into records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InputMode {
    /// Detect gzip / JSON shapes from the bytes.
    #[default]
    Auto,
    /// Each line is one ingest message, verbatim (Elastic pipeline-test framing).
    MessageLines,
}

/// Where the bytes came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceMeta {
    /// S3 bucket → `aws.s3.bucket.name`.
    pub bucket: Option<String>,
    /// S3 object key → `aws.s3.object.key` (parsed as a CloudTrail key when it has that shape).
    pub object_key: Option<String>,
    /// Other source name (file path) → `log.file.path` when there is no key.
    pub source_name: Option<String>,
    /// Receive/read time as text: `event.created`, and the default `@timestamp`.
    pub received: String,
    /// Data-stream namespace; `None` → no `data_stream.*` fields.
    pub namespace: Option<String>,
    /// Firehose `X-Amz-Firehose-Request-Id` → `aws.firehose.request_id` (else the body's
    /// `requestId`).
    pub firehose_request_id: Option<String>,
    /// Firehose `X-Amz-Firehose-Source-Arn` → `aws.firehose.arn`, `aws.kinesis.name`,
    /// `cloud.region` (before the pipeline overwrites it from `awsRegion`).
    pub firehose_source_arn: Option<String>,
    /// Firehose common attributes (`X-Amz-Firehose-Common-Attributes`), in order →
    /// `aws.firehose.parameters`.
    pub common_attributes: Vec<(String, String)>,
}

/// Per-call behaviour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Nested or flat documents.
    pub format: OutputFormat,
    /// Framing of the input.
    pub input_mode: InputMode,
    /// Elastic `retain` setting (`_conf.retain`); `None` = unset.
    pub retain: Option<String>,
    /// Tags put on every ingest document before mapping.
    pub tags: Vec<String>,
    /// Keep `event.original` (parity: true).
    pub keep_original: bool,
    /// Extra ingest fields as a JSON object text (dotted keys expand).
    pub extra_fields: Option<String>,
    /// Caps on untrusted sizes.
    pub limits: Limits,
    /// Which records to keep (default: all).
    pub filters: Filters,
}

/// Which records to keep (see the WIT `filters` record): applied before mapping; dropped
/// records are counted as skipped with [`SkipReason::Filtered`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters {
    /// Keep only these `eventSource`s.
    pub include_sources: Vec<String>,
    /// Drop these `eventSource`s.
    pub exclude_sources: Vec<String>,
    /// Keep only these `eventName`s.
    pub include_events: Vec<String>,
    /// Drop these `eventName`s.
    pub exclude_events: Vec<String>,
    /// Keep only records whose `readOnly` is this value.
    pub read_only: Option<bool>,
    /// Keep only these accounts (`recipientAccountId`, else `userIdentity.accountId`).
    pub accounts: Vec<String>,
    /// Keep only these `awsRegion`s.
    pub regions: Vec<String>,
    /// Keep only these `eventCategory` values (ASCII case-insensitive).
    pub event_categories: Vec<String>,
}

impl Filters {
    /// True when no filter is set (every record is kept, nothing is parsed for filtering).
    pub fn is_empty(&self) -> bool {
        *self == Filters::default()
    }
}

/// Caps on untrusted sizes (see the WIT `limits` record).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Decompressed bytes of one object.
    pub max_decompressed_bytes: u64,
    /// Bytes of one record's JSON text.
    pub max_record_bytes: u64,
    /// JSON nesting depth of one record.
    pub max_depth: u32,
    /// Records completed by one call.
    pub max_records_per_call: u64,
    /// Inflated / compressed bytes of one gzip stream, checked once more than
    /// [`RATIO_GRACE_BYTES`] were inflated; 0 = no ratio cap.
    pub max_compression_ratio: u64,
    /// Bytes of one Java-string payload copy (`aws.cloudtrail.request_parameters`, …); a longer
    /// copy is dropped and an `error.message` entry names the cap.
    pub max_payload_string_bytes: u64,
    /// Decoded (and inflated) bytes of one Firehose record's `data`.
    pub max_record_decompressed_bytes: u64,
}

/// Inflated bytes allowed before the compression-ratio cap applies (small inputs compress
/// unevenly; a bomb is stopped after at most this much output).
pub const RATIO_GRACE_BYTES: u64 = 16 << 20;

/// Deepest JSON nesting the decoder accepts, whatever `max_depth` says: deeper values would
/// cost call stack in the steps that walk the parsed record.
pub const MAX_DEPTH_CEILING: u32 = 512;

impl Default for Limits {
    /// The defaults of `spec/reliability.md` §2.6.
    fn default() -> Self {
        Limits {
            max_decompressed_bytes: 1 << 30,
            max_record_bytes: 1 << 20,
            max_depth: 128,
            max_records_per_call: 100_000,
            max_compression_ratio: 250,
            max_payload_string_bytes: 1 << 20,
            max_record_decompressed_bytes: 8 << 20,
        }
    }
}

/// Tag that keeps `event.original` (and is added on failure), as in the reference.
pub const TAG_PRESERVE_ORIGINAL: &str = "preserve_original_event";
/// Tag that turns on the entity extraction of the reference (§2.2).
pub const TAG_ACTOR_TARGET: &str = "actor_target_mapping";

impl Default for Options {
    /// The reference test configuration: both tags on, `retain` unset, nested output.
    fn default() -> Self {
        Options {
            format: OutputFormat::Nested,
            input_mode: InputMode::Auto,
            retain: None,
            tags: vec![
                TAG_PRESERVE_ORIGINAL.to_owned(),
                TAG_ACTOR_TARGET.to_owned(),
            ],
            keep_original: true,
            extra_fields: None,
            limits: Limits::default(),
            filters: Filters::default(),
        }
    }
}

/// Why a record produced no document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    /// CloudWatch Logs `CONTROL_MESSAGE`.
    ControlMessage,
    /// Empty record.
    EmptyRecord,
    /// Excluded by a filter.
    Filtered,
}

/// Counts for one call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Records seen.
    pub records: u64,
    /// Normal documents.
    pub documents: u64,
    /// Error documents.
    pub error_documents: u64,
    /// Skips by reason (each reason at most once, in `SkipReason` order).
    pub skipped: Vec<(SkipReason, u64)>,
    /// Input bytes received.
    pub bytes_in: u64,
    /// Decompressed bytes consumed.
    pub bytes_decoded: u64,
    /// Records contradicting the object key's account/region.
    pub key_mismatches: u64,
    /// Records without a usable `eventTime`.
    pub missing_event_time: u64,
}

impl Counts {
    /// Count one skip.
    pub fn skip(&mut self, reason: SkipReason) {
        self.records += 1;
        match self.skipped.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, n)) => *n += 1,
            None => {
                self.skipped.push((reason, 1));
                self.skipped.sort();
            }
        }
    }

    /// Total skipped records.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.iter().map(|(_, n)| n).sum()
    }

    /// Add another call's counts to these.
    pub fn add(&mut self, other: &Counts) {
        self.records += other.records;
        self.documents += other.documents;
        self.error_documents += other.error_documents;
        for &(reason, n) in &other.skipped {
            match self.skipped.iter_mut().find(|(r, _)| *r == reason) {
                Some((_, m)) => *m += n,
                None => {
                    self.skipped.push((reason, n));
                    self.skipped.sort();
                }
            }
        }
        self.bytes_in += other.bytes_in;
        self.bytes_decoded += other.bytes_decoded;
        self.key_mismatches += other.key_mismatches;
        self.missing_event_time += other.missing_event_time;
    }

    /// The accounting invariant: every record became a document, an error document or a skip.
    pub fn balanced(&self) -> bool {
        self.records == self.documents + self.error_documents + self.skipped_total()
    }
}

/// Kind of an output document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentKind {
    /// A normalized record.
    Event,
    /// An error document (`event.kind: pipeline_error`).
    Error,
}

/// One output document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// Deterministic id (see the WIT docs).
    pub id: String,
    /// One line of JSON.
    pub json: String,
    /// Event or error.
    pub kind: DocumentKind,
    /// Zero-based record position in the object or request.
    pub position: u64,
}

/// Caps on untrusted sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitKind {
    /// Decompressed bytes of one object.
    DecompressedBytes,
    /// Bytes of one record.
    RecordBytes,
    /// JSON nesting depth.
    NestingDepth,
    /// Records in one call.
    RecordsPerCall,
    /// Inflated / compressed bytes of a gzip stream.
    CompressionRatio,
    /// Bytes of one payload string copy.
    PayloadStringBytes,
}

impl LimitKind {
    /// The `limits` field that sets this cap (for messages).
    pub fn field_name(self) -> &'static str {
        match self {
            LimitKind::DecompressedBytes => "max_decompressed_bytes",
            LimitKind::RecordBytes => "max_record_bytes",
            LimitKind::NestingDepth => "max_depth",
            LimitKind::RecordsPerCall => "max_records_per_call",
            LimitKind::CompressionRatio => "max_compression_ratio",
            LimitKind::PayloadStringBytes => "max_payload_string_bytes",
        }
    }
}

/// A cap that was hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitError {
    /// Which cap.
    pub limit: LimitKind,
    /// The cap.
    pub max: u64,
    /// The size seen or reached.
    pub actual: u64,
}

/// Why decoding stopped early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// A cap was exceeded.
    LimitExceeded(LimitError),
    /// Neither gzip nor JSON (first bytes in hex).
    UnrecognizedContent(String),
    /// Corrupt or truncated gzip.
    Decompression(String),
    /// Broken JSON framing.
    MalformedJson(String),
    /// Valid JSON that is not CloudTrail.
    NotCloudtrail(String),
    /// The decoder already finished.
    Finished,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::LimitExceeded(l) => write!(
                f,
                "limit exceeded: {:?} is capped at {} by {} (saw {})",
                l.limit,
                l.max,
                l.limit.field_name(),
                l.actual
            ),
            DecodeError::UnrecognizedContent(s) => write!(f, "unrecognized content: {s}"),
            DecodeError::Decompression(s) => write!(f, "decompression failed: {s}"),
            DecodeError::MalformedJson(s) => write!(f, "malformed json: {s}"),
            DecodeError::NotCloudtrail(s) => write!(f, "not cloudtrail: {s}"),
            DecodeError::Finished => f.write_str("decoder already finished"),
        }
    }
}

/// Result of one call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    /// Documents completed by this call, in record order.
    pub documents: Vec<Document>,
    /// This call's counts.
    pub counts: Counts,
    /// Set when decoding stopped early.
    pub stopped: Option<DecodeError>,
}

/// Invalid configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// Namespace breaks data-stream naming rules.
    InvalidNamespace(String),
    /// `extra_fields` is not a JSON object.
    InvalidExtraFields(String),
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::InvalidNamespace(s) => write!(f, "invalid namespace: {s}"),
            ConfigError::InvalidExtraFields(s) => write!(f, "invalid extra fields: {s}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Invalid enrichment database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnrichmentError {
    /// City database unreadable.
    InvalidCityDatabase(String),
    /// ASN database unreadable.
    InvalidAsnDatabase(String),
}

impl std::fmt::Display for EnrichmentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EnrichmentError::InvalidCityDatabase(s) => {
                write!(f, "invalid GeoIP city database: {s}")
            }
            EnrichmentError::InvalidAsnDatabase(s) => write!(f, "invalid GeoIP ASN database: {s}"),
        }
    }
}

impl std::error::Error for EnrichmentError {}
