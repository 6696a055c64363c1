/**
 * The operators' page at any size, over HTTP on a real PostgreSQL: customers searched by email or
 * id and paged, totals across all customers (per day and top customers) equal to the hourly
 * history the usage sink wrote, whatever a search or page parameter holds.
 */
import { DEFAULT_PLANS } from '@twofa-kit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CUSTOMERS_PER_PAGE, createCustomer, ensureAdmin, usageSink } from '../src/index.js';
import { usePaidApp } from './support/app.js';
import { DashboardClient } from './support/dashboard.js';
import { useDatabase } from './support/database.js';
import { postgresTestsEnabled } from './support/postgres.js';

const PASSWORD = 'operator password 1';
const CUSTOMERS = CUSTOMERS_PER_PAGE + 12;
const HOUR_MS = 3_600_000;

const rowsOf = (html: string) => [...html.matchAll(/<tr data-customer-id="([^"]+)">/g)].map((m) => m[1]);
const text = (html: string, id: string) => new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(html)?.[1];

describe.skipIf(!postgresTestsEnabled("the operators' page"))("the operators' page", () => {
  const db = useDatabase();
  let ops: DashboardClient;
  const ids: string[] = [];

  beforeAll(async () => {
    await ensureAdmin(db.pool, DEFAULT_PLANS, 'ops@example.com', PASSWORD);
    for (let i = 0; i < CUSTOMERS; i++) {
      const c = await createCustomer(db.pool, DEFAULT_PLANS, {
        email: `shop${String(i).padStart(3, '0')}@example.com`,
        plan: 'free',
      });
      ids.push(c.id);
    }
    // One more whose email holds LIKE's wildcards: a search for `%` or `_` finds it alone.
    ids.push((await createCustomer(db.pool, DEFAULT_PLANS, { email: 'odd%_name@example.com', plan: 'pro' })).id);
  });
  const app = usePaidApp(db, () => ({ ttlMs: 1 }));
  beforeAll(async () => {
    ops = new DashboardClient(app.base);
    expect((await ops.signIn('ops@example.com', PASSWORD)).location).toBe('/dashboard/admin');
  });

  it('lists customers a page at a time, newest first, with the count and a last page clamped', async () => {
    const first = await ops.get('/dashboard/admin');
    expect(first.status).toBe(200);
    expect(text(first.html, 'customer-count')).toBe(`${CUSTOMERS + 1} customers`);
    expect(rowsOf(first.html)).toHaveLength(CUSTOMERS_PER_PAGE);
    expect(rowsOf(first.html)[0]).toBe(ids.at(-1));
    expect(first.html).toContain('rel="next"');
    const second = await ops.get('/dashboard/admin?page=2');
    expect(rowsOf(second.html)).toHaveLength(CUSTOMERS + 1 - CUSTOMERS_PER_PAGE);
    expect(new Set([...rowsOf(first.html), ...rowsOf(second.html)]).size).toBe(CUSTOMERS + 1);
    for (const odd of ['99', '0', '-1', 'x', '1e3', '2&page=3']) {
      const page = await ops.get(`/dashboard/admin?page=${odd}`);
      expect(page.status, odd).toBe(200);
      expect(text(page.html, 'pages'), odd).toBe('2');
    }
    expect(text((await ops.get('/dashboard/admin?page=99')).html, 'page')).toBe('2');
  });

  it('searches by any part of the email, case-insensitively, or by the exact id', async () => {
    const some = await ops.get('/dashboard/admin?q=SHOP01');
    expect(text(some.html, 'customer-count')).toBe('10 customers match “SHOP01”');
    expect(rowsOf(some.html)).toHaveLength(10);
    const byId = await ops.get(`/dashboard/admin?q=${ids[3]}`);
    expect(rowsOf(byId.html)).toEqual([ids[3]]);
    // LIKE's wildcards are plain characters in a search.
    for (const q of ['%', '_', '%_', 'odd%']) {
      expect(rowsOf((await ops.get(`/dashboard/admin?q=${encodeURIComponent(q)}`)).html), q).toEqual([ids.at(-1)]);
    }
    const none = await ops.get('/dashboard/admin?q=nobody');
    expect(rowsOf(none.html)).toEqual([]);
    expect(none.html).toContain('No customer matches.');
    // Repeated, huge or hostile parameters: a page, never a 500.
    for (const qs of ['q=a&q=b', `q=${'x'.repeat(5000)}`, 'q=%00', "q='%20OR%201=1--", 'q[a]=1']) {
      expect((await ops.get(`/dashboard/admin?${qs}`)).status, qs).toBe(200);
    }
  });

  it('shows totals per day and the top customers, equal to the hourly history the sink wrote', async () => {
    const now = Date.now();
    const sink = usageSink(db.pool, { flushMs: 600_000, clock: () => now });
    const event = (id: string, limiter: 'admitted' | 'refused') =>
      sink.onEvent({ identityId: id, limiter } as Parameters<typeof sink.onEvent>[0]);
    // Customer 5 most (9), then 2 (3 now and 5 two days ago), then 7 (4); two flushes for one hour
    // exercise the roll-up's update path.
    for (let i = 0; i < 9; i++) event(ids[5] as string, 'admitted');
    for (let i = 0; i < 4; i++) event(ids[7] as string, 'admitted');
    event(ids[7] as string, 'refused');
    await sink.flush();
    for (let i = 0; i < 3; i++) event(ids[2] as string, 'admitted');
    event(ids[5] as string, 'refused');
    await sink.flush();
    // An hour two days ago, written straight into the history as an older server would have.
    await db.pool.query('INSERT INTO usage_hourly (customer_id, hour, admitted, refused) VALUES ($1, $2, 5, 2)', [
      ids[2],
      new Date(Math.floor((now - 2 * 24 * HOUR_MS) / HOUR_MS) * HOUR_MS),
    ]);
    await sink.close();

    const page = await ops.get('/dashboard/admin');
    const figure = /<figure id="chart-all-daily" data-admitted="(\d+)" data-refused="(\d+)"/.exec(page.html);
    const hourly = await db.pool.query<{ a: string; r: string }>(
      'SELECT sum(admitted) AS a, sum(refused) AS r FROM usage_hourly',
    );
    expect(figure?.slice(1)).toEqual([hourly.rows[0]?.a, hourly.rows[0]?.r]);
    expect(figure?.slice(1)).toEqual(['21', '4']);
    const top = page.html.slice(page.html.indexOf('id="top-customers"'));
    const order = [...top.matchAll(/<small>(cus_[0-9a-f]+)<\/small>/g)].map((m) => m[1]).slice(0, 3);
    expect(order).toEqual([ids[5], ids[2], ids[7]]);
  });
});
