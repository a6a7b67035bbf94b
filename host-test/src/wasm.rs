//! The wasm engine: the component run by wasmtime, sandboxed and capped
//! (`spec/reliability.md` §2.4, §3.5).
//!
//! - One [`WasmRuntime`] per process: one `Engine` (component model, epoch interruption,
//!   cranelift `speed`), the component compiled once, a `Linker` with WASI p2, an `InstancePre`
//!   reused for every instance, and a thread ticking the engine's epoch.
//! - One [`WasmEngine`] per user: it owns at most one live instance (`Store` + bindings). The
//!   store has a WASI context without filesystem, environment, arguments or network, a memory cap
//!   enforced by a limiter that remembers refused growth, and an epoch deadline per call.
//! - A trap poisons a component instance, so after any failed call the instance is dropped and
//!   the next call builds a fresh one (re-applying the enrichment databases); the failure is
//!   reported as "memory limit", "cpu deadline" or "trap: …".

use crate::HostError;
use crate::convert;
use crate::engine::{CHUNK_SIZE, DecodeEngine, EngineKind, Outcome, deliver, read_chunk};
use cloudtrail_ecs_plugin::api::{self, Batch, Document, Options, SourceMeta};
use std::io::{self, Read};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use wasmtime::component::{Component, Linker, ResourceAny, ResourceTable};
use wasmtime::{Config, Engine, OptLevel, ResourceLimiter, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

pub(crate) mod bindings {
    //! Host bindings generated from `wit/world.wit`, world `plugin` (synchronous).
    wasmtime::component::bindgen!({
        world: "plugin",
        path: "../wit",
    });
}

use bindings::{Plugin, PluginPre};

/// Default period of the epoch ticker.
pub const DEFAULT_TICK: Duration = Duration::from_millis(5);

/// A compiled component, ready to instantiate. Cheap to share (`Arc`).
pub struct WasmRuntime {
    engine: Engine,
    pre: PluginPre<HostState>,
    tick: Duration,
    component_bytes: u64,
}

impl WasmRuntime {
    /// Compiles the component at `path` with the default epoch tick.
    pub fn load(path: &Path) -> Result<Arc<Self>, HostError> {
        Self::load_with_tick(path, DEFAULT_TICK)
    }

    /// Compiles the component at `path`; the engine's epoch advances every `tick`.
    pub fn load_with_tick(path: &Path, tick: Duration) -> Result<Arc<Self>, HostError> {
        let setup = |what: &str, e: wasmtime::Error| HostError::Setup(format!("{what}: {e:#}"));
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .cranelift_opt_level(OptLevel::Speed);
        let engine = Engine::new(&config).map_err(|e| setup("engine", e))?;
        let component = Component::from_file(&engine, path)
            .map_err(|e| setup(&format!("compiling {}", path.display()), e))?;
        let mut linker = Linker::<HostState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| setup("linker", e))?;
        let pre = linker
            .instantiate_pre(&component)
            .map_err(|e| setup("pre-instantiation", e))?;
        let pre = PluginPre::new(pre).map_err(|e| setup("component exports", e))?;
        let tick = tick.max(Duration::from_micros(100));
        spawn_ticker(&engine, tick);
        let component_bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        Ok(Arc::new(WasmRuntime {
            engine,
            pre,
            tick,
            component_bytes,
        }))
    }

    /// The component built by `build.rs` ([`crate::PLUGIN_COMPONENT`]), compiled once per
    /// process.
    pub fn shared() -> Result<Arc<Self>, HostError> {
        static SHARED: OnceLock<Result<Arc<WasmRuntime>, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                WasmRuntime::load(Path::new(crate::PLUGIN_COMPONENT)).map_err(|e| e.to_string())
            })
            .clone()
            .map_err(HostError::Setup)
    }

    /// Size of the component file in bytes.
    pub fn component_bytes(&self) -> u64 {
        self.component_bytes
    }

    /// Period of the epoch ticker.
    pub fn tick(&self) -> Duration {
        self.tick
    }
}

/// Advances the engine's epoch every `tick` until the engine is dropped.
fn spawn_ticker(engine: &Engine, tick: Duration) {
    let weak = engine.weak();
    // Losing the ticker would only disable deadlines; a spawn failure is reported by setup of
    // the first deadline-bound call never trapping, so it is not fatal here.
    let _ = std::thread::Builder::new()
        .name("wasm-epoch".into())
        .spawn(move || {
            loop {
                std::thread::sleep(tick);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => return,
                }
            }
        });
}

/// Caps of one instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WasmConfig {
    /// Largest linear memory the guest may grow to, in bytes.
    pub memory_limit: usize,
    /// Wall-clock budget of one call into the guest.
    pub call_deadline: Duration,
}

impl Default for WasmConfig {
    /// 512 MiB, 60 s per call.
    fn default() -> Self {
        WasmConfig {
            memory_limit: 512 << 20,
            call_deadline: Duration::from_secs(60),
        }
    }
}

/// Per-store state: WASI (closed to the outside world) and the limiter.
pub(crate) struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: Limiter,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// `StoreLimits` plus a record of refused memory growth, so a trap that follows it can be
/// reported as "memory limit" (a refused `memory.grow` returns -1 and the Rust guest then
/// aborts, wasmtime#3772).
struct Limiter {
    limits: StoreLimits,
    memory_refused: bool,
    /// Largest linear-memory size granted so far (the guest's peak; memories never shrink).
    peak_memory: usize,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let ok = self.limits.memory_growing(current, desired, maximum)?;
        if ok {
            self.peak_memory = self.peak_memory.max(desired);
        } else {
            self.memory_refused = true;
        }
        Ok(ok)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

/// One live instance.
struct Live {
    store: Store<HostState>,
    plugin: Plugin,
}

/// Databases given with `set-enrichment`, re-applied to every fresh instance.
type GeoIp = (Option<Vec<u8>>, Option<Vec<u8>>);

/// The component behind the [`DecodeEngine`] interface.
pub struct WasmEngine {
    runtime: Arc<WasmRuntime>,
    config: WasmConfig,
    live: Option<Live>,
    geoip: Option<GeoIp>,
}

impl WasmEngine {
    /// An engine on a compiled runtime; the instance is created on first use.
    pub fn new(runtime: Arc<WasmRuntime>, config: WasmConfig) -> Self {
        WasmEngine {
            runtime,
            config,
            live: None,
            geoip: None,
        }
    }

    /// Sets the enrichment databases (see [`DecodeEngine::set_geoip`]) and returns the engine.
    pub fn with_geoip(
        mut self,
        city: Option<Vec<u8>>,
        asn: Option<Vec<u8>>,
    ) -> Result<Self, HostError> {
        self.set_geoip(city, asn)?;
        Ok(self)
    }

    /// The component's `info`.
    pub fn info(&mut self) -> Result<(String, String, String), HostError> {
        let i = self.call(|p, s| p.cloudtrail_ecs_decode().call_info(s))?;
        Ok((i.name, i.version, i.parity_reference))
    }

    /// The caps in force.
    pub fn config(&self) -> WasmConfig {
        self.config
    }

    /// Changes the caps: the deadline applies from the next call, the memory cap from the next
    /// fresh instance.
    pub fn set_config(&mut self, config: WasmConfig) {
        self.config = config;
    }

    /// True while an instance is alive (false after a trap until the next call).
    pub fn has_instance(&self) -> bool {
        self.live.is_some()
    }

    /// Peak linear memory of the live instance in bytes (its memory's size: a wasm memory
    /// grows but never shrinks), or `None` without an instance. Benches report it.
    pub fn peak_memory(&self) -> Option<usize> {
        self.live
            .as_ref()
            .map(|l| l.store.data().limiter.peak_memory)
    }

    fn instantiate(&self) -> Result<Live, HostError> {
        let wasi = WasiCtx::builder()
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        // One component instance per store: rustc's wasm32-wasip2 output is three core
        // instances (the main module plus wit-component's shim and fixup), one linear memory
        // and two tables; the counts leave one spare each, nothing more.
        let limits = StoreLimitsBuilder::new()
            .memory_size(self.config.memory_limit)
            .memories(1)
            .tables(3)
            .table_elements(1 << 16)
            .instances(4)
            .build();
        let state = HostState {
            wasi,
            table: ResourceTable::new(),
            limiter: Limiter {
                limits,
                memory_refused: false,
                peak_memory: 0,
            },
        };
        let mut store = Store::new(&self.runtime.engine, state);
        store.limiter(|s| &mut s.limiter);
        // A batch returned by the guest is lifted out of guest linear memory, which the limiter
        // already caps; wasmtime's separate 128 MiB default for guest→host copies would trap a
        // legitimate large batch (one 1 MiB gzip chunk of CloudTrail can inflate to tens of MiB
        // of documents). Bound the copy by the memory cap instead.
        store.set_hostcall_fuel(self.config.memory_limit.saturating_mul(2));
        store.epoch_deadline_trap();
        store.set_epoch_deadline(self.deadline_ticks());
        let plugin = self
            .runtime
            .pre
            .instantiate(&mut store)
            .map_err(|e| classify(&e, &store, &self.config))?;
        let mut live = Live { store, plugin };
        if let Some((city, asn)) = &self.geoip {
            live.store.set_epoch_deadline(self.deadline_ticks());
            let r = live
                .plugin
                .cloudtrail_ecs_decode()
                .call_set_enrichment(&mut live.store, city.as_deref(), asn.as_deref())
                .map_err(|e| classify(&e, &live.store, &self.config))?;
            r.map_err(|e| HostError::Enrichment(convert::enrichment_error_in(e)))?;
        }
        Ok(live)
    }

    fn deadline_ticks(&self) -> u64 {
        let tick = self.runtime.tick.as_nanos().max(1);
        let ticks = self.config.call_deadline.as_nanos().div_ceil(tick);
        u64::try_from(ticks).unwrap_or(u64::MAX).max(1)
    }

    /// Runs one call on the live instance (creating it first if needed) under a fresh
    /// deadline. Any wasmtime error discards the instance.
    fn call<R>(
        &mut self,
        f: impl FnOnce(&Plugin, &mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<R, HostError> {
        if self.live.is_none() {
            self.live = Some(self.instantiate()?);
        }
        let ticks = self.deadline_ticks();
        let Some(live) = self.live.as_mut() else {
            unreachable!("instance created above")
        };
        live.store.data_mut().limiter.memory_refused = false;
        live.store.set_epoch_deadline(ticks);
        match f(&live.plugin, &mut live.store) {
            Ok(r) => Ok(r),
            Err(e) => {
                let err = classify(&e, &live.store, &self.config);
                self.live = None;
                Err(err)
            }
        }
    }

    fn drop_decoder(&mut self, decoder: ResourceAny) {
        // Best effort: a failure here poisons the instance like any other call.
        let _ = self.call(|_, s| decoder.resource_drop(s));
    }
}

/// Turns a wasmtime error into the host error a user can act on.
fn classify(e: &wasmtime::Error, store: &Store<HostState>, config: &WasmConfig) -> HostError {
    if store.data().limiter.memory_refused {
        return HostError::MemoryLimit {
            limit: config.memory_limit,
        };
    }
    if let Some(wasmtime::Trap::Interrupt) = e.downcast_ref::<wasmtime::Trap>() {
        return HostError::CpuDeadline {
            deadline: config.call_deadline,
        };
    }
    HostError::Trap(format!("{e:#}"))
}

impl DecodeEngine for WasmEngine {
    fn kind(&self) -> EngineKind {
        EngineKind::Wasm
    }

    fn set_geoip(&mut self, city: Option<Vec<u8>>, asn: Option<Vec<u8>>) -> Result<(), HostError> {
        let r = self.call(|p, s| {
            p.cloudtrail_ecs_decode()
                .call_set_enrichment(s, city.as_deref(), asn.as_deref())
        })?;
        r.map_err(|e| HostError::Enrichment(convert::enrichment_error_in(e)))?;
        self.geoip = Some((city, asn));
        Ok(())
    }

    fn decode_stream(
        &mut self,
        reader: &mut dyn Read,
        meta: &SourceMeta,
        options: &Options,
        sink: &mut dyn FnMut(&Document) -> io::Result<()>,
    ) -> Result<Outcome, HostError> {
        let (wmeta, wopts) = (convert::meta_out(meta), convert::options_out(options));
        let decoder = self
            .call(|p, s| {
                p.cloudtrail_ecs_decode()
                    .decoder()
                    .call_create(s, &wmeta, &wopts)
            })?
            .map_err(|e| HostError::Config(convert::config_error_in(e)))?;
        let result = self.stream_into(decoder, reader, sink);
        if self.live.is_some() {
            self.drop_decoder(decoder);
        }
        result
    }

    fn decode_all(
        &mut self,
        input: &[u8],
        meta: &SourceMeta,
        options: &Options,
    ) -> Result<Batch, HostError> {
        let (wmeta, wopts) = (convert::meta_out(meta), convert::options_out(options));
        let batch = self
            .call(|p, s| {
                p.cloudtrail_ecs_decode()
                    .call_decode(s, input, &wmeta, &wopts)
            })?
            .map_err(|e| HostError::Config(convert::config_error_in(e)))?;
        let batch = convert::batch_in(batch);
        for d in &batch.documents {
            crate::engine::check_document(d)?;
        }
        Ok(batch)
    }
}

impl WasmEngine {
    fn stream_into(
        &mut self,
        decoder: ResourceAny,
        reader: &mut dyn Read,
        sink: &mut dyn FnMut(&Document) -> io::Result<()>,
    ) -> Result<Outcome, HostError> {
        let mut outcome = Outcome::default();
        let mut buf = vec![0u8; CHUNK_SIZE];
        loop {
            let n = read_chunk(reader, &mut buf)?;
            let chunk = &buf[..n];
            let batch: api::Batch = convert::batch_in(self.call(|p, s| {
                let d = p.cloudtrail_ecs_decode().decoder();
                if n == 0 {
                    d.call_finish(s, decoder)
                } else {
                    d.call_push(s, decoder, chunk)
                }
            })?);
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
}
