/**
 * The key lifecycle through the functions a host imports, against a real PostgreSQL started for
 * this file (initdb + pg_ctl on a free port).
 */
import { DEFAULT_PLANS, hashKey } from '@twofa-kit/core';
import { describe, expect, it } from 'vitest';
import {
  createCustomer,
  createKey,
  expireKey,
  getKey,
  listKeys,
  lookupKey,
  MIGRATIONS,
  migrate,
  PaidApiError,
  revokeKey,
  rotateKey,
  setLimits,
  setPlan,
  setStatus,
  verifyPassword,
} from '../src/index.js';
import { useDatabase } from './support/database.js';
import { postgresTestsEnabled } from './support/postgres.js';

describe.skipIf(!postgresTestsEnabled('apps/paid-api keys'))('paid-api keys on a real PostgreSQL', () => {
  const db = useDatabase();
  let n = 0;
  const email = () => `user${++n}@example.com`;

  it('migrates once: a second (and a concurrent) run applies nothing', async () => {
    expect(await Promise.all([migrate(db.pool), migrate(db.pool)])).toEqual([[], []]);
    const { rows } = await db.pool.query('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('stores a key only as its SHA-256 digest and a display prefix/suffix', async () => {
    const customer = await createCustomer(db.pool, DEFAULT_PLANS, { email: email(), plan: 'pro' });
    const { key, record } = await createKey(db.pool, customer.id);
    expect(key).toMatch(/^tfa_live_[A-Za-z0-9_-]{32}$/);
    expect(record.display).toBe(`${key.slice(0, 13)}…${key.slice(-4)}`);
    const { rows } = await db.pool.query('SELECT * FROM api_keys WHERE id = $1', [record.id]);
    expect(rows[0].digest).toBe(hashKey(key));
    expect(JSON.stringify(rows)).not.toContain(key.slice(13, -4));
    expect(await lookupKey(db.pool, hashKey(key))).toEqual({
      id: customer.id,
      plan: 'pro',
      limits: {},
      validUntil: null,
      pastDueSince: null,
    });
    expect(await lookupKey(db.pool, hashKey(`${key}x`))).toBeNull();
    expect((await getKey(db.pool, record.id)).lastUsedAt).toBeInstanceOf(Date);
  });

  it('keeps a password only as an scrypt hash', async () => {
    const customer = await createCustomer(db.pool, DEFAULT_PLANS, {
      email: email(),
      plan: 'free',
      password: 'correct horse',
    });
    const { rows } = await db.pool.query('SELECT password_hash FROM customers WHERE id = $1', [customer.id]);
    expect(rows[0].password_hash).toMatch(/^scrypt\$/);
    expect(await verifyPassword('correct horse', rows[0].password_hash)).toBe(true);
    expect(await verifyPassword('correct horsf', rows[0].password_hash)).toBe(false);
  });

  it('refuses unknown plans, duplicate emails, bad limits and unknown customers', async () => {
    const e = email();
    await createCustomer(db.pool, DEFAULT_PLANS, { email: e, plan: 'free' });
    await expect(createCustomer(db.pool, DEFAULT_PLANS, { email: e.toUpperCase(), plan: 'free' })).rejects.toThrow(
      /already exists/,
    );
    await expect(createCustomer(db.pool, DEFAULT_PLANS, { email: email(), plan: 'gold' })).rejects.toThrow(
      PaidApiError,
    );
    await expect(setLimits(db.pool, 'cus_nope', { minute: 1 })).rejects.toThrow(/no customer/);
    await expect(createKey(db.pool, 'cus_nope')).rejects.toThrow(/no customer/);
    const c = await createCustomer(db.pool, DEFAULT_PLANS, { email: email(), plan: 'free' });
    await expect(setLimits(db.pool, c.id, { minute: -1 })).rejects.toThrow(PaidApiError);
    await expect(createKey(db.pool, c.id, { expiresAt: new Date(Date.now() - 60_000) })).rejects.toThrow(/future/);
  });

  it('revokes, expires and suspends: the key stops resolving', async () => {
    const c = await createCustomer(db.pool, DEFAULT_PLANS, { email: email(), plan: 'free' });
    const a = await createKey(db.pool, c.id);
    const b = await createKey(db.pool, c.id, { expiresAt: new Date(Date.now() + 3_600_000) });
    expect((await lookupKey(db.pool, hashKey(b.key)))?.validUntil).toBe(b.record.expiresAt?.getTime());
    await revokeKey(db.pool, a.record.id);
    expect(await lookupKey(db.pool, hashKey(a.key))).toBeNull();
    await expireKey(db.pool, b.record.id, new Date(Date.now() - 1000));
    expect(await lookupKey(db.pool, hashKey(b.key))).toBeNull();
    await expireKey(db.pool, b.record.id, null);
    expect(await lookupKey(db.pool, hashKey(b.key))).not.toBeNull();
    await setStatus(db.pool, c.id, 'suspended');
    expect(await lookupKey(db.pool, hashKey(b.key))).toBeNull();
    await setStatus(db.pool, c.id, 'active');
    const list = await listKeys(db.pool, c.id);
    expect(list.map((k) => [k.id, k.status])).toEqual(
      expect.arrayContaining([
        [a.record.id, 'revoked'],
        [b.record.id, 'active'],
      ]),
    );
  });

  it('rotates: the new key and, until the grace ends, the old one resolve to the same customer', async () => {
    const c = await createCustomer(db.pool, DEFAULT_PLANS, { email: email(), plan: 'ultra' });
    const old = await createKey(db.pool, c.id);
    const next = await rotateKey(db.pool, old.record.id, { graceSeconds: 3600 });
    const o = await lookupKey(db.pool, hashKey(old.key));
    const nw = await lookupKey(db.pool, hashKey(next.key));
    expect(o?.id).toBe(c.id);
    expect(nw?.id).toBe(c.id);
    expect(o?.validUntil).toBeGreaterThan(Date.now() + 3_500_000);
    const rotated = await getKey(db.pool, old.record.id);
    expect([rotated.status, rotated.replacedBy]).toEqual(['rotating', next.record.id]);
    await expect(rotateKey(db.pool, old.record.id)).rejects.toThrow(/rotating/);
    // Grace 0: the old key stops at once.
    const third = await rotateKey(db.pool, next.record.id, { graceSeconds: 0 });
    expect(await lookupKey(db.pool, hashKey(next.key))).toBeNull();
    expect((await lookupKey(db.pool, hashKey(third.key)))?.id).toBe(c.id);
  });

  it('changes plan and limits for every key of the customer', async () => {
    const c = await createCustomer(db.pool, DEFAULT_PLANS, { email: email(), plan: 'free' });
    const k1 = await createKey(db.pool, c.id);
    const k2 = await createKey(db.pool, c.id);
    await setPlan(db.pool, DEFAULT_PLANS, c.id, 'pro');
    await setLimits(db.pool, c.id, { minute: 7, day: null });
    for (const k of [k1, k2]) {
      expect(await lookupKey(db.pool, hashKey(k.key))).toMatchObject({
        id: c.id,
        plan: 'pro',
        limits: { minute: 7, day: null },
      });
    }
    await expect(setPlan(db.pool, DEFAULT_PLANS, c.id, 'gold')).rejects.toThrow(/unknown plan/);
  });
});
