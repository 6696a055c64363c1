/**
 * A hung PostgreSQL (SIGSTOP on this test's own server and its backends): the Dashboard answers a
 * generic 503 with Retry-After within the pool's timeouts, a burst beyond the bounded wait queue
 * is refused at once, and everything works again once the server resumes.
 */
import { DEFAULT_PLANS } from '@twofa-kit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, createCustomer, type Database, migrate, openDatabase, type PaidApp } from '../src/index.js';
import { DashboardClient } from './support/dashboard.js';
import { listen } from './support/http.js';
import { type PostgresServer, postgresTestsEnabled, signalPostgres, startPostgres } from './support/postgres.js';

const PASSWORD = 'correct horse battery';

describe.skipIf(!postgresTestsEnabled('a hung PostgreSQL'))('a hung PostgreSQL', () => {
  let server: PostgresServer;
  let db: Database;
  let paid: PaidApp;
  let base: string;

  beforeAll(async () => {
    server = await startPostgres();
    db = await openDatabase({
      url: server.url,
      dataDir: '',
      maxConnections: 4,
      limits: { connectMs: 1_000, statementMs: 1_000, maxWaiting: 4 },
    });
    await migrate(db.pool);
    paid = buildApp({ pool: db.pool, usageFlushMs: 600_000 });
    base = await listen(paid.app);
  });
  afterAll(async () => {
    if (server !== undefined) signalPostgres(server, 'SIGCONT');
    await paid?.app.close();
    await db?.close();
    await server?.stop();
  });

  it('answers 503 with Retry-After within the timeouts, refuses a burst past the queue at once, and recovers', async () => {
    await createCustomer(db.pool, DEFAULT_PLANS, { email: 'hang@example.com', plan: 'free', password: PASSWORD });
    const client = new DashboardClient(base);
    expect((await client.signIn('hang@example.com', PASSWORD)).status).toBe(303);
    expect((await client.get('/dashboard')).status).toBe(200);

    signalPostgres(server, 'SIGSTOP');
    try {
      const started = performance.now();
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          fetch(`${base}/dashboard`, { redirect: 'manual', headers: { cookie: client.cookieHeader } }).then(
            async (r) => ({
              status: r.status,
              retryAfter: r.headers.get('retry-after'),
              body: await r.text(),
              at: performance.now() - started,
            }),
          ),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(503));
      for (const a of answers) {
        expect(a.retryAfter).toMatch(/^\d+$/);
        expect(a.body).not.toMatch(/timeout|127\.0\.0\.1|postgres/i);
      }
      // 4 connections hung (query timeout ~2 s), 4 waiting (connect timeout 1 s), the rest at once.
      expect(Math.max(...answers.map((a) => a.at))).toBeLessThan(4_000);
      expect(answers.filter((a) => a.at < 800).length).toBeGreaterThanOrEqual(10);
      // Signing in fails closed too, without hanging.
      const signIn = new DashboardClient(base);
      await signIn.get('/dashboard/login');
      const t = performance.now();
      expect((await signIn.post('/dashboard/login', { email: 'hang@example.com', password: PASSWORD })).status).toBe(
        503,
      );
      expect(performance.now() - t).toBeLessThan(4_000);
    } finally {
      signalPostgres(server, 'SIGCONT');
    }
    await expect.poll(async () => (await client.get('/dashboard')).status, { timeout: 10_000 }).toBe(200);
  }, 30_000);
});
