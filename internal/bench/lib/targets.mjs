/**
 * The speed targets (issue 12, and the earlier ones it does not supersede), each defined once.
 * `evaluateTargets(results)` takes a results object as run.mjs writes it (`results/*.json`) and
 * returns one line per target: what the run measured, the verdict (met / missed / not measured)
 * and, when missed, the gap. run.mjs prints and stores it after every run, report.mjs puts it in
 * BENCHMARKS.md, load.mjs takes the rows' `target` (ratio to the bare route) from here, and
 * format.mjs and chart.mjs show the same numbers.
 *
 * Ratios between two rows are taken per round (both rows ran in the same round, one after the
 * other) and the median over rounds is kept, like each row's ratio to its bare route.
 */

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Median over rounds of `a.rounds[i][field] ÷ b.rounds[i][field]`; undefined unless both rows ran. */
export function perRoundRatio(a, b, field = 'rps') {
  if (!a?.rounds?.length || !b?.rounds?.length) return undefined;
  const n = Math.min(a.rounds.length, b.rounds.length);
  return median(Array.from({ length: n }, (_, i) => a.rounds[i][field] / b.rounds[i][field]));
}

const row = (results, name) => results.http?.rows?.find((r) => r.name === name);
const fixed2 = (x) => x.toFixed(2);

/**
 * Every target. `measure(results)` returns the measured value, or undefined when the run did not
 * measure it; `at: 'least'` means measured ≥ target, `at: 'most'` measured ≤ target.
 * `row` / `vsBare`: the HTTP row whose ratio to its bare route the target is about (load.mjs ROWS).
 * `peer`: the row a per-round req/s ratio is taken against (load.mjs stores it as the row's `vsPeer`).
 */
export const TARGETS = [
  {
    id: 'fastify-kit-vs-bare',
    label: 'Fastify + kit (memory) ≥ {target} × bare Fastify',
    row: 'fastify-kit',
    vsBare: true,
    target: 0.85,
    at: 'least',
    measure: (r) => row(r, 'fastify-kit')?.ratio,
  },
  {
    id: 'koa-kit-vs-bare',
    label: 'Koa + kit (memory) ≥ {target} × bare Koa',
    row: 'koa-kit',
    vsBare: true,
    target: 0.8,
    at: 'least',
    measure: (r) => row(r, 'koa-kit')?.ratio,
  },
  {
    id: 'hono-kit-vs-bare',
    label: 'Hono (Node.js) + kit (memory) ≥ {target} × bare Hono',
    row: 'hono-kit',
    vsBare: true,
    target: 0.85,
    at: 'least',
    measure: (r) => row(r, 'hono-kit')?.ratio,
  },
  {
    id: 'express-kit-vs-bare',
    label: 'Express + kit (memory) ≥ {target} × bare Express',
    row: 'express-kit',
    vsBare: true,
    target: 0.9,
    at: 'least',
    measure: (r) => row(r, 'express-kit')?.ratio,
  },
  {
    id: 'fastify-kit-vs-peer',
    label: 'Fastify + kit (memory) ≥ {target} × Fastify + otplib + @fastify/rate-limit (req/s, per round)',
    row: 'fastify-kit',
    peer: 'peer-fastify-rate-limit',
    target: 1.4,
    at: 'least',
    measure: (r) => perRoundRatio(row(r, 'fastify-kit'), row(r, 'peer-fastify-rate-limit')),
  },
  {
    id: 'fastify-kit-redis-vs-peer',
    label: 'Fastify + kit (Redis) ≥ {target} × Fastify + otplib + rate-limiter-flexible (req/s, per round)',
    row: 'fastify-kit-redis',
    peer: 'peer-rlflex-redis',
    target: 1.6,
    at: 'least',
    measure: (r) => perRoundRatio(row(r, 'fastify-kit-redis'), row(r, 'peer-rlflex-redis')),
  },
  {
    id: 'fastify-kit-redis-vs-bare',
    label: 'Fastify + kit (Redis) ≥ {target} × bare Fastify',
    row: 'fastify-kit-redis',
    vsBare: true,
    target: 0.6,
    at: 'least',
    measure: (r) => row(r, 'fastify-kit-redis')?.ratio,
  },
  {
    id: 'handle-defaults-us',
    label: '`handle()` with defaults ≤ {target} per call (micro-benchmark, one request at a time)',
    target: 3,
    at: 'most',
    format: (x) => `${x.toFixed(1)} µs`,
    measure: (r) => r.micro?.handle?.[0]?.usPerCall,
  },
  {
    id: 'fastify-kit-cpu',
    label: 'Fastify + kit (memory) server CPU per request ≤ {target} × the bare route’s (per round)',
    row: 'fastify-kit',
    target: 1.25,
    at: 'most',
    measure: (r) => perRoundRatio(row(r, 'fastify-kit'), row(r, 'fastify-bare'), 'cpuUs'),
  },
  {
    id: 'totp-vs-hmac',
    label: 'core TOTP (`totpAt`, engine node) ≥ {target} × raw node:crypto HMAC',
    target: 0.8,
    at: 'least',
    measure: (r) => r.micro?.totp?.find((t) => t.label.startsWith('core totpAt (engine node)'))?.ratio,
  },
  {
    id: 'memory-store-bytes',
    label: 'MemoryStore ≤ {target} per identity at 1M identities',
    target: 300,
    at: 'most',
    format: (x) => `${x.toFixed(0)} B`,
    measure: (r) => r.memory?.find((m) => m.n === 1_000_000)?.perIdentity,
  },
  {
    id: 'soak-heap',
    label: 'heap growth over the soak (`pnpm bench --soak`), at the end against 1 min in, ≤ {target}',
    target: 0.05,
    at: 'most',
    format: (x) => `${(x * 100).toFixed(1)} %`,
    relativeGap: false,
    measure: (r) => (r.soak === undefined ? undefined : (r.soak.heapEnd - r.soak.heapAt1Min) / r.soak.heapAt1Min),
  },
];

const formatOf = (t) => t.format ?? fixed2;
const byId = new Map(TARGETS.map((t) => [t.id, t]));

/** The target's label with its number filled in. */
export const targetLabel = (t) => t.label.replace('{target}', formatOf(t)(t.target));

/** The target on `name`'s ratio to its bare route (load.mjs ROWS), or undefined. */
export function rowTarget(name) {
  return TARGETS.find((t) => t.vsBare && t.row === name)?.target;
}

/** The per-round peer comparisons (`row`, `peer`, `target`): load.mjs stores each as the row's `vsPeer`. */
export const PEER_TARGETS = TARGETS.filter((t) => t.peer !== undefined);

/**
 * One line per target: `{ id, label, measured, target, at, verdict, gap }`. `verdict` is 'met',
 * 'missed' or 'not measured'; `gap` (missed only, else null) is |measured − target| in the
 * target's unit (a ratio, µs, bytes, a fraction of the heap).
 */
export function evaluateTargets(results) {
  return TARGETS.map((t) => {
    const value = t.measure(results);
    const measured = typeof value === 'number' && Number.isFinite(value) ? value : null;
    const line = { id: t.id, label: targetLabel(t), measured, target: t.target, at: t.at };
    if (measured === null) return { ...line, verdict: 'not measured', gap: null };
    const met = t.at === 'least' ? measured >= t.target : measured <= t.target;
    return { ...line, verdict: met ? 'met' : 'missed', gap: met ? null : Math.abs(measured - t.target) };
  });
}

/** `measured` as text, in the target's unit ('—' when not measured). */
export function formatMeasured(line) {
  if (line.measured === null) return '—';
  return formatOf(byId.get(line.id) ?? {})(line.measured);
}

/** `verdict` as text: met, **missed** (short by 0.48, 56 %), not measured. */
export function formatVerdict(line) {
  if (line.verdict !== 'missed') return line.verdict;
  const t = byId.get(line.id) ?? {};
  const relative = t.relativeGap === false ? '' : `, ${((line.gap / line.target) * 100).toFixed(0)} %`;
  return `**missed** (${line.at === 'least' ? 'short' : 'over'} by ${formatOf(t)(line.gap)}${relative})`;
}

/** The markdown table printed by run.mjs and written into BENCHMARKS.md by report.mjs. */
export function targetsTable(lines) {
  const out = ['| target | measured | verdict |', '|---|--:|---|'];
  for (const l of lines) out.push(`| ${l.label} | ${formatMeasured(l)} | ${formatVerdict(l)} |`);
  return out.join('\n');
}
