/** The HTTP rows: servers in child processes, autocannon in this process, runs alternated. */
import autocannon from 'autocannon';
import { generateSync } from 'otplib';
import { spawnServer } from './children.mjs';
import { median, PEER_TARGETS, perRoundRatio, rowTarget } from './targets.mjs';
import { apiKeys, formBodies, PATH, secrets } from './workload.mjs';

/**
 * Every row of the table; `base` is the bare route its ratio is taken against; `target` is the
 * target on that ratio, from targets.mjs (where every target is defined); `warmupFactor` makes the
 * row's warm-up that many times as long as the others'.
 */
export const ROWS = [
  { name: 'fastify-bare', fixed: true, label: 'Fastify, bare route', base: 'fastify-bare' },
  { name: 'fastify-kit', label: 'Fastify + kit (memory)', base: 'fastify-bare', target: rowTarget('fastify-kit') },
  {
    name: 'fastify-kit-redis',
    label: 'Fastify + kit (Redis)',
    base: 'fastify-bare',
    target: rowTarget('fastify-kit-redis'),
    redis: true,
  },
  {
    name: 'peer-fastify-rate-limit',
    label: 'Fastify + otplib + @fastify/rate-limit (memory, 1 window)',
    base: 'fastify-bare',
  },
  {
    name: 'peer-rlflex-redis',
    label: 'Fastify + otplib + rate-limiter-flexible (Redis, 3 windows)',
    base: 'fastify-bare',
    redis: true,
  },
  { name: 'koa-bare', fixed: true, label: 'Koa, bare route', base: 'koa-bare' },
  { name: 'koa-kit', label: 'Koa + kit (memory)', base: 'koa-bare', target: rowTarget('koa-kit') },
  { name: 'express-bare', fixed: true, label: 'Express, bare route', base: 'express-bare' },
  { name: 'express-kit', label: 'Express + kit (memory)', base: 'express-bare', target: rowTarget('express-kit') },
  { name: 'nest-fastify-bare', fixed: true, label: 'Nest (Fastify platform), bare route', base: 'nest-fastify-bare' },
  { name: 'nest-fastify-kit', label: 'Nest (Fastify platform) + kit (memory)', base: 'nest-fastify-bare' },
  { name: 'hono-bare', fixed: true, label: 'Hono (Node.js), bare route', base: 'hono-bare' },
  { name: 'hono-kit', label: 'Hono (Node.js) + kit (memory)', base: 'hono-bare', target: rowTarget('hono-kit') },
  { name: 'bun-bare', fixed: true, label: 'Bun.serve, bare route', base: 'bun-bare', runtime: 'bun' },
  { name: 'bun-kit', label: 'Bun.serve + fetch entry (memory)', base: 'bun-bare', runtime: 'bun' },
  // Next.js runs far more code per request than the others and reaches its steady rate only after
  // ~20 s of load (300 → 1,000 req/s over the first 18 s on the 2-core machine): a longer warm-up.
  {
    name: 'next-bare',
    fixed: true,
    label: 'Next.js route (next build, Node.js), bare',
    base: 'next-bare',
    warmupFactor: 6,
  },
  { name: 'next-kit', label: 'Next.js route + fetch entry (memory)', base: 'next-bare', warmupFactor: 6 },
];

/** Diagnostic rows, only run when named with `--rows`. */
export const DIAGNOSTIC_ROWS = [
  {
    name: 'diag-fastify-kit-redis-nobatch',
    label: 'diag: Fastify + kit (Redis), RedisStore batch: false',
    base: 'fastify-bare',
    redis: true,
  },
  {
    name: 'diag-fastify-kit-redis-autopipe',
    label: 'diag: Fastify + kit (Redis), batch: false, ioredis auto-pipelining',
    base: 'fastify-bare',
    redis: true,
  },
  {
    name: 'diag-peer-rlflex-redis-autopipe',
    label: 'diag: Fastify + otplib + rate-limiter-flexible (Redis, 3 windows), auto-pipelining',
    base: 'fastify-bare',
    redis: true,
  },
  { name: 'diag-fastify-kit-noguard', label: 'diag: Fastify + kit, authFailureLimit: false', base: 'fastify-bare' },
  {
    name: 'diag-fastify-createhmac-x10',
    fixed: true,
    label: 'diag: bare route + 10 createHmac codes',
    base: 'fastify-bare',
  },
  { name: 'diag-fastify-hotp-x10', fixed: true, label: 'diag: bare route + 10 core hotp codes', base: 'fastify-bare' },
  {
    name: 'diag-fastify-kit-hashonce',
    label: 'diag: Fastify + kit, staticKeys twin on crypto.hash',
    base: 'fastify-bare',
  },
  {
    name: 'diag-fastify-handle-buffer',
    label: 'diag: Fastify route (Buffer parser) → core handle()',
    base: 'fastify-bare',
  },
  {
    name: 'diag-fastify-bare-headers',
    fixed: true,
    label: 'diag: bare route + the kit’s response headers',
    base: 'fastify-bare',
  },
  {
    name: 'diag-fastify-handle-discard',
    fixed: true,
    label: 'diag: bare route that also runs handle(), answer discarded',
    base: 'fastify-bare',
  },
];

export const CONNECTIONS = 100;

/** autocannon `requests` that rotate through every secret and every key. */
export function rotatingRequests() {
  const keys = apiKeys();
  const bodies = formBodies(secrets());
  let i = 0;
  return [
    {
      method: 'POST',
      path: PATH,
      setupRequest(req) {
        const n = i++;
        req.headers = {
          'content-type': 'application/x-www-form-urlencoded',
          'x-api-key': keys[n % keys.length],
        };
        req.body = bodies[n % bodies.length];
        return req;
      },
    },
  ];
}

export function cannon(port, durationS, requests = rotatingRequests()) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, duration: durationS, requests },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    instance.on('error', reject);
  });
}

function summary(result) {
  return {
    rps: result['2xx'] / result.duration,
    seconds: result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/**
 * One request per server before timing: every row must answer 200, and the rows that compute a
 * code must give the one otplib gives for the secret at the reported timestamp.
 */
async function check(server, bare) {
  const key = apiKeys(1)[0];
  const secret = secrets(1)[0];
  const res = await fetch(`http://127.0.0.1:${server.port}${PATH}`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/x-www-form-urlencoded' },
    body: `secret=${secret}`,
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`${server.name}: check answered ${res.status} ${JSON.stringify(body)}`);
  if (bare) return;
  const expected = generateSync({ secret, epoch: body.data.timestamp });
  if (body.data.code !== expected) throw new Error(`${server.name}: wrong code in check`);
}

/**
 * Starts every row's server, warms each up, then runs `rounds` rounds of A B C … in the same order.
 * Ratios are per round (row / its bare route in the same round), then the median over rounds.
 */
export async function runLoad({ rounds, durationS, warmupS, redisUrl, only, log = console.log }) {
  // The named rows and the bare routes they are compared with.
  const wanted = only === undefined ? undefined : new Set(only);
  if (wanted) for (const r of [...ROWS, ...DIAGNOSTIC_ROWS]) if (wanted.has(r.name)) wanted.add(r.base);
  const rows = wanted === undefined ? ROWS : [...ROWS, ...DIAGNOSTIC_ROWS].filter((r) => wanted.has(r.name));
  const servers = new Map();
  const skipped = [];
  try {
    for (const row of rows) {
      if (row.redis && redisUrl === undefined) {
        skipped.push({ name: row.name, label: row.label, reason: 'redis-server not available' });
        continue;
      }
      const s = await spawnServer(row.name, {
        env: redisUrl ? { BENCH_REDIS_URL: redisUrl } : {},
        ...(row.runtime === undefined ? {} : { runtime: row.runtime }),
      });
      if (s.unavailable) {
        skipped.push({ name: row.name, label: row.label, reason: s.unavailable });
        continue;
      }
      await check(s, row.fixed === true);
      servers.set(row.name, s);
    }
    const active = rows.filter((r) => servers.has(r.name));
    log(
      `servers: ${active.map((r) => r.name).join(', ')}${skipped.length ? `; skipped: ${skipped.map((s) => s.name).join(', ')}` : ''}`,
    );
    for (const row of active) await cannon(servers.get(row.name).port, warmupS * (row.warmupFactor ?? 1));
    const runs = new Map(active.map((r) => [r.name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const row of active) {
        const server = servers.get(row.name);
        const cpu0 = await server.cpu();
        const s = summary(await cannon(server.port, durationS));
        const cpu1 = await server.cpu();
        s.cpuUs = (cpu1.cpu - cpu0.cpu) / (s.rps * s.seconds);
        s.sysUs = (cpu1.system - cpu0.system) / (s.rps * s.seconds);
        runs.get(row.name).push(s);
        log(
          `  round ${round + 1}/${rounds} ${row.name.padEnd(24)} ${s.rps.toFixed(0).padStart(6)} req/s  p50 ${s.p50} ms  p99 ${s.p99} ms  server CPU ${s.cpuUs.toFixed(0)} µs/req (sys ${s.sysUs.toFixed(0)})${s.non2xx || s.errors ? `  non-2xx ${s.non2xx} errors ${s.errors}` : ''}`,
        );
      }
    }
    const results = active.map((row) => {
      const own = runs.get(row.name);
      const base = runs.get(row.base);
      return {
        name: row.name,
        label: row.label,
        base: row.base,
        target: row.target ?? null,
        warmupS: warmupS * (row.warmupFactor ?? 1),
        rps: median(own.map((r) => r.rps)),
        p50: median(own.map((r) => r.p50)),
        p99: median(own.map((r) => r.p99)),
        cpuUs: median(own.map((r) => r.cpuUs)),
        sysUs: median(own.map((r) => r.sysUs)),
        ratio: base ? median(own.map((r, i) => r.rps / base[i].rps)) : null,
        non2xx: own.reduce((a, r) => a + r.non2xx, 0),
        errors: own.reduce((a, r) => a + r.errors, 0),
        rounds: own,
      };
    });
    // A kit row against the hand-built stack it is compared with (targets.mjs): per-round req/s ratio.
    for (const t of PEER_TARGETS) {
      const kit = results.find((r) => r.name === t.row);
      const peer = results.find((r) => r.name === t.peer);
      if (kit && peer) {
        kit.peer = peer.name;
        kit.vsPeer = perRoundRatio(kit, peer);
      }
    }
    return { connections: CONNECTIONS, rounds, durationS, warmupS, rows: results, skipped };
  } finally {
    await Promise.all([...servers.values()].map((s) => s.stop()));
  }
}
