/**
 * Usage alerts over HTTP on two app instances sharing one PostgreSQL and one limiter store (one
 * memory store in this process, or one Redis that each instance reaches with its own client):
 * 1,050 concurrent requests straddle 80 % and 100 % of an hourly limit and take the credits below
 * the low mark; the customer's webhook receiver (a test server that fails every alert's first three
 * tries) gets each threshold event exactly once with a valid signature, the mails go out once, and
 * every try and its answer shows in the customer's and the operator's Dashboard.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_PLANS, type LimiterStore, MemoryStore } from '@twofa-kit/core';
import { limiterStore } from '@twofa-kit/example-support';
import { type RedisServer, redisTestsEnabled, startRedis } from '@twofa-kit/testing/redis-servers';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildApp,
  createCustomer,
  createKey,
  deliveryWorker,
  ensureAdmin,
  listDeliveries,
  type Mail,
  migrate,
  verifyWebhook,
} from '../src/index.js';
import { DashboardClient } from './support/dashboard.js';
import { generate, listen } from './support/http.js';
import { type PostgresServer, postgresTestsEnabled, startPostgres } from './support/postgres.js';

const PLANS = { ...DEFAULT_PLANS, metered: { minute: null, hour: 1_000, day: null, month: null } };
const FAILS_BEFORE_OK = 3;

interface Received {
  readonly id: string;
  readonly body: string;
  readonly valid: boolean;
  readonly answered: number;
}

describe.skipIf(!postgresTestsEnabled('apps/paid-api alerts'))('usage alerts: mail and signed webhooks', () => {
  let server: PostgresServer;
  let admin: pg.Pool;
  let receiver: Server;
  let receiverUrl = '';
  let secret = '';
  const received: Received[] = [];
  const mails: Mail[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  let redis: RedisServer | undefined;

  beforeAll(async () => {
    server = await startPostgres();
    admin = new pg.Pool({ connectionString: server.url, max: 2 });
    await migrate(admin);
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const id = String(req.headers['webhook-id']);
        const tries = received.filter((r) => r.id === id).length;
        const answered = tries < FAILS_BEFORE_OK ? 500 : 204;
        const valid = verifyWebhook(
          secret,
          req.headers['webhook-timestamp'] as string | undefined,
          body,
          req.headers['webhook-signature'] as string | undefined,
        );
        received.push({ id, body, valid, answered });
        res.writeHead(answered, { 'content-type': 'text/plain' }).end(answered === 500 ? 'down for maintenance' : '');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/2fa`;
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    await new Promise((resolve) => receiver?.close(resolve));
    await redis?.stop();
    await admin?.end();
    await server?.stop();
  });

  async function instance(store: LimiterStore): Promise<string> {
    const pool = new pg.Pool({ connectionString: server.url, max: 4 });
    const { app } = buildApp({
      pool,
      plans: PLANS,
      store,
      credits: { lowBalance: 100 },
      mailer: { send: async (mail) => void mails.push(mail) },
      // The test's receivers listen on 127.0.0.1: a private address, allowed here only.
      deliveries: { pollMs: 25, backoffMs: () => 50, allowPrivate: true },
    });
    const base = await listen(app);
    cleanups.push(async () => {
      await app.close();
      await pool.end();
    });
    return base;
  }

  /** Two limiter stores on one backend: the same memory store twice, or two clients of one Redis. */
  async function stores(kind: string): Promise<[LimiterStore, LimiterStore]> {
    if (kind === 'memory') {
      const one = new MemoryStore();
      return [one, one];
    }
    redis ??= await startRedis();
    const url = redis.url;
    const [x, y] = [await limiterStore(url), await limiterStore(url)];
    cleanups.push(x.close, y.close);
    return [x.store as LimiterStore, y.store as LimiterStore];
  }

  const backends = redisTestsEnabled('paid-api alerts on Redis') ? ['memory', 'redis'] : ['memory'];
  it.each(backends)(
    '%s: each threshold once, signed, delivered after three failures, visible in the Dashboard',
    async (kind) => {
      received.length = 0;
      mails.length = 0;
      const [sa, sb] = await stores(kind);
      const [a, b] = [await instance(sa), await instance(sb)];
      const customer = await createCustomer(admin, PLANS, {
        email: `alerts-${kind}@example.com`,
        plan: 'metered',
        password: 'correct horse battery',
      });
      const { key } = await createKey(admin, customer.id);
      await sa.topUp?.(customer.id, 1_050, 'welcome');

      // The customer sets the URL in the Dashboard; the signing secret is shown once.
      const web = new DashboardClient(a);
      await web.signIn(`alerts-${kind}@example.com`, 'correct horse battery');
      await web.get('/dashboard/billing');
      const saved = await web.post('/dashboard/billing/webhook', { url: receiverUrl });
      const shown = /id="webhook-secret">([^<]+)</.exec(saved.html);
      expect(shown?.[1]).toMatch(/^whsec_/);
      const first = shown?.[1] as string;
      expect((await web.get('/dashboard/billing')).html).not.toContain(first);
      const rotated = /id="webhook-secret">([^<]+)</.exec(
        (await web.post('/dashboard/billing/webhook/rotate', {})).html,
      );
      secret = rotated?.[1] as string;
      expect(secret).toMatch(/^whsec_/);
      expect(secret).not.toBe(first);

      // 1,050 requests, 50 at a time, alternating between the instances.
      const statuses: number[] = [];
      for (let i = 0; i < 1_050; i += 50) {
        const batch = Array.from({ length: 50 }, (_, j) => generate((i + j) % 2 === 0 ? a : b, key));
        statuses.push(...(await Promise.all(batch)).map((r) => r.status));
      }
      expect(statuses.filter((s) => s === 200)).toHaveLength(1_000);
      expect(statuses.filter((s) => s === 429)).toHaveLength(50);

      // Wait for the three alerts to be delivered (each on its fourth try).
      const deadline = Date.now() + 20_000;
      let deliveries = await listDeliveries(admin, { customerId: customer.id });
      while (!(deliveries.length === 3 && deliveries.every((d) => d.status === 'delivered'))) {
        if (Date.now() > deadline) throw new Error(`not delivered: ${JSON.stringify(deliveries.map((d) => d.status))}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
        deliveries = await listDeliveries(admin, { customerId: customer.id });
      }

      const alerts = (await admin.query('SELECT type, payload FROM alerts WHERE customer_id = $1', [customer.id])).rows;
      const what = alerts.map((r) => {
        const p = r.payload;
        return p.type === 'quota.threshold'
          ? `${p.data.window} ${p.data.percent}`
          : `credits.low ${p.data.balance < 100}`;
      });
      expect(what.sort()).toEqual(['credits.low true', 'hour 100', 'hour 80']);

      // The receiver: every try validly signed; each alert answered 2xx exactly once, after 3 failures.
      expect(received.every((r) => r.valid)).toBe(true);
      const ids = [...new Set(received.map((r) => r.id))];
      expect(ids).toHaveLength(3);
      for (const id of ids) {
        const tries = received.filter((r) => r.id === id);
        expect(tries.map((t) => t.answered)).toEqual([500, 500, 500, 204]);
        expect(new Set(tries.map((t) => t.body)).size).toBe(1);
      }
      for (const d of deliveries) {
        expect(d.attempts.map((t) => t.httpStatus)).toEqual([500, 500, 500, 204]);
        expect(d.attempts[0]?.response).toBe('down for maintenance');
      }

      // One mail per alert, to the customer.
      expect(mails.map((m) => m.to)).toEqual(Array(3).fill(`alerts-${kind}@example.com`));

      // The customer's page and the operator's list show each delivery and its answers.
      const page = (await web.get('/dashboard/billing')).html;
      expect(page.match(/data-delivery-id=/g)).toHaveLength(3);
      expect(page).toContain('HTTP 500');
      expect(page).toContain('HTTP 204');
      expect(page).toContain('down for maintenance');
      await ensureAdmin(admin, PLANS, 'ops@example.com', 'operator password 1'); // once: 'exists' the second time
      const ops = new DashboardClient(b);
      await ops.signIn('ops@example.com', 'operator password 1');
      const opsPage = (await ops.get('/dashboard/admin/deliveries')).html;
      expect(opsPage).toContain(customer.id);
      expect(opsPage).toContain(deliveries[0]?.alertId);
    },
  );

  it('gives up when the retry period is over: the delivery is marked failed, every try kept', async () => {
    const customer = await createCustomer(admin, PLANS, { email: 'gone@example.com', plan: 'metered' });
    await admin.query(
      `INSERT INTO alert_settings (customer_id, webhook_url, webhook_secret) VALUES ($1, 'http://127.0.0.1:9/nobody', 'whsec_x')`,
      [customer.id],
    );
    await admin.query(
      `INSERT INTO alerts (id, customer_id, type, dedupe, payload) VALUES ('alt_gone', $1, 'credits.low', 'gone', '{}')`,
      [customer.id],
    );
    await admin.query(
      `INSERT INTO webhook_deliveries (alert_id, customer_id, url, body) VALUES ('alt_gone', $1, 'http://127.0.0.1:9/nobody', '{}')`,
      [customer.id],
    );
    const worker = deliveryWorker(admin, { pollMs: 3_600_000, backoffMs: () => 0, retryForMs: 300, timeoutMs: 1_000 });
    try {
      let view = (await listDeliveries(admin, { customerId: customer.id }))[0];
      const deadline = Date.now() + 10_000;
      while (view?.status === 'pending' && Date.now() < deadline) {
        await worker.runOnce();
        await new Promise((r) => setTimeout(r, 50));
        view = (await listDeliveries(admin, { customerId: customer.id }))[0];
      }
      expect(view?.status).toBe('failed');
      expect(view?.attempts.length).toBeGreaterThanOrEqual(2);
      expect(view?.attempts.every((t) => t.httpStatus === null && t.error !== null)).toBe(true);
      const rounds = await worker.runOnce();
      expect(rounds).toBe(0); // nothing more is sent
    } finally {
      await worker.close();
    }
  });
});
