//! A Firehose HTTP-endpoint destination (`spec/input-formats.md` §2, §5;
//! `spec/reliability.md` §3.4, §3.5): `cloudtrail-ecs serve`.
//!
//! One POST (any path) is one Firehose delivery. Checks, in order, each answered with the
//! protocol's JSON response (`{"requestId":…,"timestamp":<ms>}` plus `errorMessage`,
//! `Content-Type: application/json`):
//! 1. method POST, else 405;
//! 2. `X-Amz-Firehose-Access-Key` equal to the configured key (compared in constant time, as
//!    SHA-256 digests so the key's length does not leak either), else 401; no key configured →
//!    every request is accepted;
//! 3. `X-Amz-Firehose-Request-Id` present (it is echoed and becomes `aws.firehose.request_id`),
//!    `X-Amz-Firehose-Protocol-Version` absent or `1.0`, `Content-Encoding` absent, `identity`
//!    or `gzip` (the component sniffs gzip from the bytes either way), a well-formed
//!    `X-Amz-Firehose-Common-Attributes` when present; else 400;
//! 4. the body at most `max_body_bytes` (`Content-Length` checked first, then counted while
//!    reading, before buffering more), else 413 — the only status Firehose treats as permanent;
//! 5. the component decodes the body on one engine of a small pool (one request per instance
//!    at a time; a trap discards the instance and the next call gets a fresh one):
//!    - decoding stopped (not JSON, no `records` array, truncated body, …) → 400 and no
//!      documents are written; the decompressed-bytes cap (set to `max_body_bytes`, the
//!      protocol's limit before compression) → 413;
//!    - otherwise every record was handled (document, error document or counted skip): the
//!      documents are appended to the output as NDJSON, one request's lines together under a
//!      lock, and only then 200 is answered (so a 200 means written);
//! 6. our own failures (trap, memory or CPU limit, write error) → 500; Firehose retries them.
//!
//! Each request logs one line to stderr: request id (sanitized), status, counts, bytes, time.
//! Keys and payload content are never logged. Responses also carry
//! `X-Cloudtrail-Ecs-Counts: records=… documents=… errors=… skipped=…` for operators and tests.
//!
//! TLS is not terminated here: Firehose only delivers to HTTPS URLs, so run this behind a TLS
//! proxy or load balancer.

use crate::engine::{DecodeEngine, EngineKind};
use crate::{HostError, NativeEngine, WasmConfig, WasmEngine, WasmRuntime};
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cloudtrail_ecs_plugin::api::{Counts, DecodeError, LimitKind, Options, SkipReason, SourceMeta};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use subtle::ConstantTimeEq;

/// Longest `errorMessage` sent back (the protocol allows 8192 characters).
const MAX_ERROR_MESSAGE: usize = 8192;
/// Longest request id shown in the log.
const MAX_LOGGED_ID: usize = 128;

/// GeoLite2 City and ASN database bytes.
pub type GeoIpDatabases = (Option<Vec<u8>>, Option<Vec<u8>>);

/// How the server runs.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// Engine running the component.
    pub engine: EngineKind,
    /// Component to load (default: the one built with this binary).
    pub component: Option<PathBuf>,
    /// Caps of each wasm instance (memory, per-call deadline).
    pub wasm: WasmConfig,
    /// Engines in the pool: requests decoded at the same time.
    pub workers: usize,
    /// Expected `X-Amz-Firehose-Access-Key`; `None` accepts every request.
    pub access_key: Option<String>,
    /// Largest request body accepted, in bytes (as received, compressed or not); also the cap
    /// on its decompressed size.
    pub max_body_bytes: u64,
    /// Data-stream namespace of the documents.
    pub namespace: String,
    /// Decode options (format, tags, retain, limits); `limits.max_decompressed_bytes` is set
    /// from `max_body_bytes`.
    pub options: Options,
    /// GeoLite2 City and ASN databases (`None`: no GeoIP; user agents are parsed anyway).
    pub geoip: Option<GeoIpDatabases>,
}

impl Default for ServeConfig {
    /// Wasm engine, two workers, no key, 64 MiB bodies, namespace `default`, no tags (Elastic's
    /// Firehose path has none, `spec/elastic-parity.md` §4).
    fn default() -> Self {
        ServeConfig {
            engine: EngineKind::Wasm,
            component: None,
            wasm: WasmConfig::default(),
            workers: 2,
            access_key: None,
            max_body_bytes: 64 << 20,
            namespace: "default".into(),
            options: Options {
                tags: Vec::new(),
                ..Options::default()
            },
            geoip: None,
        }
    }
}

/// Where documents go: any writer, shared by the workers.
pub type Output = Box<dyn Write + Send>;

/// An engine that can move to a blocking thread.
type PooledEngine = Box<dyn DecodeEngine + Send>;

struct Shared {
    config: ServeConfig,
    key_digest: Option<[u8; 32]>,
    runtime: Option<Arc<WasmRuntime>>,
    pool: Mutex<Vec<PooledEngine>>,
    permits: tokio::sync::Semaphore,
    out: Mutex<Output>,
}

impl Shared {
    fn new_engine(&self) -> Result<PooledEngine, HostError> {
        let mut engine: PooledEngine = match (&self.runtime, self.config.engine) {
            (Some(rt), EngineKind::Wasm) => Box::new(WasmEngine::new(rt.clone(), self.config.wasm)),
            _ => Box::new(NativeEngine::new()),
        };
        // Always: the enricher also parses `user_agent` (no database needed), as `decode` does.
        let (city, asn) = self.config.geoip.clone().unwrap_or((None, None));
        engine.set_geoip(city, asn)?;
        Ok(engine)
    }
}

/// A running server (on its own thread and runtime).
pub struct Handle {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), HostError>>>,
}

impl Handle {
    /// The bound address (useful after binding port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets requests in flight finish, and waits for the server thread.
    pub fn stop(mut self) -> Result<(), HostError> {
        self.stop_inner()
    }

    /// Waits until the server ends by itself (Ctrl-C for the CLI). The stop sender stays
    /// alive meanwhile: dropping it would stop the server.
    pub fn wait(mut self) -> Result<(), HostError> {
        self.join()
    }

    fn stop_inner(&mut self) -> Result<(), HostError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.join()
    }

    fn join(&mut self) -> Result<(), HostError> {
        match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(HostError::Setup("server thread panicked".into()))),
            None => Ok(()),
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        let _ = self.stop_inner();
    }
}

/// Binds `addr`, builds the engine pool and serves on a new thread until [`Handle::stop`] (or,
/// with `ctrl_c`, until the process is interrupted).
pub fn spawn(
    config: ServeConfig,
    addr: SocketAddr,
    out: Output,
    ctrl_c: bool,
) -> Result<Handle, HostError> {
    let runtime = match config.engine {
        EngineKind::Wasm => Some(match &config.component {
            Some(p) => WasmRuntime::load(p)?,
            None => WasmRuntime::shared()?,
        }),
        EngineKind::Native => None,
    };
    let workers = config.workers.max(1);
    let key_digest = config
        .access_key
        .as_ref()
        .map(|k| Sha256::digest(k.as_bytes()).into());
    let mut shared = Shared {
        config,
        key_digest,
        runtime,
        pool: Mutex::new(Vec::new()),
        permits: tokio::sync::Semaphore::new(workers),
        out: Mutex::new(out),
    };
    shared.config.options.limits.max_decompressed_bytes = shared.config.max_body_bytes;
    let engines = (0..workers)
        .map(|_| shared.new_engine())
        .collect::<Result<Vec<_>, _>>()?;
    *shared.pool.lock().unwrap_or_else(|e| e.into_inner()) = engines;
    let shared = Arc::new(shared);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("serve")
        .build()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind(addr))?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = Router::new()
        .fallback(handle)
        .layer(DefaultBodyLimit::disable())
        .with_state(shared);
    let thread = std::thread::Builder::new()
        .name("serve-main".into())
        .spawn(move || {
            rt.block_on(async move {
                let stop = async move {
                    if ctrl_c {
                        tokio::select! {
                            _ = rx => {}
                            _ = tokio::signal::ctrl_c() => {}
                        }
                    } else {
                        let _ = rx.await;
                    }
                };
                axum::serve(listener, app)
                    .with_graceful_shutdown(stop)
                    .await
                    .map_err(HostError::Io)
            })
        })?;
    Ok(Handle {
        addr,
        shutdown: Some(tx),
        thread: Some(thread),
    })
}

/// What one request came to.
struct Reply {
    status: StatusCode,
    request_id: String,
    error: Option<String>,
    counts: Option<Counts>,
}

impl Reply {
    fn error(status: StatusCode, request_id: &str, msg: impl Into<String>) -> Reply {
        Reply {
            status,
            request_id: request_id.to_owned(),
            error: Some(msg.into()),
            counts: None,
        }
    }

    fn into_response(self) -> Response {
        let mut body = serde_json::Map::new();
        body.insert("requestId".into(), self.request_id.into());
        body.insert("timestamp".into(), now_ms().into());
        if let Some(e) = self.error {
            let e: String = e.chars().take(MAX_ERROR_MESSAGE).collect();
            body.insert("errorMessage".into(), e.into());
        }
        let mut resp = (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::Value::Object(body).to_string(),
        )
            .into_response();
        if let Some(c) = &self.counts
            && let Ok(v) = HeaderValue::from_str(&format!(
                "records={} documents={} errors={} skipped={}",
                c.records,
                c.documents,
                c.error_documents,
                c.skipped_total()
            ))
        {
            resp.headers_mut().insert("x-cloudtrail-ecs-counts", v);
        }
        resp
    }
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let started = Instant::now();
    let (reply, bytes) = process(&shared, req).await;
    log_line(&reply, bytes, started);
    reply.into_response()
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn process(shared: &Arc<Shared>, req: Request) -> (Reply, u64) {
    let headers = req.headers().clone();
    let request_id = header_str(&headers, "x-amz-firehose-request-id")
        .unwrap_or("")
        .to_owned();
    if req.method() != Method::POST {
        let r = Reply::error(
            StatusCode::METHOD_NOT_ALLOWED,
            &request_id,
            "only POST deliveries are accepted",
        );
        return (r, 0);
    }
    if let Some(expected) = &shared.key_digest {
        let given = headers
            .get("x-amz-firehose-access-key")
            .map(|v| Sha256::digest(v.as_bytes()));
        let ok = given.is_some_and(|g| bool::from(g.as_slice().ct_eq(expected.as_slice())));
        if !ok {
            let r = Reply::error(
                StatusCode::UNAUTHORIZED,
                &request_id,
                "missing or invalid X-Amz-Firehose-Access-Key",
            );
            return (r, 0);
        }
    }
    if let Err(msg) = check_headers(&headers) {
        return (Reply::error(StatusCode::BAD_REQUEST, &request_id, msg), 0);
    }
    let attributes = match common_attributes(&headers) {
        Ok(a) => a,
        Err(msg) => return (Reply::error(StatusCode::BAD_REQUEST, &request_id, msg), 0),
    };
    let max = shared.config.max_body_bytes;
    let body = match read_body(req.into_body(), &headers, max).await {
        Ok(b) => b,
        Err(reply) => return (reply(&request_id), 0),
    };
    let bytes = body.len() as u64;
    let meta = SourceMeta {
        received: crate::cli::time::now_rfc3339(),
        namespace: Some(shared.config.namespace.clone()),
        firehose_request_id: Some(request_id.clone()),
        firehose_source_arn: header_str(&headers, "x-amz-firehose-source-arn").map(str::to_owned),
        common_attributes: attributes,
        ..SourceMeta::default()
    };
    (
        decode_and_write(shared, body, meta, request_id).await,
        bytes,
    )
}

/// Request id, protocol version and content encoding.
fn check_headers(headers: &HeaderMap) -> Result<(), String> {
    match header_str(headers, "x-amz-firehose-request-id") {
        Some(id) if !id.is_empty() => {}
        _ => return Err("missing X-Amz-Firehose-Request-Id".into()),
    }
    if let Some(v) = headers.get("x-amz-firehose-protocol-version")
        && v.as_bytes() != b"1.0"
    {
        return Err("unsupported X-Amz-Firehose-Protocol-Version (only 1.0)".into());
    }
    for v in headers.get_all(header::CONTENT_ENCODING) {
        let ok = v.to_str().is_ok_and(|s| {
            s.split(',')
                .map(str::trim)
                .all(|e| e.eq_ignore_ascii_case("gzip") || e.eq_ignore_ascii_case("identity"))
        });
        if !ok {
            return Err("unsupported Content-Encoding (only gzip)".into());
        }
    }
    Ok(())
}

/// `X-Amz-Firehose-Common-Attributes: {"commonAttributes":{"k":"v",…}}` (keys sorted).
fn common_attributes(headers: &HeaderMap) -> Result<Vec<(String, String)>, String> {
    let Some(v) = headers.get("x-amz-firehose-common-attributes") else {
        return Ok(Vec::new());
    };
    let bad = || "invalid X-Amz-Firehose-Common-Attributes".to_owned();
    let parsed: serde_json::Value = serde_json::from_slice(v.as_bytes()).map_err(|_| bad())?;
    let Some(map) = parsed.get("commonAttributes").and_then(|m| m.as_object()) else {
        return Err(bad());
    };
    map.iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => Ok((k.clone(), s.clone())),
            _ => Err(bad()),
        })
        .collect()
}

type ReplyFn = Box<dyn FnOnce(&str) -> Reply + Send>;

fn too_large(max: u64) -> ReplyFn {
    Box::new(move |id| {
        Reply::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            id,
            format!("request body over the limit of {max} bytes"),
        )
    })
}

/// Reads the body, refusing more than `max` bytes as soon as they arrive.
async fn read_body(mut body: Body, headers: &HeaderMap, max: u64) -> Result<Vec<u8>, ReplyFn> {
    let declared = header_str(headers, "content-length").and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(too_large(max));
    }
    let mut buf = Vec::with_capacity(declared.map_or(0, |n| usize::try_from(n).unwrap_or(0)));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| -> ReplyFn {
            let msg = format!("reading the request body failed: {e}");
            Box::new(move |id| Reply::error(StatusCode::BAD_REQUEST, id, msg))
        })?;
        if let Ok(data) = frame.into_data() {
            if buf.len() as u64 + data.len() as u64 > max {
                return Err(too_large(max));
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf)
}

async fn decode_and_write(
    shared: &Arc<Shared>,
    body: Vec<u8>,
    meta: SourceMeta,
    request_id: String,
) -> Reply {
    let Ok(_permit) = shared.permits.acquire().await else {
        return Reply::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &request_id,
            "shutting down",
        );
    };
    let engine = shared.pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
    let task_shared = shared.clone();
    let task_id = request_id.clone();
    let joined = tokio::task::spawn_blocking(move || {
        let mut engine = match engine {
            Some(e) => e,
            None => match task_shared.new_engine() {
                Ok(e) => e,
                Err(e) => {
                    let r =
                        Reply::error(StatusCode::INTERNAL_SERVER_ERROR, &task_id, e.to_string());
                    return (None, r);
                }
            },
        };
        let reply = run_one(&task_shared, engine.as_mut(), &body, &meta, &task_id);
        (Some(engine), reply)
    })
    .await;
    match joined {
        Ok((engine, reply)) => {
            if let Some(e) = engine {
                shared
                    .pool
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(e);
            }
            reply
        }
        Err(e) => Reply::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &request_id,
            format!("decode task failed: {e}"),
        ),
    }
}

/// Decodes one body on `engine` and writes its documents; the reply says how it went.
fn run_one(
    shared: &Shared,
    engine: &mut dyn DecodeEngine,
    body: &[u8],
    meta: &SourceMeta,
    request_id: &str,
) -> Reply {
    let mut lines: Vec<String> = Vec::new();
    let outcome = engine.decode_stream(&mut &body[..], meta, &shared.config.options, &mut |d| {
        lines.push(d.json.clone());
        Ok(())
    });
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            return Reply::error(StatusCode::INTERNAL_SERVER_ERROR, request_id, e.to_string());
        }
    };
    if let Some(stop) = &outcome.stopped {
        let status = match stop {
            DecodeError::LimitExceeded(l) if l.limit == LimitKind::DecompressedBytes => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            _ => StatusCode::BAD_REQUEST,
        };
        let mut r = Reply::error(status, request_id, format!("request body rejected: {stop}"));
        r.counts = Some(outcome.counts);
        return r;
    }
    if !lines.is_empty() {
        let mut out = shared.out.lock().unwrap_or_else(|e| e.into_inner());
        let mut block = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
        for l in &lines {
            block.push_str(l);
            block.push('\n');
        }
        if let Err(e) = out.write_all(block.as_bytes()).and_then(|()| out.flush()) {
            let mut r = Reply::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                request_id,
                format!("writing the documents failed: {e}"),
            );
            r.counts = Some(outcome.counts);
            return r;
        }
    }
    Reply {
        status: StatusCode::OK,
        request_id: request_id.to_owned(),
        error: None,
        counts: Some(outcome.counts),
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Printable, bounded request id for the log.
fn loggable(id: &str) -> String {
    let mut s: String = id
        .chars()
        .take(MAX_LOGGED_ID)
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect();
    if s.is_empty() {
        s.push('-');
    }
    s
}

fn log_line(reply: &Reply, bytes: u64, started: Instant) {
    let skip = |c: &Counts, r: SkipReason| {
        c.skipped
            .iter()
            .find(|(x, _)| *x == r)
            .map_or(0, |(_, n)| *n)
    };
    let counts = reply.counts.as_ref().map_or_else(String::new, |c| {
        format!(
            " records={} documents={} errors={} skipped={} control={} empty={}",
            c.records,
            c.documents,
            c.error_documents,
            c.skipped_total(),
            skip(c, SkipReason::ControlMessage),
            skip(c, SkipReason::EmptyRecord)
        )
    });
    eprintln!(
        "request_id={} status={}{counts} bytes={bytes} ms={}",
        loggable(&reply.request_id),
        reply.status.as_u16(),
        started.elapsed().as_millis()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    #[test]
    fn header_checks_accept_the_protocol_and_refuse_the_rest() {
        let id = ("x-amz-firehose-request-id", "r-1");
        let cases: &[(&[(&'static str, &str)], bool)] = &[
            (&[id], true),
            (&[id, ("x-amz-firehose-protocol-version", "1.0")], true),
            (&[id, ("content-encoding", "gzip")], true),
            (&[id, ("content-encoding", "GZIP")], true),
            (&[id, ("content-encoding", "identity")], true),
            (&[], false),
            (&[("x-amz-firehose-request-id", "")], false),
            (&[id, ("x-amz-firehose-protocol-version", "2.0")], false),
            (&[id, ("content-encoding", "br")], false),
            (&[id, ("content-encoding", "gzip, deflate")], false),
        ];
        for (h, ok) in cases {
            assert_eq!(check_headers(&headers(h)).is_ok(), *ok, "{h:?}");
        }
    }

    #[test]
    fn common_attributes_are_parsed_or_refused() {
        let h = headers(&[(
            "x-amz-firehose-common-attributes",
            r#"{"commonAttributes":{"source":"cloudtrail","b":""}}"#,
        )]);
        assert_eq!(
            common_attributes(&h),
            Ok(vec![
                ("b".into(), String::new()),
                ("source".into(), "cloudtrail".into())
            ])
        );
        assert_eq!(common_attributes(&HeaderMap::new()), Ok(vec![]));
        for bad in [
            "not json",
            r#"{"other":{}}"#,
            r#"{"commonAttributes":{"a":1}}"#,
        ] {
            let h = headers(&[("x-amz-firehose-common-attributes", bad)]);
            assert!(common_attributes(&h).is_err(), "{bad}");
        }
    }

    #[test]
    fn logged_request_ids_are_printable_and_bounded() {
        assert_eq!(loggable("abc-1"), "abc-1");
        assert_eq!(loggable(""), "-");
        assert_eq!(loggable("a b\nc"), "a?b?c");
        assert_eq!(loggable(&"x".repeat(500)).len(), MAX_LOGGED_ID);
    }
}
