/**
 * What only the Redis store does with prepaid credits: where they live (one slot per identity, no
 * expiry for a balance), money never answered by an outage policy, and refunds that wait for Redis.
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, redisTestsEnabled, useRedis, useRedisCluster } from '@twofa-kit/testing/redis-clients';
import { describe, expect, it } from 'vitest';
import { RedisStore, type RedisStoreFailure, type WindowSpec } from '../../src/index.js';

const enabled = redisTestsEnabled('RedisStore credits');
const MINUTE: WindowSpec[] = [{ name: 'minute', seconds: 60, limit: 100 }];
const PAY = { credits: { cost: 1, required: false, lowBalance: 0 } };
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const fresh = (label: string) => `${label}-${randomBytes(6).toString('hex')}`;

describe.skipIf(!enabled)('RedisStore credits on a 3-master Cluster', () => {
  const redis = useRedisCluster();

  it('the counters, the balance and the applied top-up ids of one identity share one slot', async () => {
    const store = new RedisStore({ client: redis.client, onRedisError: 'closed' });
    const id = fresh('slot');
    await store.topUp(id, 5, 'p1');
    await store.consume(id, MINUTE, PAY);
    const tag = `{${sha(id)}}`;
    const names = [`twofa:${tag}`, `twofa:topups:${tag}`];
    const slots = await Promise.all(names.map((n) => redis.client.cluster('KEYSLOT', n)));
    expect(new Set(slots).size).toBe(1);
    expect(await redis.client.hget(names[0] as string, 'b')).toBe('4');
    expect(await redis.client.hget(names[1] as string, 'p1')).toBe('5');
    // A balance is money: its hash does not expire; one without a balance does.
    expect(await redis.client.pttl(names[0] as string)).toBe(-1);
    const other = fresh('counts');
    await store.consume(other, MINUTE, PAY);
    expect(await redis.client.pttl(`twofa:{${sha(other)}}`)).toBeGreaterThan(0);
  });
});

describe.skipIf(!enabled)('RedisStore credits on a single redis-server', () => {
  const redis = useRedis();

  it('a top-up on an identity that already has counts keeps them and stops the expiry', async () => {
    const { client } = redis;
    const store = new RedisStore({ client, onRedisError: 'closed' });
    const id = fresh('persist');
    await store.consume(id, MINUTE);
    const name = store.keyFor(id);
    expect(await client.pttl(name)).toBeGreaterThan(0);
    expect(await store.topUp(id, 3, 'p1')).toEqual({ balance: 3, applied: true });
    expect(await client.pttl(name)).toBe(-1);
    const r = await store.consume(id, MINUTE, PAY);
    expect(r.windows[0]?.remaining).toBe(98);
    expect(r.credits).toEqual({ balance: 2, cost: 1, sufficient: true });
  });

  it('top-up, balance and refund are never answered by the outage policy: they reject, or wait', async () => {
    const { server, client } = redis;
    const failures: RedisStoreFailure[] = [];
    const own = await connect(server);
    const store = new RedisStore({ client: own, onRedisError: 'open', onError: (f) => failures.push(f) });
    const id = fresh('outage');
    await store.topUp(id, 10, 'p1');
    await store.consume(id, MINUTE, PAY);
    const ended = once(own, 'end');
    own.disconnect();
    await ended;
    await expect(store.topUp(id, 10, 'p2')).rejects.toThrow();
    await expect(store.balance(id)).rejects.toThrow();
    // A consume under `open` is admitted and charges nothing; a refund waits for Redis.
    const open = await store.consume(id, MINUTE, PAY);
    expect(open.allowed).toBe(true);
    expect(open.credits).toBeUndefined();
    await store.refund(id, 1);
    await store.refund(id, 2);
    expect(await client.hget(store.keyFor(id), 'b')).toBe('9');
    await own.connect();
    for (let i = 0; i < 50 && (await client.hget(store.keyFor(id), 'b')) !== '12'; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await client.hget(store.keyFor(id), 'b')).toBe('12');
    // Retried after the outage with the same id: applied once.
    expect(await store.topUp(id, 10, 'p1')).toEqual({ balance: 12, applied: false });
    expect(failures.every((f) => f.operation !== 'refund')).toBe(true);
    own.disconnect();
  });

  it('a refund to an identity without a balance adds nothing', async () => {
    const { client } = redis;
    const store = new RedisStore({ client, onRedisError: 'closed' });
    const id = fresh('no-balance');
    await store.refund(id, 5);
    expect(await store.balance(id)).toBeNull();
    await expect(store.topUp(id, 0, 'x')).rejects.toThrow(/amount must be a positive integer/);
    await expect(store.topUp(id, 1, '')).rejects.toThrow(/topUpId must be a string/);
  });
});
