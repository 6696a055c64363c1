/**
 * Pathological requests (bench/lib/pathological.mjs) against each adapter with the kit, run by
 * run.mjs (`pnpm bench --only pathological`) or alone (`node pathological.mjs [--short]`). Each
 * server runs in its own process; a request's cost is the server's CPU time (user + system) per
 * request, over batches sent one at a time on a keep-alive connection, alternating the kinds over
 * several rounds (median). Printed as a ratio to the normal request; each must stay under 3×.
 */
import http from 'node:http';
import { pathologicalRequests } from '@twofa-kit/testing/pathological';
import { spawnServer } from './lib/children.mjs';
import { apiKeys } from './lib/workload.mjs';

export const MAX_RATIO = 3;
const ADAPTERS = ['fastify-kit', 'koa-kit', 'express-kit'];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function sendOne(agent, port, req) {
  return new Promise((resolve, reject) => {
    const body = req.body === undefined ? undefined : Buffer.from(req.body);
    const out = http.request({
      host: '127.0.0.1',
      port,
      method: req.method,
      path: req.target,
      agent,
      headers: { ...req.headers, ...(body ? { 'content-length': body.length } : {}) },
    });
    out.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    out.on('error', reject);
    out.end(body);
  });
}

/** Server CPU µs per request for `count` requests of `req`, sent one at a time. */
async function cost(server, agent, req, count) {
  const before = (await server.cpu()).cpu;
  for (let i = 0; i < count; i++) {
    const status = await sendOne(agent, server.port, req);
    if (status !== req.status) throw new Error(`${server.name} ${req.label}: got ${status}, want ${req.status}`);
  }
  const after = (await server.cpu()).cpu;
  return (after - before) / count;
}

export async function runPathological({ short = false } = {}) {
  const rounds = short ? 3 : 9;
  const batch = short ? 100 : 300;
  const requests = pathologicalRequests(apiKeys()[0]);
  const rows = [];
  for (const name of ADAPTERS) {
    const server = await spawnServer(name, { env: { BENCH_NO_AUTH_GUARD: '1' } });
    if (server.unavailable) continue;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (const req of requests) await cost(server, agent, req, 20); // warm-up
      const samples = new Map(requests.map((r) => [r.label, []]));
      for (let r = 0; r < rounds; r++) {
        for (const req of requests) samples.get(req.label).push(await cost(server, agent, req, batch));
      }
      const normal = median(samples.get('normal'));
      for (const req of requests) {
        const us = median(samples.get(req.label));
        const size = req.target.length + (req.body?.length ?? 0) + Object.values(req.headers).join('').length;
        rows.push({ adapter: name, label: req.label, bytes: size, status: req.status, cpuUs: us, ratio: us / normal });
      }
    } finally {
      agent.destroy();
      await server.stop();
    }
  }
  return { maxRatio: MAX_RATIO, rounds, batch, rows };
}

export function pathologicalTable(result) {
  const lines = [
    `pathological requests: server CPU per request (median of ${result.rounds} rounds × ${result.batch}), ratio to a normal request (must be < ${result.maxRatio}×)`,
    `${'adapter'.padEnd(12)} ${'request'.padEnd(22)} ${'bytes'.padStart(6)} ${'status'.padStart(6)} ${'µs'.padStart(8)} ${'ratio'.padStart(7)}`,
  ];
  for (const r of result.rows) {
    const flag = r.ratio >= result.maxRatio ? '  OVER' : '';
    lines.push(
      `${r.adapter.padEnd(12)} ${r.label.padEnd(22)} ${String(r.bytes).padStart(6)} ${String(r.status).padStart(6)} ${r.cpuUs.toFixed(0).padStart(8)} ${`${r.ratio.toFixed(2)}×`.padStart(7)}${flag}`,
    );
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const result = await runPathological({ short: process.argv.includes('--short') });
  console.log(pathologicalTable(result));
  process.exit(result.rows.every((r) => r.ratio < MAX_RATIO) ? 0 : 1);
}
