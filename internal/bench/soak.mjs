#!/usr/bin/env node
/**
 * Soak: a mixed load (valid, invalid, over-limit) against each adapter, each served from its own
 * child process, with the child's heap (after a forced GC) and open handles sampled as it runs.
 * Prints a report per adapter with the trend (least-squares slope of the heap after warm-up).
 *
 *   pnpm -r --filter "./packages/**" run build      # the children run the built packages
 *   node bench/soak.mjs [--minutes 10] [--adapters fastify,koa,express] [--parallel]
 *                         [--concurrency 16] [--sample-seconds 10] [--json out.json]
 *
 * Adapters run one after another (so each has the machine to itself) unless `--parallel`.
 * This is a script with a report, not a CI test; it exits 1 when a trend or an error says so.
 */
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ADAPTERS = ['fastify', 'koa', 'express'];
const SECRET = 'JBSWY3DPEHPK3PXP';
const PREFIX = '/api/2fa';
/** One key that is never limited (valid traffic), one on a tiny plan (over-limit traffic). */
const KEYS = { valid: 'soak-valid-key-0001', limited: 'soak-limited-key-0001' };
const PLANS = { soak: { minute: null, hour: null, day: null }, tiny: { minute: 3, hour: null, day: null } };

// ---------------------------------------------------------------------------------------------
// Child: one adapter's server. Talks to the parent over IPC: {ready: port}, then {sample} on ask.
// ---------------------------------------------------------------------------------------------
async function serve(adapter) {
  const require = createRequire(join(ROOT, 'internal/contract/package.json'));
  const load = (name) => import(pathToFileURL(join(ROOT, `packages/${name}/dist/index.js`)).href);
  const core = await load('core');
  const options = {
    resolveKey: core.staticKeys({ [KEYS.valid]: 'soak', [KEYS.limited]: 'tiny' }),
    plans: PLANS,
    // Every request comes from 127.0.0.1: with the default failed-auth guard (20 401s a minute per
    // address) the invalid-key share would lock the valid traffic out. Keep the guard running,
    // with a limit this load never reaches.
    authFailureLimit: { max: 1_000_000 },
  };
  let server;
  let closeApp = async () => {};
  if (adapter === 'fastify') {
    const Fastify = require('fastify');
    const { twoFaPlugin } = await load('fastify');
    const app = Fastify({ logger: false });
    await app.register(twoFaPlugin, options);
    await app.listen({ port: 0, host: '127.0.0.1' });
    server = app.server;
    closeApp = () => app.close();
  } else if (adapter === 'koa') {
    const Koa = require('koa');
    const { twoFaRouter } = await load('koa');
    const app = new Koa();
    const router = twoFaRouter(options);
    app.use(router.routes()).use(router.allowedMethods());
    server = app.listen(0, '127.0.0.1');
    closeApp = () => router.twoFa.close();
  } else if (adapter === 'express') {
    const express = require('express');
    const { twoFaRouter } = await load('express');
    const app = express();
    const router = twoFaRouter(options);
    app.use(router);
    server = app.listen(0, '127.0.0.1');
    closeApp = () => router.twoFa.close();
  } else throw new Error(`unknown adapter ${adapter}`);
  await new Promise((resolve) => (server.listening ? resolve() : server.once('listening', resolve)));

  process.on('message', async (msg) => {
    if (msg === 'sample') {
      globalThis.gc?.();
      const mem = process.memoryUsage();
      const connections = await new Promise((r) => server.getConnections((_e, n) => r(n ?? -1)));
      const resources = process.getActiveResourcesInfo();
      process.send({
        sample: {
          heapUsed: mem.heapUsed,
          rss: mem.rss,
          external: mem.external,
          handles: resources.length,
          connections,
        },
      });
    } else if (msg === 'stop') {
      server.closeAllConnections?.();
      await closeApp();
      server.close(() => process.exit(0));
    }
  });
  process.send({ ready: server.address().port });
}

// ---------------------------------------------------------------------------------------------
// Parent: load generator and report.
// ---------------------------------------------------------------------------------------------

/** The traffic mix: [weight, class, request]. */
const MIX = [
  [50, 'valid', { method: 'POST', path: '/generate', key: KEYS.valid, form: `secret=${SECRET}` }],
  [10, 'valid', { method: 'GET', path: `/generate?secret=${SECRET}&digits=8`, key: KEYS.valid }],
  [5, 'valid', { method: 'POST', path: '/generate', key: KEYS.valid, json: { secret: SECRET, algorithm: 'sha256' } }],
  [5, 'invalid', { method: 'POST', path: '/generate', key: KEYS.valid, form: 'secret=not*base32' }],
  [5, 'invalid', { method: 'POST', path: '/generate', key: 'no-such-key', form: `secret=${SECRET}` }],
  [3, 'invalid', { method: 'POST', path: '/generate', key: KEYS.valid, raw: '{"secret":', type: 'application/json' }],
  [2, 'invalid', { method: 'POST', path: '/generate', key: KEYS.valid, raw: 'x', type: 'text/plain' }],
  [2, 'invalid', { method: 'DELETE', path: '/generate', key: KEYS.valid }],
  [3, 'invalid', { method: 'GET', path: '/nope', key: KEYS.valid }],
  [15, 'over-limit', { method: 'POST', path: '/generate', key: KEYS.limited, form: `secret=${SECRET}` }],
];
const TOTAL_WEIGHT = MIX.reduce((n, [w]) => n + w, 0);

function pick(rand) {
  let r = rand * TOTAL_WEIGHT;
  for (const entry of MIX) {
    r -= entry[0];
    if (r < 0) return entry;
  }
  return MIX[0];
}

function send(agent, port, spec) {
  let body;
  const headers = {};
  if (spec.key) headers['x-api-key'] = spec.key;
  if (spec.form !== undefined) {
    body = spec.form;
    headers['content-type'] = 'application/x-www-form-urlencoded';
  } else if (spec.json !== undefined) {
    body = JSON.stringify(spec.json);
    headers['content-type'] = 'application/json';
  } else if (spec.raw !== undefined) {
    body = spec.raw;
    headers['content-type'] = spec.type;
  }
  if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: spec.method, path: PREFIX + spec.path, headers, agent },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          let envelope = false;
          try {
            const json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            envelope = json.code === res.statusCode && typeof json.message === 'string';
          } catch {}
          resolve({ status: res.statusCode, envelope });
        });
      },
    );
    req.on('error', (error) => resolve({ status: 0, error: error.code ?? String(error) }));
    req.end(body);
  });
}

/** Least-squares slope of y over x. */
function slope(points) {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const MB = 1024 * 1024;
const fmtMB = (b) => (b / MB).toFixed(1);

async function soak(adapter, opts) {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', adapter], {
    execArgv: ['--expose-gc', '--max-old-space-size=256'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise((resolve, reject) => {
    child.once('message', (m) => (m.ready ? resolve(m.ready) : reject(new Error(JSON.stringify(m)))));
    child.once('exit', (code) => reject(new Error(`${adapter} server exited with ${code}`)));
  });
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  const sample = () =>
    new Promise((resolve) => {
      const onMessage = (m) => {
        if (m.sample) {
          child.off('message', onMessage);
          resolve(m.sample);
        }
      };
      child.on('message', onMessage);
      child.send('sample');
    });

  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const started = Date.now();
  const endAt = started + opts.minutes * 60_000;
  const counts = {};
  let total = 0;
  let nonEnvelope = 0;
  let errors = 0;
  let unexpected5xx = 0;
  const samples = [{ t: 0, ...(await sample()) }];
  let seed = 0x2f6e2b1;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };

  const worker = async () => {
    while (Date.now() < endAt && exited === null) {
      const [, cls, spec] = pick(rand());
      const r = await send(agent, port, spec);
      total++;
      const key = `${cls}:${r.status}`;
      counts[key] = (counts[key] ?? 0) + 1;
      if (r.status === 0) errors++;
      else if (!r.envelope) nonEnvelope++;
      if (r.status >= 500) unexpected5xx++;
    }
  };
  const sampler = (async () => {
    while (Date.now() < endAt && exited === null) {
      await new Promise((r) => setTimeout(r, opts.sampleSeconds * 1000));
      if (exited !== null) break;
      samples.push({ t: (Date.now() - started) / 1000, ...(await sample()) });
    }
  })();
  await Promise.all([...Array.from({ length: opts.concurrency }, worker), sampler]);
  agent.destroy();
  await new Promise((r) => setTimeout(r, 500));
  samples.push({ t: (Date.now() - started) / 1000, ...(await sample()), idle: true });
  const elapsed = (Date.now() - started) / 1000;
  child.send('stop');
  await new Promise((r) => (exited !== null ? r() : child.once('exit', r)));

  // Trend: heap after GC over the samples past the first fifth (warm-up: JIT, caches filling).
  const warm = samples.filter((s) => !s.idle && s.t >= elapsed / 5);
  const heapSlope = slope(warm.map((s) => [s.t / 60, s.heapUsed])); // bytes per minute
  const handleSlope = slope(warm.map((s) => [s.t / 60, s.handles]));
  const third = Math.max(1, Math.floor(warm.length / 3));
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const firstHeap = mean(warm.slice(0, third).map((s) => s.heapUsed));
  const lastHeap = mean(warm.slice(-third).map((s) => s.heapUsed));
  const growthPct = firstHeap === 0 ? 0 : ((lastHeap - firstHeap) / firstHeap) * 100;
  // Growth verdict: under 1 MB/min of after-GC heap and under 10% from first to last third.
  const growing = heapSlope > MB && growthPct > 10;
  return {
    adapter,
    minutes: elapsed / 60,
    requests: total,
    rps: total / elapsed,
    counts,
    errors,
    nonEnvelope,
    unexpected5xx,
    crashed: exited !== null && exited.code !== 0 ? exited : null,
    heapSlopeKBPerMin: heapSlope / 1024,
    handleSlopePerMin: handleSlope,
    growthPct,
    growing,
    samples,
  };
}

function report(r) {
  const lines = [];
  lines.push(`== ${r.adapter}: ${r.requests} requests in ${r.minutes.toFixed(1)} min (${r.rps.toFixed(0)} req/s)`);
  lines.push(
    `   by class:status ${Object.entries(r.counts)
      .sort()
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  lines.push(
    `   transport errors=${r.errors}  non-envelope=${r.nonEnvelope}  5xx=${r.unexpected5xx}  crashed=${r.crashed ? JSON.stringify(r.crashed) : 'no'}`,
  );
  lines.push('   t(s)   heapUsed(MB)  rss(MB)  handles  connections');
  for (const s of r.samples) {
    lines.push(
      `   ${s.t.toFixed(0).padStart(5)}  ${fmtMB(s.heapUsed).padStart(12)}  ${fmtMB(s.rss).padStart(7)}  ${String(s.handles).padStart(7)}  ${String(s.connections).padStart(11)}${s.idle ? '  (idle, after load)' : ''}`,
    );
  }
  lines.push(
    `   trend after warm-up: heap ${r.heapSlopeKBPerMin.toFixed(1)} KB/min, first→last third ${r.growthPct.toFixed(1)}%, handles ${r.handleSlopePerMin.toFixed(2)}/min → ${r.growing ? 'GROWING' : 'no growth trend'}`,
  );
  return lines.join('\n');
}

async function main() {
  const { values } = parseArgs({
    options: {
      serve: { type: 'string' },
      minutes: { type: 'string', default: '10' },
      adapters: { type: 'string', default: ADAPTERS.join(',') },
      parallel: { type: 'boolean', default: false },
      concurrency: { type: 'string', default: '16' },
      'sample-seconds': { type: 'string', default: '10' },
      json: { type: 'string' },
    },
  });
  if (values.serve) return serve(values.serve);
  const opts = {
    minutes: Number(values.minutes),
    concurrency: Number(values.concurrency),
    sampleSeconds: Number(values['sample-seconds']),
  };
  const adapters = values.adapters.split(',').filter(Boolean);
  console.log(
    `soak: ${adapters.join(', ')} for ${opts.minutes} min each, ${values.parallel ? 'in parallel' : 'one after another'}, concurrency ${opts.concurrency}, node ${process.version}`,
  );
  const results = [];
  if (values.parallel) results.push(...(await Promise.all(adapters.map((a) => soak(a, opts)))));
  else for (const a of adapters) results.push(await soak(a, opts));
  for (const r of results) console.log(report(r));
  if (values.json) writeFileSync(values.json, JSON.stringify(results, null, 2));
  const bad = results.filter((r) => r.growing || r.crashed || r.unexpected5xx > 0 || r.nonEnvelope > 0 || r.errors > 0);
  console.log(bad.length === 0 ? 'soak: OK' : `soak: PROBLEMS in ${bad.map((r) => r.adapter).join(', ')}`);
  process.exitCode = bad.length === 0 ? 0 : 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
