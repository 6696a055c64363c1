/**
 * The usage history is exact enough to bill from. The server runs as users run it
 * (`pnpm --dir apps/paid-api start` on a real PostgreSQL) and is restarted gracefully (SIGTERM)
 * several times while clients keep sending requests; each client logs every answer it gets. The
 * ledger (`usage_hourly`) must equal that log: admitted = the 200s, refused = the 429s, a difference
 * of 0 — the counts still in memory are written when the server closes. Then the server is killed
 * outright (SIGKILL) and the loss is measured: at most the requests since the last flush (every
 * 5 s by default).
 *
 * Size: RECONCILE_ROUNDS graceful restarts (default 3) of RECONCILE_SECONDS of traffic each (default 3).
 */
import { DEFAULT_PLANS } from '@twofa-kit/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomer, createKey, migrate } from '../src/index.js';
import { SECRET } from './support/http.js';
import { type PostgresServer, postgresTestsEnabled, startPostgres } from './support/postgres.js';
import { buildExample, type RunningServer, startServer } from './support/process.js';

const ROUNDS = Number(process.env.RECONCILE_ROUNDS ?? 3);
const SECONDS = Number(process.env.RECONCILE_SECONDS ?? 3);
const CONCURRENCY = 16;
const PLANS = { bulk: { minute: null, hour: null, day: null, month: null } };

interface Log {
  admitted: number;
  refused: number;
  /** Requests that got no answer (the connection closed during a restart): counted in neither. */
  unanswered: number;
  other: number;
}

describe.skipIf(!postgresTestsEnabled('apps/paid-api reconciliation'))('usage history vs a request log', () => {
  let pgServer: PostgresServer;
  let admin: pg.Pool;
  const customers: { id: string; key: string }[] = [];
  const log = new Map<string, Log>();

  beforeAll(async () => {
    buildExample();
    pgServer = await startPostgres();
    admin = new pg.Pool({ connectionString: pgServer.url, max: 2 });
    await migrate(admin);
    const table = { ...DEFAULT_PLANS, ...PLANS };
    for (const plan of ['bulk', 'free', 'pro']) {
      const c = await createCustomer(admin, table, { email: `${plan}@example.com`, plan });
      customers.push({ id: c.id, key: (await createKey(admin, c.id)).key });
      log.set(c.id, { admitted: 0, refused: 0, unanswered: 0, other: 0 });
    }
  }, 300_000);
  afterAll(async () => {
    await admin?.end();
    await pgServer?.stop();
  });

  const env = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: pgServer.url,
    TWOFA_PLANS: JSON.stringify(PLANS),
    ...extra,
  });

  /** Clients send requests until `until()` says stop; every answer is logged per customer. */
  async function traffic(url: string, until: () => boolean): Promise<void> {
    let n = 0;
    const worker = async () => {
      while (!until()) {
        const c = customers[n++ % customers.length] as { id: string; key: string };
        const entry = log.get(c.id) as Log;
        try {
          const res = await fetch(`${url}/api/2fa/generate`, {
            method: 'POST',
            headers: { 'x-api-key': c.key, 'content-type': 'application/x-www-form-urlencoded' },
            body: `secret=${SECRET}`,
          });
          await res.arrayBuffer();
          if (res.status === 200) entry.admitted++;
          else if (res.status === 429) entry.refused++;
          else entry.other++;
        } catch {
          entry.unanswered++;
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  }

  async function ledger(): Promise<Map<string, { admitted: number; refused: number }>> {
    const { rows } = await admin.query<{ customer_id: string; admitted: string; refused: string }>(
      'SELECT customer_id, sum(admitted) AS admitted, sum(refused) AS refused FROM usage_hourly GROUP BY customer_id',
    );
    return new Map(rows.map((r) => [r.customer_id, { admitted: Number(r.admitted), refused: Number(r.refused) }]));
  }

  function totals() {
    let admitted = 0;
    let refused = 0;
    let unanswered = 0;
    let other = 0;
    for (const l of log.values()) {
      admitted += l.admitted;
      refused += l.refused;
      unanswered += l.unanswered;
      other += l.other;
    }
    return { admitted, refused, unanswered, other };
  }

  it(`${ROUNDS} graceful restarts under traffic: ledger = request log, difference 0; then a crash's loss`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const server: RunningServer = await startServer(env());
      const end = Date.now() + SECONDS * 1000;
      // The stop comes while the clients are still sending.
      const sending = traffic(server.url, () => Date.now() > end + 300);
      await new Promise((r) => setTimeout(r, SECONDS * 1000));
      await server.stop('SIGTERM');
      await sending;
    }
    const book = await ledger();
    const logged = totals();
    let difference = 0;
    for (const c of customers) {
      const l = log.get(c.id) as Log;
      const b = book.get(c.id) ?? { admitted: 0, refused: 0 };
      difference += Math.abs(b.admitted - l.admitted) + Math.abs(b.refused - l.refused);
    }
    const ledgerAdmitted = [...book.values()].reduce((s, v) => s + v.admitted, 0);
    const ledgerRefused = [...book.values()].reduce((s, v) => s + v.refused, 0);
    console.log(
      `[reconcile] graceful: ${ROUNDS} restarts, ${logged.admitted + logged.refused} answered requests (log: ${logged.admitted} admitted, ${logged.refused} refused; ${logged.unanswered} unanswered during restarts, ${logged.other} other) — ledger: ${ledgerAdmitted} admitted, ${ledgerRefused} refused — difference ${difference}`,
    );
    expect(logged.other).toBe(0);
    expect(difference).toBe(0);

    // A crash: SIGKILL mid-traffic, 7 s in, with the default flush (5 s) and with USAGE_FLUSH_MS=1000.
    for (const flushMs of [5_000, 1_000]) {
      const before = totals();
      const beforeBook = await ledger();
      const server = await startServer(env({ USAGE_FLUSH_MS: String(flushMs) }));
      const crashAt = Date.now() + 7_000;
      const sending = traffic(server.url, () => Date.now() > crashAt + 300);
      await new Promise((r) => setTimeout(r, 7_000));
      await server.stop('SIGKILL');
      await sending;
      const after = totals();
      const afterBook = await ledger();
      const sum = (m: Map<string, { admitted: number; refused: number }>) =>
        [...m.values()].reduce((s, v) => s + v.admitted + v.refused, 0);
      const answered = after.admitted + after.refused - (before.admitted + before.refused);
      const written = sum(afterBook) - sum(beforeBook);
      const rate = answered / 7;
      console.log(
        `[reconcile] crash (USAGE_FLUSH_MS=${flushMs}): SIGKILL after 7 s: ${answered} answered requests, ${written} in the ledger — lost ${answered - written} (${((100 * (answered - written)) / answered).toFixed(1)} %; bound: ${flushMs} ms of traffic ≈ ${Math.round((rate * flushMs) / 1000)})`,
      );
      expect(written).toBeLessThanOrEqual(answered);
      // At most one flush interval of traffic (with slack for the rate varying under load).
      expect(answered - written).toBeLessThanOrEqual(Math.ceil((rate * flushMs * 1.5) / 1000) + 50);
    }
  }, 600_000);
});
