// Loading the cloudtrail-ecs component in Node.js through jco: find the `.wasm` the Rust host
// builds, transpile it once (cached by content hash under `<workspace>/target/jco/`), and
// instantiate it with preview2-shim's WASI closed to the outside world (no files, environment,
// arguments or network), as the wasmtime host does.

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transpile } from '@bytecodealliance/jco';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root (this file is `host-test/node/component.mjs`). */
export const workspace = path.resolve(here, '..', '..');

/** WASI version the component imports (its imports are named `wasi:…@0.2.N`). */
const WASI_VERSION_RE = /^wasi:[^@]+@(\d+\.\d+\.\d+)$/;

/**
 * The component path: `explicit`, else `$CLOUDTRAIL_ECS_COMPONENT`, else what
 * `cloudtrail-ecs component-path` prints (cargo builds the host and the component first).
 */
export function componentPath(explicit) {
  if (explicit) return explicit;
  if (process.env.CLOUDTRAIL_ECS_COMPONENT) return process.env.CLOUDTRAIL_ECS_COMPONENT;
  const out = execFileSync(
    'cargo',
    ['run', '--quiet', '--bin', 'cloudtrail-ecs', '--', 'component-path'],
    { cwd: workspace, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return out.trim();
}

/**
 * Transpiles the component at `wasmPath` into `<cacheRoot>/<sha256 prefix>/` unless that is
 * already there; returns the directory. Written to a temporary directory and renamed, so
 * concurrent runs never see a half-written cache.
 */
export async function transpiled(wasmPath, cacheRoot = path.join(workspace, 'target', 'jco')) {
  const bytes = fs.readFileSync(wasmPath);
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  const dir = path.join(cacheRoot, hash);
  if (fs.existsSync(path.join(dir, 'plugin.js'))) return dir;
  const { files } = await transpile(bytes, {
    name: 'plugin',
    instantiation: 'async',
    noTypescript: true,
    quiet: true,
  });
  fs.mkdirSync(cacheRoot, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(cacheRoot, `.${hash}-`));
  for (const [name, data] of Object.entries(files)) {
    const file = path.join(tmp, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, data);
  }
  try {
    fs.renameSync(tmp, dir);
  } catch (e) {
    // Another run won the race: use its copy.
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(path.join(dir, 'plugin.js'))) throw e;
  }
  return dir;
}

/** Instantiates the transpiled component in `dir`; returns its `decode` interface. */
export async function instantiate(dir) {
  const mod = await import(pathToFileURL(path.join(dir, 'plugin.js')).href);
  const shim = new WASIShim({
    sandbox: { preopens: {}, env: {}, args: ['cloudtrail-ecs'], enableNetwork: false },
  });
  // jco looks imports up by unversioned names (`wasi:cli/environment`) in some releases and by
  // the versioned ones the component names (`…@0.2.6`) in others: provide both.
  const source = fs.readFileSync(path.join(dir, 'plugin.js'), 'utf8');
  const imports = { ...shim.getImportObject() };
  for (const m of new Set(source.match(/wasi:[a-z-]+\/[a-z-]+@\d+\.\d+\.\d+/g) ?? [])) {
    const v = WASI_VERSION_RE.exec(m);
    if (v) Object.assign(imports, shim.getImportObject({ asVersion: v[1] }));
  }
  const getCoreModule = (name) => WebAssembly.compile(fs.readFileSync(path.join(dir, name)));
  const root = await mod.instantiate(getCoreModule, imports);
  return root.decode;
}

/** Loads the component (path as in `componentPath`) and returns its `decode` interface. */
export async function load(explicitPath) {
  return instantiate(await transpiled(componentPath(explicitPath)));
}
