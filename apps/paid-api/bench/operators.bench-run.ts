/**
 * The operators' pages at scale: 10,000 customers and 1,000,000 rows of hourly usage in a real
 * PostgreSQL (initdb + pg_ctl on a free port), every operator page requested over HTTP, and the
 * server time of each (Fastify's `reply.elapsedTime`, from the request's arrival to the last byte
 * handed to the socket) printed as median, p95 and worst. A benchmark, not a test: it asserts
 * nothing about time. Also prints what the daily roll-up trigger adds to a flush of the usage sink.
 *
 *   pnpm --dir apps/paid-api bench:operators          (CUSTOMERS=10000 HOURS=100 ROUNDS=30)
 */
import { DEFAULT_PLANS } from '@twofa-kit/core';
import pg from 'pg';
import { afterAll, beforeAll, it } from 'vitest';
import { buildApp, ensureAdmin, migrate, type PaidApp, usageSink } from '../src/index.js';
import { DashboardClient } from '../test/support/dashboard.js';
import { listen } from '../test/support/http.js';
import { type PostgresServer, startPostgres } from '../test/support/postgres.js';

const CUSTOMERS = Number(process.env.CUSTOMERS ?? 10_000);
const HOURS = Number(process.env.HOURS ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 30);
const PASSWORD = 'operator password 1';

let server: PostgresServer;
let pool: pg.Pool;
let paid: PaidApp;
let ops: DashboardClient;
const serverMs = new Map<string, number[]>();
let current = '';

beforeAll(async () => {
  server = await startPostgres();
  pool = new pg.Pool({ connectionString: server.url, max: 8 });
  await migrate(pool);
  await ensureAdmin(pool, DEFAULT_PLANS, 'ops@example.com', PASSWORD);
  const started = Date.now();
  await pool.query(
    `INSERT INTO customers (id, email, plan, created_at)
     SELECT 'cus_' || lpad(to_hex(i), 16, '0'), 'user' || i || '@example.com', (ARRAY['free','pro','ultra'])[1 + i % 3],
            now() - i * interval '1 minute'
       FROM generate_series(1, $1::int) i`,
    [CUSTOMERS],
  );
  // The history as the sink writes it, in bulk: the trigger is off while seeding and the roll-ups
  // are then filled the way migration 3 fills them from an existing history.
  await pool.query('ALTER TABLE usage_hourly DISABLE TRIGGER USER');
  await pool.query(
    `INSERT INTO usage_hourly (customer_id, hour, admitted, refused)
     SELECT 'cus_' || lpad(to_hex(c), 16, '0'), date_trunc('hour', now()) - h * interval '1 hour',
            (c * 7 + h * 13) % 50, (c + h) % 3
       FROM generate_series(1, $1::int) c, generate_series(0, $2::int - 1) h`,
    [CUSTOMERS, HOURS],
  );
  await pool.query(`INSERT INTO usage_daily (customer_id, day, admitted, refused)
    SELECT customer_id, (hour AT TIME ZONE 'UTC')::date, sum(admitted), sum(refused) FROM usage_hourly GROUP BY 1, 2`);
  await pool.query(`INSERT INTO usage_days (day, admitted, refused)
    SELECT (hour AT TIME ZONE 'UTC')::date, sum(admitted), sum(refused) FROM usage_hourly GROUP BY 1`);
  await pool.query('ALTER TABLE usage_hourly ENABLE TRIGGER USER');
  await pool.query('VACUUM ANALYZE');
  const rows = await pool.query<{ n: string }>('SELECT count(*) AS n FROM usage_hourly');
  console.log(`seeded ${CUSTOMERS} customers, ${rows.rows[0]?.n} usage rows in ${Date.now() - started} ms`);

  paid = buildApp({ pool, usageFlushMs: 600_000 });
  paid.app.addHook('onResponse', async (_request, reply) => {
    if (current !== '') serverMs.get(current)?.push(reply.elapsedTime);
  });
  ops = new DashboardClient(await listen(paid.app));
  await ops.signIn('ops@example.com', PASSWORD);
});

afterAll(async () => {
  await paid?.app.close();
  await pool?.end();
  await server?.stop();
});

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

it('operator pages: server time per page', async () => {
  const last = Math.ceil(CUSTOMERS / 50);
  const pages: Record<string, string> = {
    'customers, first page + totals + audit log': '/dashboard/admin',
    'customers, a middle page': `/dashboard/admin?page=${Math.floor(last / 2)}`,
    'customers, the last page': `/dashboard/admin?page=${last}`,
    'search by part of an email': '/dashboard/admin?q=user77',
    'search by id': `/dashboard/admin?q=cus_${(1234).toString(16).padStart(16, '0')}`,
    'search with no match': '/dashboard/admin?q=nobody-at-all',
  };
  for (const label of Object.keys(pages)) serverMs.set(label, []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, path] of Object.entries(pages)) {
      current = label;
      const page = await ops.get(path);
      current = '';
      if (page.status !== 200) throw new Error(`${path} answered ${page.status}`);
    }
  }
  console.log(`\nserver time over ${ROUNDS} rounds (ms): median / p95 / worst`);
  for (const [label, times] of serverMs) {
    const sorted = [...times].sort((a, b) => a - b);
    console.log(
      `  ${label.padEnd(44)} ${pct(sorted, 0.5).toFixed(1).padStart(6)} ${pct(sorted, 0.95).toFixed(1).padStart(6)} ${(sorted.at(-1) ?? 0).toFixed(1).padStart(6)}`,
    );
  }
});

it('the roll-up trigger on a usage flush', async () => {
  const flushOf = async (withTrigger: boolean) => {
    await pool.query(`ALTER TABLE usage_hourly ${withTrigger ? 'ENABLE' : 'DISABLE'} TRIGGER USER`);
    const sink = usageSink(pool, { flushMs: 600_000 });
    for (let c = 1; c <= 1_000; c++) {
      sink.onEvent({ identityId: `cus_${c.toString(16).padStart(16, '0')}`, limiter: 'admitted' } as Parameters<
        typeof sink.onEvent
      >[0]);
    }
    const t = performance.now();
    await sink.flush();
    const ms = performance.now() - t;
    await sink.close();
    return ms;
  };
  const times = { with: [] as number[], without: [] as number[] };
  for (let i = 0; i < 5; i++) {
    times.without.push(await flushOf(false));
    times.with.push(await flushOf(true));
  }
  await pool.query('ALTER TABLE usage_hourly ENABLE TRIGGER USER');
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]?.toFixed(1);
  console.log(
    `\na flush of 1,000 customer-hours (median of 5): ${med(times.without)} ms without the roll-up trigger, ${med(times.with)} ms with it`,
  );
});
