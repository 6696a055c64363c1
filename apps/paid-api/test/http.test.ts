/**
 * The key lifecycle as a client sees it, over HTTP, on two app instances sharing one real
 * PostgreSQL (initdb + pg_ctl on a free port): revocation reaches both within the stated bound
 * (at once through change notifications; at the latest after the key-cache TTL), expiry and the
 * end of a rotation's grace period are exact, and a customer's keys share one quota.
 */

import { DEFAULT_PLANS, type LimiterStore } from '@twofa-kit/core';
import { limiterStore } from '@twofa-kit/example-support';
import { redisTestsEnabled, startRedis } from '@twofa-kit/testing/redis-servers';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  buildApp,
  type ChangeListener,
  createCustomer,
  createKey,
  expireKey,
  listenForChanges,
  revokeKey,
  rotateKey,
  setLimits,
  setPlan,
} from '../src/index.js';
import { generate, listen, usage } from './support/http.js';
import { type PostgresServer, postgresTestsEnabled, startPostgres } from './support/postgres.js';

const TEN_MINUTES = 600_000;

describe.skipIf(!postgresTestsEnabled('apps/paid-api over HTTP'))('paid-api over HTTP, two instances', () => {
  let server: PostgresServer;
  let admin: pg.Pool;
  const cleanups: (() => Promise<void>)[] = [];
  let n = 0;

  beforeAll(async () => {
    server = await startPostgres();
    admin = new pg.Pool({ connectionString: server.url, max: 2 });
    const { migrate } = await import('../src/index.js');
    await migrate(admin);
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  afterAll(async () => {
    await admin?.end();
    await server?.stop();
  });

  /** One app instance: its own pool, key cache, limiter and (optionally) change listener. */
  async function instance(options: { ttlMs: number; notify: boolean; clock?: () => number; store?: LimiterStore }) {
    const pool = new pg.Pool({ connectionString: server.url, max: 4 });
    const { app, keys } = buildApp({ pool, ttlMs: options.ttlMs, clock: options.clock, store: options.store });
    let listener: ChangeListener | undefined;
    if (options.notify) {
      listener = listenForChanges(server.url, keys.clear);
      await listener.ready;
    }
    const base = await listen(app);
    cleanups.push(async () => {
      await app.close();
      await listener?.close();
      await pool.end();
    });
    return base;
  }

  async function customerWithKey(plan = 'pro') {
    const customer = await createCustomer(admin, DEFAULT_PLANS, { email: `c${++n}@example.com`, plan });
    const issued = await createKey(admin, customer.id);
    return { customer, ...issued };
  }

  it('a revoked key answers 401 on every instance as soon as the change notification arrives', async () => {
    // A ten-minute TTL: only the notification can make these instances forget the key.
    const a = await instance({ ttlMs: TEN_MINUTES, notify: true });
    const b = await instance({ ttlMs: TEN_MINUTES, notify: true });
    const { key, record } = await customerWithKey();
    expect((await generate(a, key)).status).toBe(200);
    expect((await generate(b, key)).status).toBe(200); // cached on both now
    await revokeKey(admin, record.id);
    for (const base of [a, b]) {
      await vi.waitFor(async () => expect((await generate(base, key)).status).toBe(401), { timeout: 10_000 });
      const res = await generate(base, key);
      expect(res.body).toEqual({ code: 401, message: 'Invalid or missing API key', data: null });
    }
  });

  it('without notifications, a revoked key answers 401 on every instance once the TTL has passed', async () => {
    let offset = 0;
    const clock = () => Date.now() + offset;
    const ttlMs = 30_000;
    const a = await instance({ ttlMs, notify: false, clock });
    const b = await instance({ ttlMs, notify: false, clock });
    const { key, record } = await customerWithKey();
    expect((await generate(a, key)).status).toBe(200);
    expect((await generate(b, key)).status).toBe(200);
    await revokeKey(admin, record.id);
    // Within the TTL the cached answer may still be used: that is the stated bound, not a bug.
    expect((await generate(a, key)).status).toBe(200);
    offset += ttlMs;
    expect((await generate(a, key)).status).toBe(401);
    expect((await generate(b, key)).status).toBe(401);
  });

  it('an expired key answers 401: at its expiry even while cached, and at once when expired early', async () => {
    let offset = 0;
    const clock = () => Date.now() + offset;
    const a = await instance({ ttlMs: TEN_MINUTES, notify: true, clock });
    const customer = await createCustomer(admin, DEFAULT_PLANS, { email: `c${++n}@example.com`, plan: 'pro' });
    const soon = await createKey(admin, customer.id, { expiresAt: new Date(Date.now() + 120_000) });
    expect((await generate(a, soon.key)).status).toBe(200);
    offset += 120_000; // well within the TTL: the cached entry itself knows when the key expires
    expect((await generate(a, soon.key)).status).toBe(401);
    offset = 0;

    const later = await createKey(admin, customer.id, { expiresAt: new Date(Date.now() + 86_400_000) });
    expect((await generate(a, later.key)).status).toBe(200);
    await expireKey(admin, later.record.id, new Date());
    await vi.waitFor(async () => expect((await generate(a, later.key)).status).toBe(401), { timeout: 10_000 });
  });

  it('during a rotation both keys work and share one quota; after the grace period the old one is 401', async () => {
    let offset = 0;
    const clock = () => Date.now() + offset;
    const a = await instance({ ttlMs: TEN_MINUTES, notify: true, clock });
    const { customer, key: oldKey, record } = await customerWithKey('free');
    await setLimits(admin, customer.id, { minute: 4 });
    const rotated = await rotateKey(admin, record.id, { graceSeconds: 3600 });
    const newKey = rotated.key;
    // Neither key has been looked up yet, so both resolve with the 4-a-minute override.
    expect((await usage(a, newKey)).headers.get('ratelimit-policy')).toMatch(/^"minute";q=4;w=60/);
    // Line the requests up in one minute window (the clock is moved to the start of the next one).
    offset += 60_000 - (clock() % 60_000);
    const statuses = [];
    for (const k of [oldKey, newKey, oldKey, newKey, oldKey, newKey]) statuses.push((await generate(a, k)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);

    offset += 3_600_000; // past the grace period
    expect((await generate(a, oldKey)).status).toBe(401);
    expect((await generate(a, newKey)).status).toBe(200);
  });

  it('the grace period ends on the real clock too (no notification, no TTL involved)', async () => {
    const a = await instance({ ttlMs: TEN_MINUTES, notify: false });
    const { key: oldKey, record } = await customerWithKey();
    const next = await rotateKey(admin, record.id, { graceSeconds: 2 });
    expect((await generate(a, oldKey)).status).toBe(200);
    expect((await generate(a, next.key)).status).toBe(200);
    await vi.waitFor(async () => expect((await generate(a, oldKey)).status).toBe(401), {
      timeout: 10_000,
      interval: 250,
    });
    expect((await generate(a, next.key)).status).toBe(200);
  });

  it('two keys of one customer share one quota, and a plan change applies to both', async () => {
    let offset = 0;
    const clock = () => Date.now() + offset;
    const a = await instance({ ttlMs: TEN_MINUTES, notify: true, clock });
    const { customer, key: k1 } = await customerWithKey('free');
    const { key: k2 } = await createKey(admin, customer.id);
    offset += 60_000 - (clock() % 60_000);
    const statuses = [];
    for (const k of [k1, k2, k1, k2, k1, k2]) statuses.push((await generate(a, k)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]); // free: 5 a minute, for the customer
    const u1 = await usage(a, k1);
    const u2 = await usage(a, k2);
    expect(u1.body.data).toEqual(u2.body.data);

    await setPlan(admin, DEFAULT_PLANS, customer.id, 'pro');
    await vi.waitFor(async () => expect((await usage(a, k2)).body.data).toMatchObject({ plan: 'pro' }));
    expect((await generate(a, k1)).status).toBe(200); // pro: 30 a minute, same counters
    expect((await generate(a, k2)).headers.get('ratelimit')).toMatch(/^"minute";r=23;/);
  });

  it.skipIf(!redisTestsEnabled('paid-api instances sharing a Redis'))(
    'instances sharing one Redis (REDIS_URL) count a customer once, whichever key and instance it uses',
    async () => {
      const redis = await startRedis();
      const limiters = [await limiterStore(redis.url), await limiterStore(redis.url)];
      cleanups.push(async () => {
        for (const l of limiters) await l.close();
        await redis.stop();
      });
      const [a, b] = [
        await instance({ ttlMs: TEN_MINUTES, notify: true, store: limiters[0]?.store }),
        await instance({ ttlMs: TEN_MINUTES, notify: true, store: limiters[1]?.store }),
      ];
      const { customer, key: k1 } = await customerWithKey('free');
      const { key: k2 } = await createKey(admin, customer.id);
      // Redis's clock decides the window: wait for a fresh minute with room for the burst.
      const second = new Date().getUTCSeconds();
      if (second > 50) await new Promise((r) => setTimeout(r, (61 - second) * 1000));
      const statuses = [];
      for (const [base, k] of [
        [a, k1],
        [b, k2],
        [a, k2],
        [b, k1],
        [a, k1],
        [b, k2],
        [a, k2],
      ] as const) {
        statuses.push((await generate(base, k)).status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    },
    90_000,
  );
});
