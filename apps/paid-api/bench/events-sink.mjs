/**
 * The cost of the usage-history sink on the kit's hot path: the core's `handle()` answering
 * POST /generate, one request at a time, with and without `onEvent: usageSink(...).onEvent`,
 * and with an empty listener (what the core's events cost by themselves), alternated over rounds
 * (median of each). 1,000 customers with one key each, three limited
 * windows, the memory store. The sink's periodic flush is set far beyond the run, so the figure
 * is the per-request cost (a Map increment); the last line shows what one flush then writes.
 *
 *   pnpm --filter @twofa-kit/example-paid-api... run build && node apps/paid-api/bench/events-sink.mjs
 */
import { createTwoFa, staticKeys } from '@twofa-kit/core';
import { timeSeq } from '../../../internal/bench/lib/timing.mjs';
import { usageSink } from '../dist/usage/sink.js';

const ROUNDS = Number(process.env.ROUNDS ?? 15);
const SLICE_MS = 300;
const CUSTOMERS = 1_000;
const PLANS = { bench: { minute: 1e9, hour: 1e9, day: 1e9, month: null } };
const keys = Array.from({ length: CUSTOMERS }, (_, i) => `tfa_live_bench${String(i).padStart(24, '0')}`);
const table = Object.fromEntries(keys.map((k, i) => [k, { id: `cus_${i}`, plan: 'bench' }]));
const SECRET = 'secret=JBSWY3DPEHPK3PXP';

/** A pool that records the statements a flush sends (the run measures the hot path, not PostgreSQL). */
const statements = [];
const recorder = {
  query: async (sql, values) => {
    statements.push({ sql, rows: values[0].length });
    return { rows: [] };
  },
};

function handleCase(label, kind) {
  const sink = kind === 'sink' ? usageSink(recorder, { flushMs: 3_600_000 }) : undefined;
  const onEvent = kind === 'sink' ? sink.onEvent : kind === 'noop' ? () => {} : undefined;
  const twoFa = createTwoFa({ resolveKey: staticKeys(table), plans: PLANS, onEvent });
  let n = 0;
  return {
    label,
    sink,
    fn: async () => {
      const i = n++;
      const res = await twoFa.handle({
        method: 'POST',
        path: '/generate',
        rawQuery: '',
        headers: {
          'x-api-key': keys[i % CUSTOMERS],
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': String(SECRET.length),
        },
        body: { kind: 'parsed', value: Buffer.from(SECRET) },
        ip: '127.0.0.1',
      });
      if (res.status !== 200) throw new Error(`handle() answered ${res.status}: ${res.body}`);
    },
    calls: () => n,
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const cases = [
  handleCase('handle(), no onEvent', 'none'),
  handleCase('handle(), onEvent = () => {} (the core building events)', 'noop'),
  handleCase('handle(), onEvent = usageSink(...).onEvent', 'sink'),
];
const samples = cases.map(() => []);
for (const c of cases) await timeSeq(c.fn, SLICE_MS); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  for (const [i, c] of cases.entries()) samples[i].push(await timeSeq(c.fn, SLICE_MS));
}
const base = median(samples[0]);
console.log(`node ${process.version}, ${ROUNDS} rounds of ${SLICE_MS} ms, median per case`);
console.log('| case | calls/s | µs per call | vs no onEvent |');
console.log('| --- | ---: | ---: | ---: |');
for (const [i, c] of cases.entries()) {
  const ops = median(samples[i]);
  console.log(
    `| ${c.label} | ${Math.round(ops).toLocaleString('en-US')} | ${(1e6 / ops).toFixed(2)} | ${(ops / base).toFixed(3)} |`,
  );
}
// The sink's own work per event, alone: a prebuilt event per customer, in a tight loop.
const alone = usageSink(recorder, { flushMs: 3_600_000 });
const events = keys.map((_, i) => ({
  type: 'generated',
  route: 'generate',
  status: 200,
  identityId: `cus_${i}`,
  plan: 'bench',
  limiter: 'admitted',
  windows: [],
  durationMs: 0.02,
}));
const perEvent = [];
for (let r = 0; r < ROUNDS; r++) {
  const n = 1_000_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) alone.onEvent(events[i % CUSTOMERS]);
  perEvent.push(((performance.now() - t0) * 1e6) / n);
}
await alone.close();
console.log(
  `\nusageSink(...).onEvent alone: ${median(perEvent).toFixed(0)} ns per event (median of ${ROUNDS} × 1,000,000)`,
);

const sunk = cases[2];
statements.length = 0;
await sunk.sink.close();
console.log(
  `\nOne flush after ${sunk.calls().toLocaleString('en-US')} requests: ${statements.length} statement(s), ${statements.reduce((s, x) => s + x.rows, 0)} rows (customer × hour).`,
);
