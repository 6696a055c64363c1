/**
 * The failed-auth guard's memory and its overflow sketch (`node --expose-gc internal/bench/guard-memory.mjs
 * [clients] [extra]`, after `pnpm build`): heapUsed + arrayBuffers after full GCs, before the counter is built and
 * after `clients` distinct IPv4 addresses (default 1,000,000) each failed once in one window, with
 * the default table (10,000 buckets). Then `extra` further addresses (default 10,000) each fail
 * until refused (20 times), and 100,000 addresses that never failed are checked: how many of them
 * the counter would refuse.
 */
// The counter and its defaults are internal to the core: taken from its build (`pnpm build`).
const dist = new URL('../../packages/core/dist/', import.meta.url);
const { MemoryGuardCounter } = await import(new URL('limits/stores/guard-memory.js', dist).href);
const { DEFAULT_AUTH_FAILURE_LIMIT } = await import(new URL('keys/auth-guard.js', dist).href);
const { clientBuckets } = await import(new URL('keys/client-buckets.js', dist).href);

const clients = Number(process.argv[2] ?? 1_000_000);
const extra = Number(process.argv[3] ?? 10_000);
const { max, windowSeconds, maxClients } = DEFAULT_AUTH_FAILURE_LIMIT;

function bytes() {
  for (let i = 0; i < 6; i++) globalThis.gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** The i-th address of a range, four octets from `i` (`first` the first octet). */
const address = (first, i) => `${first + (i >>> 24)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;

const now = Date.UTC(2026, 0, 1, 12, 0, 5);
const before = bytes();
const counter = new MemoryGuardCounter(maxClients, () => now);
for (let i = 0; i < clients; i++) counter.authFailures(clientBuckets(address(10, i), max), windowSeconds, true);
const after = bytes();

const fresh = () => {
  let refused = 0;
  for (let i = 0; i < 100_000; i++) {
    if (counter.authFailures(clientBuckets(address(172, i), max), windowSeconds, false).remaining <= 0) refused++;
  }
  return refused;
};
const refusedBefore = fresh();
for (let i = 0; i < extra; i++) {
  const buckets = clientBuckets(address(100, i), max);
  while (counter.authFailures(buckets, windowSeconds, false).remaining > 0)
    counter.authFailures(buckets, windowSeconds, true);
}
console.log(
  JSON.stringify({
    clients,
    tableBuckets: counter.size,
    sketchBytes: counter.sketchBytes,
    retainedMiB: Number(((after - before) / 2 ** 20).toFixed(2)),
    freshRefusedOf100000: refusedBefore,
    extraAtFullBudget: extra,
    freshRefusedOf100000After: fresh(),
  }),
);
