/**
 * Alert webhooks reach public addresses only (unless `allowPrivate`): a customer's URL cannot make
 * the server POST into its own network, by IP or by a name that resolves there.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_PLANS } from '@twofa-kit/core';
import { describe, expect, it } from 'vitest';
import { isPublicAddress } from '../src/alerts/egress.js';
import { createCustomer, deliveryWorker, listDeliveries } from '../src/index.js';
import { useDatabase } from './support/database.js';
import { postgresTestsEnabled } from './support/postgres.js';

const PLANS = DEFAULT_PLANS;

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.0.9',
    '10.0.0.1',
    '172.16.5.4',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '::1',
    '::',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    'fd00::1',
    'fe80::1',
    'not-an-address',
  ])('%s is not public', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8'])('%s is public', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe.skipIf(!postgresTestsEnabled('alert webhooks: egress'))('alert webhook deliveries', () => {
  const db = useDatabase();

  it('never sends to a private address by default: loopback by IP or by name, link-local, private ranges', async () => {
    let hits = 0;
    const receiver = createServer((_req, res) => {
      hits += 1;
      res.end('ok');
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as AddressInfo).port;
    const customer = await createCustomer(db.pool, PLANS, { email: 'inside@example.com', plan: 'pro' });
    await db.pool.query(
      `INSERT INTO alert_settings (customer_id, webhook_url, webhook_secret) VALUES ($1, 'http://127.0.0.1/', 'whsec_x')`,
      [customer.id],
    );
    const urls = [
      `http://127.0.0.1:${port}/`,
      `http://localhost:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      'http://169.254.169.254/latest/meta-data/',
      'http://10.1.2.3/',
    ];
    for (const [i, url] of urls.entries()) {
      await db.pool.query(
        `INSERT INTO alerts (id, customer_id, type, dedupe, payload) VALUES ($1, $2, 'credits.low', $1, '{}')`,
        [`alt_inside_${i}`, customer.id],
      );
      await db.pool.query(
        `INSERT INTO webhook_deliveries (alert_id, customer_id, url, body) VALUES ($1, $2, $3, '{}')`,
        [`alt_inside_${i}`, customer.id, url],
      );
    }
    const worker = deliveryWorker(db.pool, { pollMs: 3_600_000, backoffMs: () => 3_600_000, timeoutMs: 1_000 });
    try {
      await worker.runOnce();
      const views = await listDeliveries(db.pool, { customerId: customer.id });
      expect(views).toHaveLength(urls.length);
      for (const view of views) {
        expect(view.status, view.url).toBe('pending');
        expect(view.attempts[0]?.httpStatus, view.url).toBeNull();
        expect(view.attempts[0]?.error, view.url).toMatch(/private address/);
      }
      expect(hits).toBe(0);
    } finally {
      await worker.close();
      receiver.close();
    }
  });
});
