#!/usr/bin/env node
// `npm run decode -- [options] FILE...`: the Node.js twin of `cloudtrail-ecs decode`. Streams
// each file through the component's `decoder` resource in 1 MiB chunks and prints one JSON
// document per line on stdout and the same per-file and total summaries on stderr, with the
// same defaults (namespace `default`, both tags, nested documents, `received` = now), so the
// output is byte-identical to the Rust host's for the same `--received`.
//
// Options: --component PATH (default: $CLOUDTRAIL_ECS_COMPONENT, else
// `cloudtrail-ecs component-path`), --received RFC3339, --namespace NS, --format nested|flat,
// --retain VALUE, --no-entity-mapping, --no-preserve-original-tag, --drop-original, --bucket B,
// --key K, --geoip DIR, --strict, and the filters --include-source, --exclude-source,
// --include-event, --exclude-event, --read-only true|false, --account, --region,
// --event-category (repeatable).

import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { load } from './component.mjs';

/** Where relative paths start: the directory `npm run` was called from (npm runs scripts in the
 * package directory and says where it was called in `INIT_CWD`). Paths are reported as given. */
const baseDir = process.env.INIT_CWD ?? process.cwd();
const resolve = (p) => path.resolve(baseDir, p);

/** Bytes per `push`, as the Rust host (`engine::CHUNK_SIZE`). */
const CHUNK_SIZE = 1 << 20;

/** `api::Limits::default()` (`spec/reliability.md` §2.6). */
const DEFAULT_LIMITS = {
  maxDecompressedBytes: 1n << 30n,
  maxRecordBytes: 1n << 20n,
  maxDepth: 128,
  maxRecordsPerCall: 100000n,
  maxCompressionRatio: 250n,
  maxPayloadStringBytes: 1n << 20n,
  maxRecordDecompressedBytes: 8n << 20n,
};

const LIMIT_NAMES = {
  'decompressed-bytes': ['DecompressedBytes', 'max_decompressed_bytes'],
  'record-bytes': ['RecordBytes', 'max_record_bytes'],
  'nesting-depth': ['NestingDepth', 'max_depth'],
  'records-per-call': ['RecordsPerCall', 'max_records_per_call'],
  'compression-ratio': ['CompressionRatio', 'max_compression_ratio'],
  'payload-string-bytes': ['PayloadStringBytes', 'max_payload_string_bytes'],
};

const list = { type: 'string', multiple: true, default: [] };
const { values: args, positionals: files } = parseArgs({
  allowPositionals: true,
  options: {
    component: { type: 'string' },
    received: { type: 'string' },
    namespace: { type: 'string', default: 'default' },
    format: { type: 'string', default: 'nested' },
    retain: { type: 'string' },
    'no-entity-mapping': { type: 'boolean', default: false },
    'no-preserve-original-tag': { type: 'boolean', default: false },
    'drop-original': { type: 'boolean', default: false },
    bucket: { type: 'string' },
    key: { type: 'string' },
    geoip: { type: 'string' },
    strict: { type: 'boolean', default: false },
    'include-source': list,
    'exclude-source': list,
    'include-event': list,
    'exclude-event': list,
    'read-only': { type: 'string' },
    account: list,
    region: list,
    'event-category': list,
  },
});
if (files.length === 0) {
  process.stderr.write('usage: npm run decode -- [options] FILE...\n');
  process.exit(2);
}
if (!['nested', 'flat'].includes(args.format)) {
  process.stderr.write(`cloudtrail-ecs: --format must be nested or flat\n`);
  process.exit(2);
}
if (args['read-only'] !== undefined && !['true', 'false'].includes(args['read-only'])) {
  process.stderr.write(`cloudtrail-ecs: --read-only must be true or false\n`);
  process.exit(2);
}

/** The part of a path from `AWSLogs/` on (`cli::decode::key_from_path`). */
function keyFromPath(p) {
  if (p.startsWith('AWSLogs/')) return p;
  const i = p.indexOf('/AWSLogs/');
  return i >= 0 ? p.slice(i + 1) : undefined;
}

/** `cli::decode::meta_for`. */
function metaFor(file, received) {
  let objectKey;
  let sourceName;
  if (args.key !== undefined) objectKey = args.key;
  else if (file !== '-') {
    objectKey = keyFromPath(file);
    if (objectKey === undefined) sourceName = file;
  }
  return {
    bucket: args.bucket,
    objectKey,
    sourceName,
    received,
    namespace: args.namespace,
    firehoseRequestId: undefined,
    firehoseSourceArn: undefined,
    commonAttributes: [],
  };
}

/** A repeatable list flag's values, comma-separated values split (as clap's `value_delimiter`). */
const listOf = (name) => args[name].flatMap((v) => v.split(','));

/** `cli::decode::options`. */
function options() {
  const tags = [];
  if (!args['no-preserve-original-tag']) tags.push('preserve_original_event');
  if (!args['no-entity-mapping']) tags.push('actor_target_mapping');
  return {
    format: args.format,
    inputMode: 'auto',
    retain: args.retain,
    tags,
    keepOriginal: !args['drop-original'],
    extraFields: undefined,
    limits: DEFAULT_LIMITS,
    filters: {
      includeSources: listOf('include-source'),
      excludeSources: listOf('exclude-source'),
      includeEvents: listOf('include-event'),
      excludeEvents: listOf('exclude-event'),
      readOnly: args['read-only'] === undefined ? undefined : args['read-only'] === 'true',
      accounts: listOf('account'),
      regions: listOf('region'),
      eventCategories: listOf('event-category'),
    },
  };
}

/** `DecodeError`'s `Display`. */
function decodeErrorText(e) {
  switch (e.tag) {
    case 'limit-exceeded': {
      const [kind, field] = LIMIT_NAMES[e.val.limit] ?? [e.val.limit, e.val.limit];
      return `limit exceeded: ${kind} is capped at ${e.val.max} by ${field} (saw ${e.val.actual})`;
    }
    case 'unrecognized-content':
      return `unrecognized content: ${e.val}`;
    case 'decompression':
      return `decompression failed: ${e.val}`;
    case 'malformed-json':
      return `malformed json: ${e.val}`;
    case 'not-cloudtrail':
      return `not cloudtrail: ${e.val}`;
    case 'finished':
      return 'decoder already finished';
    default:
      return String(e.tag);
  }
}

function zeroCounts() {
  return {
    records: 0n,
    documents: 0n,
    errorDocuments: 0n,
    skipped: new Map(),
    keyMismatches: 0n,
    missingEventTime: 0n,
  };
}

function addCounts(total, c) {
  total.records += c.records;
  total.documents += c.documents;
  total.errorDocuments += c.errorDocuments;
  for (const s of c.skipped) total.skipped.set(s.reason, (total.skipped.get(s.reason) ?? 0n) + s.count);
  total.keyMismatches += c.keyMismatches;
  total.missingEventTime += c.missingEventTime;
}

/** `cli::decode::summary_line`. */
function summaryLine(c, stopped) {
  const skip = (r) => c.skipped.get(r) ?? 0n;
  const skipped = [...c.skipped.values()].reduce((a, b) => a + b, 0n);
  return (
    `records ${c.records}, documents ${c.documents}, error documents ${c.errorDocuments}, ` +
    `skipped ${skipped} (control-message ${skip('control-message')}, empty-record ` +
    `${skip('empty-record')}, filtered ${skip('filtered')}), key mismatches ${c.keyMismatches}, ` +
    `missing eventTime ${c.missingEventTime}, stopped: ${stopped ? decodeErrorText(stopped) : 'no'}`
  );
}

/** Writes `text` to stdout, waiting when the pipe is full. */
async function write(text) {
  if (!process.stdout.write(text)) {
    await new Promise((resolve) => process.stdout.once('drain', resolve));
  }
}

/** Reads up to `buf.length` bytes (fewer only at the end), as `engine::read_chunk`. */
function readChunk(fd, buf) {
  let filled = 0;
  while (filled < buf.length) {
    let n;
    try {
      n = fs.readSync(fd, buf, filled, buf.length - filled, null);
    } catch (e) {
      if (e.code === 'EAGAIN') continue;
      if (e.code === 'EOF') break;
      throw e;
    }
    if (n === 0) break;
    filled += n;
  }
  return filled;
}

/** One file through one `decoder`; resolves to `{ counts, stopped }`. */
async function decodeFile(decode, file, meta, opts) {
  const decoder = decode.Decoder.create(meta, opts);
  const counts = zeroCounts();
  const fd = file === '-' ? 0 : fs.openSync(resolve(file), 'r');
  const buf = Buffer.alloc(CHUNK_SIZE);
  try {
    for (;;) {
      const n = readChunk(fd, buf);
      const batch = n === 0 ? decoder.finish() : decoder.push(buf.subarray(0, n));
      let out = '';
      for (const d of batch.documents) {
        if (/[\n\r]/.test(d.json) || !d.json.startsWith('{') || !d.json.endsWith('}')) {
          throw new Error(`document ${d.position} is not one line of JSON object text`);
        }
        out += d.json + '\n';
      }
      await write(out);
      addCounts(counts, batch.counts);
      if (batch.stopped !== undefined) return { counts, stopped: batch.stopped };
      if (n === 0) return { counts, stopped: undefined };
    }
  } finally {
    if (fd !== 0) fs.closeSync(fd);
    decoder[Symbol.dispose]?.();
  }
}

async function main() {
  const decode = await load(args.component && resolve(args.component));
  let city;
  let asn;
  if (args.geoip !== undefined) {
    const read = (name) => {
      try {
        return fs.readFileSync(path.join(resolve(args.geoip), name));
      } catch {
        return undefined;
      }
    };
    city = read('GeoLite2-City.mmdb');
    asn = read('GeoLite2-ASN.mmdb');
    if (city === undefined && asn === undefined) {
      process.stderr.write(`cloudtrail-ecs: no GeoLite2 databases in ${args.geoip}\n`);
      return 1;
    }
  }
  // As the Rust CLI: always set an enricher (user-agent parsing needs no data).
  try {
    decode.setEnrichment(city, asn);
  } catch (e) {
    const msg = `${e.payload?.tag ?? ''} ${e.payload?.val ?? e.message}`.trim();
    if (args.geoip !== undefined) {
      process.stderr.write(`cloudtrail-ecs: ${msg}\n`);
      return 1;
    }
    process.stderr.write(`warning: enrichment unavailable (${msg}); continuing without it\n`);
  }
  const opts = options();
  const total = zeroCounts();
  let failed = false;
  let stoppedAny = false;
  for (const file of files) {
    const received = args.received ?? new Date().toISOString();
    try {
      const outcome = await decodeFile(decode, file, metaFor(file, received), opts);
      process.stderr.write(`${file}: ${summaryLine(outcome.counts, outcome.stopped)}\n`);
      addCounts(total, {
        ...outcome.counts,
        skipped: [...outcome.counts.skipped].map(([reason, count]) => ({ reason, count })),
      });
      stoppedAny ||= outcome.stopped !== undefined;
    } catch (e) {
      const detail = e.payload ? `${e.payload.tag}: ${e.payload.val}` : e.message;
      process.stderr.write(`${file}: failed: ${detail}\n`);
      failed = true;
    }
  }
  process.stderr.write(`total (${files.length} files): ${summaryLine(total, undefined)}\n`);
  return failed || (args.strict && stoppedAny) ? 1 : 0;
}

process.exitCode = await main();
