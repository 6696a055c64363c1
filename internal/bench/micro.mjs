/**
 * Micro-benchmarks, run in their own process by run.mjs (`node micro.mjs --short|--full`):
 * - TOTP: the core's `totpAt` (engine `node`) against raw node:crypto HMAC + truncation and against
 *   otplib's `generateSync`, over 10,000 distinct secrets; ratios to the raw HMAC.
 * - Stores: `MemoryStore.consume` over 10,000 identities and three windows; `RedisStore.consume`
 *   with 50 calls in flight, beside rate-limiter-flexible's three-window union on the same Redis,
 *   on a default ioredis client; the store also with `batch: false` (one script run per call), alone
 *   and on an ioredis client with `enableAutoPipelining`, and the union on that client too.
 * Cases alternate over several rounds; each figure is the median over rounds.
 */
import { createHmac } from 'node:crypto';
import { decodeSecret, MemoryStore, totpAt } from '@twofa-kit/core';
import { generateSync } from 'otplib';
import { timeSeq } from './lib/timing.mjs';
import { secrets } from './lib/workload.mjs';

const short = process.argv.includes('--short');
const ROUNDS = short ? 3 : 15;
const SLICE_MS = short ? 150 : 250;
const IN_FLIGHT = 50;
const T0 = 1_772_035_200;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

let sink = 0;

/** Calls `fn(i)` for about `ms`, returns calls per second. */
function timeSync(fn, ms) {
  let i = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let j = 0; j < 256; j++, i++) sink ^= fn(i).length;
    now = performance.now();
  }
  return (i / (now - start)) * 1000;
}

/** Keeps `IN_FLIGHT` calls of `fn(i)` running for about `ms`, returns completions per second. */
async function timeAsync(fn, ms) {
  let i = 0;
  let done = 0;
  const start = performance.now();
  const end = start + ms;
  async function lane() {
    while (performance.now() < end) {
      await fn(i++);
      done++;
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return (done / (performance.now() - start)) * 1000;
}

async function alternate(cases, timer) {
  const samples = new Map(cases.map((c) => [c.label, []]));
  for (const c of cases) await timer(c.fn, SLICE_MS / 3); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of cases) samples.get(c.label).push(await timer(c.fn, SLICE_MS));
  }
  return cases.map((c) => ({ label: c.label, ops: median(samples.get(c.label)) }));
}

// --- TOTP -----------------------------------------------------------------------------------
const base32 = secrets();
const keys = base32.map((s) => decodeSecret(s));
const N = base32.length;
const at = (i) => T0 + (i % 997) * 30;

/** RFC 4226 by hand: HMAC-SHA1 over the counter, dynamic truncation, 6 digits. */
function rawTotp(key, unixSeconds) {
  const counter = Math.floor(unixSeconds / 30);
  const msg = Buffer.allocUnsafe(8);
  msg.writeUInt32BE(Math.floor(counter / 0x1_0000_0000), 0);
  msg.writeUInt32BE(counter >>> 0, 4);
  const mac = createHmac('sha1', key).update(msg).digest();
  const off = mac[mac.length - 1] & 0xf;
  const bin = ((mac[off] & 0x7f) << 24) | (mac[off + 1] << 16) | (mac[off + 2] << 8) | mac[off + 3];
  return String(bin % 1_000_000).padStart(6, '0');
}

const params = keys.map((key) => ({ key, digits: 6, period: 30, algorithm: 'SHA1' }));
for (let i = 0; i < 50; i++) {
  const a = rawTotp(keys[i], at(i));
  if (a !== totpAt(params[i], at(i)) || a !== generateSync({ secret: base32[i], epoch: at(i) })) {
    throw new Error('the TOTP implementations disagree');
  }
}

const totpCases = [
  { label: 'raw node:crypto HMAC-SHA1 + truncation', fn: (i) => rawTotp(keys[i % N], at(i)) },
  { label: 'core totpAt (engine node)', fn: (i) => totpAt(params[i % N], at(i)) },
  {
    label: 'core decodeSecret + totpAt (from the Base32 text)',
    fn: (i) => totpAt({ key: decodeSecret(base32[i % N]), digits: 6, period: 30, algorithm: 'SHA1' }, at(i)),
  },
  { label: 'core totpAt (engine otplib)', fn: (i) => totpAt(params[i % N], at(i), 'otplib') },
  { label: 'otplib generateSync (Base32 text)', fn: (i) => generateSync({ secret: base32[i % N], epoch: at(i) }) },
];
const totp = await alternate(totpCases, timeSync);
for (const r of totp) r.ratio = r.ops / totp[0].ops;

// --- Stores ---------------------------------------------------------------------------------
const WINDOWS = [
  { name: 'minute', seconds: 60, limit: 1e9 },
  { name: 'hour', seconds: 3600, limit: 1e9 },
  { name: 'day', seconds: 86400, limit: 1e9 },
];
const ids = Array.from({ length: 10_000 }, (_, i) => `bench-${i}`);
const memory = new MemoryStore({ maxIdentities: 100_000 });
const stores = [];
const skipped = [];
const memoryCase = {
  label: 'MemoryStore.consume (10k identities, 3 windows)',
  fn: (i) => memory.consume(ids[i % ids.length], WINDOWS).windows,
};
stores.push(...(await alternate([memoryCase], timeSync)));

const redisUrl = process.env.BENCH_REDIS_URL;
const core = await import('@twofa-kit/core');
if (redisUrl === undefined) skipped.push('Redis stores (no redis-server)');
else {
  const { Redis } = await import('ioredis');
  const { RateLimiterRedis, RateLimiterUnion } = await import('rate-limiter-flexible');
  // Two clients on the same Redis: as created by default, and with ioredis auto-pipelining (the
  // commands issued in one event-loop turn leave in one write). Both stacks run on both.
  const plain = new Redis(redisUrl, { enableOfflineQueue: false });
  const piped = new Redis(redisUrl, { enableOfflineQueue: false, enableAutoPipelining: true });
  await Promise.all([plain, piped].map((c) => new Promise((resolve) => c.once('ready', resolve))));
  const union = (client) =>
    new RateLimiterUnion(
      ...WINDOWS.map(
        (w) =>
          new RateLimiterRedis({
            storeClient: client,
            keyPrefix: `micro-rlf-${w.name}`,
            points: 1e9,
            duration: w.seconds,
          }),
      ),
    );
  const store = (client, options = {}) =>
    new core.RedisStore({ client, keyPrefix: 'micro-kit:', onRedisError: 'closed', timeoutMs: 5000, ...options });
  const consumes = (s) => (i) => s.consume(ids[i % ids.length], WINDOWS);
  const rlf = union(plain);
  const rlfPiped = union(piped);
  const cases = [];
  if (typeof core.RedisStore === 'function') {
    cases.push(
      { label: `RedisStore.consume (${IN_FLIGHT} in flight, 3 windows)`, fn: consumes(store(plain)) },
      {
        label: `RedisStore.consume (${IN_FLIGHT} in flight, 3 windows, batch: false)`,
        fn: consumes(store(plain, { batch: false })),
      },
      {
        label: `RedisStore.consume (${IN_FLIGHT} in flight, 3 windows, batch: false, auto-pipelining)`,
        fn: consumes(store(piped, { batch: false })),
      },
    );
  }
  cases.push(
    {
      label: `rate-limiter-flexible union, 3 × RateLimiterRedis (${IN_FLIGHT} in flight)`,
      fn: (i) => rlf.consume(ids[i % ids.length]),
    },
    {
      label: `rate-limiter-flexible union, 3 × RateLimiterRedis (${IN_FLIGHT} in flight, auto-pipelining)`,
      fn: (i) => rlfPiped.consume(ids[i % ids.length]),
    },
  );
  if (typeof core.RedisStore !== 'function') skipped.push('RedisStore.consume (RedisStore not in @twofa-kit/core yet)');
  const redis = await alternate(cases, timeAsync);
  // Ratios to rate-limiter-flexible on the default client.
  const peer = redis.find((r) => r.label.startsWith('rate-limiter-flexible'));
  for (const r of redis) r.ratio = r.ops / peer.ops;
  stores.push(...redis);
  plain.disconnect();
  piped.disconnect();
}

// --- The core's handle(), one request at a time, with one piece taken away per variant ---------
const { createTwoFa, staticKeys } = core;
const { apiKeys, keyTable, PLANS } = await import('./lib/workload.mjs');
const apiKeyList = apiKeys();
const table = keyTable(apiKeyList);
const plainMap = new Map(Object.entries(table));
function handleCase(label, options) {
  const twoFa = createTwoFa({ resolveKey: staticKeys(table), plans: PLANS, ...options });
  let n = 0;
  return {
    label,
    fn: async () => {
      const i = n++;
      const text = `secret=${base32[i % N]}`;
      const res = await twoFa.handle({
        method: 'POST',
        path: '/generate',
        rawQuery: '',
        headers: {
          'x-api-key': apiKeyList[i % apiKeyList.length],
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': String(text.length),
        },
        body: { kind: 'parsed', value: Buffer.from(text) },
        ip: '127.0.0.1',
      });
      if (res.status !== 200) throw new Error(`handle() answered ${res.status}: ${res.body}`);
    },
  };
}
const handle = await alternate(
  [
    handleCase('handle(): defaults, body already read into a Buffer', {}),
    handleCase('handle(): Buffer body, authFailureLimit: false', { authFailureLimit: false }),
    handleCase('handle(): Buffer body, no guard, resolveKey = Map.get', {
      authFailureLimit: false,
      resolveKey: (k) => plainMap.get(k) ?? null,
    }),
  ],
  timeSeq,
);
for (const r of handle) {
  r.ratio = r.ops / handle[0].ops;
  r.usPerCall = 1e6 / r.ops;
}

process.send?.({
  handle,
  rounds: ROUNDS,
  sliceMs: SLICE_MS,
  inFlight: IN_FLIGHT,
  totp,
  stores,
  skipped,
  sink: sink & 1,
});
