/**
 * The store's batching (`RedisStore` option `batch`, on by default on a single server or
 * Sentinel): the limiter calls of one event-loop turn go to Redis as one script run. Each call
 * keeps its own answer, its own error, its own time budget and its own failover retries.
 */
import { randomBytes } from 'node:crypto';
import { redisTestsEnabled, sleep, useRedis, useRedisCluster } from '@twofa-kit/testing/redis-clients';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisStore, type RedisStoreFailure, type WindowSpec } from '../../src/index.js';
import { REDIS_BATCH_MAX } from '../../src/limits/stores/redis.js';

const enabled = redisTestsEnabled('RedisStore batching');
const FIVE: WindowSpec[] = [
  { name: 'minute', seconds: 60, limit: 5 },
  { name: 'day', seconds: 86_400, limit: 1_000 },
];
const FREE: WindowSpec[] = [{ name: 'minute', seconds: 60, limit: 5 }];
const tag = () => randomBytes(4).toString('hex');

/** Script runs (EVAL + EVALSHA) the server has executed since the last `CONFIG RESETSTAT`. */
async function scriptRuns(admin: Redis): Promise<number> {
  const stats = await admin.info('commandstats');
  let runs = 0;
  for (const m of stats.matchAll(/^cmdstat_(?:eval|evalsha):calls=(\d+)/gm)) runs += Number(m[1]);
  return runs;
}

/** Waits until no window of `windows` ends within `marginMs`, judged by Redis's own clock. */
async function awayFromEdges(store: RedisStore, windows: readonly WindowSpec[], marginMs: number): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const probe = await store.peek(`probe-${tag()}`, windows);
    const soonest = Math.min(...probe.windows.map((w) => w.resetMs));
    if (soonest >= marginMs) return;
    await sleep(soonest + 25);
  }
}

describe.skipIf(!enabled)('RedisStore batching on a single redis-server', () => {
  const redis = useRedis();

  it('one turn, one script run: racing calls on one identity admit exactly the limit, others count once each', async () => {
    const { client, admin } = redis;
    const store = new RedisStore({ client, onRedisError: 'closed' });
    await store.ready();
    await awayFromEdges(store, FIVE, 3_000);
    const hot = `hot-${tag()}`;
    const cold = Array.from({ length: 10 }, (_, i) => `cold-${i}-${tag()}`);
    await admin.config('RESETSTAT');
    const [hotAnswers, coldAnswers, peeks] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, () => store.consume(hot, FIVE))),
      Promise.all(cold.map((id) => store.consume(id, FIVE))),
      Promise.all(cold.map((id) => store.peek(`peeked-${id}`, FIVE))),
    ]);
    expect(await scriptRuns(admin)).toBe(1);
    // Within the batch the calls run one after the other, as separate scripts would.
    expect(hotAnswers.filter((r) => r.allowed)).toHaveLength(5);
    expect(hotAnswers.map((r) => r.windows[0]?.remaining)).toEqual([4, 3, 2, 1, 0, ...Array(15).fill(0)]);
    expect(hotAnswers.slice(5).every((r) => r.retryAfterMs > 0)).toBe(true);
    expect(await admin.hget(store.keyFor(hot), 'c60')).toBe('5');
    for (const [i, id] of cold.entries()) {
      expect(coldAnswers[i]?.windows.map((w) => w.remaining)).toEqual([4, 999]);
      expect(await admin.hget(store.keyFor(id), 'c60')).toBe('1');
    }
    // Peeks in the same batch read and write nothing.
    expect(peeks.every((r) => r.allowed && r.windows[0]?.remaining === 5)).toBe(true);
    for (const id of cold) expect(await admin.exists(store.keyFor(`peeked-${id}`))).toBe(0);
    // The next call, alone in its turn, sees the batch's counts.
    expect((await store.peek(hot, FIVE)).windows[0]?.remaining).toBe(0);
    await store.close();
  });

  it(`more than ${REDIS_BATCH_MAX} calls in one turn: several runs, every call answered`, async () => {
    const { client, admin } = redis;
    const store = new RedisStore({ client, onRedisError: 'closed' });
    await store.ready();
    const ids = Array.from({ length: 2 * REDIS_BATCH_MAX + 1 }, (_, i) => `many-${i}-${tag()}`);
    await admin.config('RESETSTAT');
    const answers = await Promise.all(ids.map((id) => store.consume(id, FREE)));
    expect(await scriptRuns(admin)).toBe(3);
    expect(answers.every((r) => r.allowed && r.windows[0]?.remaining === 4)).toBe(true);
    await store.close();
  });

  it('a call alone in its turn, and batch: false, run the single script', async () => {
    const { client, admin } = redis;
    const store = new RedisStore({ client, onRedisError: 'closed' });
    const unbatched = new RedisStore({ client, onRedisError: 'closed', batch: false });
    await store.ready();
    await admin.config('RESETSTAT');
    await store.consume(`alone-${tag()}`, FREE);
    await Promise.all(Array.from({ length: 5 }, () => unbatched.consume(`unbatched-${tag()}`, FREE)));
    expect(await scriptRuns(admin)).toBe(6);
    await store.close();
    await unbatched.close();
  });

  it('a foreign value under one key fails that call alone; the rest of its batch counts', async () => {
    const { client, admin } = redis;
    const failures: RedisStoreFailure[] = [];
    const store = new RedisStore({ client, onRedisError: 'closed', onError: (f) => failures.push(f) });
    await store.ready();
    const bad = `wrongtype-${tag()}`;
    await admin.set(store.keyFor(bad), 'not a hash');
    const good = Array.from({ length: 5 }, (_, i) => `good-${i}-${tag()}`);
    await admin.config('RESETSTAT');
    const answers = await Promise.allSettled([
      ...good.slice(0, 2).map((id) => store.consume(id, FREE)),
      store.consume(bad, FREE),
      ...good.slice(2).map((id) => store.consume(id, FREE)),
    ]);
    expect(await scriptRuns(admin)).toBe(1);
    expect(answers.map((a) => a.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    expect((answers[2] as PromiseRejectedResult).reason).toMatchObject({ kind: 'UNAVAILABLE' });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ operation: 'consume', reason: 'error', policy: 'closed' });
    expect(failures[0]?.message).toMatch(/WRONGTYPE/);
    for (const id of good) expect(await admin.hget(store.keyFor(id), 'c60')).toBe('1');
    expect(await admin.get(store.keyFor(bad))).toBe('not a hash');
    await store.close();
  });

  it('a batch Redis does not answer (CLIENT PAUSE): every call gets its own timeout within the budget', async () => {
    const { client, admin } = redis;
    const failures: RedisStoreFailure[] = [];
    const store = new RedisStore({ client, timeoutMs: 200, onRedisError: 'open', onError: (f) => failures.push(f) });
    await store.ready();
    await admin.call('CLIENT', 'PAUSE', '800', 'ALL');
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        store.consume(`paused-${i}-${tag()}`, FREE).then((r) => ({ r, ms: performance.now() - started })),
      ),
    );
    for (const { r, ms } of answers) {
      expect(r.allowed).toBe(true);
      expect(ms).toBeGreaterThanOrEqual(195);
      expect(ms).toBeLessThan(400);
    }
    expect(failures.map((f) => f.reason)).toEqual(Array(10).fill('timeout'));
    await sleep(900); // the pause ends; the late batch reply is absorbed
    await store.close();
  });
});

describe.skipIf(!enabled)('RedisStore batching through a failover', () => {
  const replica = useRedis({ replica: true });

  it('a batch refused with READONLY past the budget: each call answered once by the policy', async () => {
    const client = await replica.connect();
    const failures: RedisStoreFailure[] = [];
    const store = new RedisStore({ client, timeoutMs: 300, onRedisError: 'open', onError: (f) => failures.push(f) });
    const ids = Array.from({ length: 8 }, (_, i) => `stays-${i}-${tag()}`);
    const answers = await Promise.all(ids.map((id) => store.consume(id, FREE)));
    expect(answers.every((r) => r.allowed)).toBe(true);
    expect(failures).toHaveLength(ids.length);
    for (const f of failures) {
      expect(f).toMatchObject({ operation: 'consume', reason: 'error', policy: 'open' });
      expect(f.message).toMatch(/^READONLY/);
    }
    for (const id of ids) expect(await client.hget(store.keyFor(id), 'c60')).toBeNull();
    await store.close();
  });

  it('a batch refused with READONLY, the replica promoted within the budget: every call counted there', async () => {
    const client = await replica.connect();
    const admin = await replica.connect();
    const failures: RedisStoreFailure[] = [];
    const store = new RedisStore({ client, timeoutMs: 2_000, onError: (f) => failures.push(f) });
    const ids = Array.from({ length: 8 }, (_, i) => `promoted-${i}-${tag()}`);
    const calls = Promise.all([...ids, ids[0] as string].map((id) => store.consume(id, FREE)));
    await sleep(100);
    await admin.replicaof('NO', 'ONE');
    const answers = await calls;
    expect(failures).toEqual([]);
    expect(answers.map((r) => r.windows[0]?.remaining)).toEqual([4, 4, 4, 4, 4, 4, 4, 4, 3]);
    expect(await admin.hget(store.keyFor(ids[0] as string), 'c60')).toBe('2');
    for (const id of ids.slice(1)) expect(await admin.hget(store.keyFor(id), 'c60')).toBe('1');
    await store.close();
  });
});

describe.skipIf(!enabled)('RedisStore on a Cluster client with ioredis auto-pipelining', () => {
  const redis = useRedisCluster({ clientOptions: { enableAutoPipelining: true } });

  // ioredis groups a Cluster client's commands by the slot of their first argument: the guard's
  // used to be the key count, which sent whole pipelines (limiter calls too) to a wrong primary.
  it('limiter and failed-auth calls of one turn all reach their own primaries', async () => {
    const { client } = redis;
    const failures: RedisStoreFailure[] = [];
    const store = new RedisStore({ client, onRedisError: 'closed', onError: (f) => failures.push(f) });
    await store.ready();
    const ids = Array.from({ length: 40 }, (_, i) => `ap-${i}-${tag()}`);
    const guards = Array.from({ length: 20 }, (_, i) => {
      const group = `g-${i}-${tag()}`;
      const buckets = [
        { group, key: `b1-${i}`, limit: 10 },
        { group, key: `b2-${i}`, limit: 20 },
      ];
      return store.authFailures(buckets, 60, true);
    });
    const [answers, guarded] = await Promise.all([
      Promise.all(ids.map((id) => store.consume(id, FREE))),
      Promise.all(guards),
    ]);
    expect(failures).toEqual([]);
    expect(answers.every((r) => r.allowed && r.windows[0]?.remaining === 4)).toBe(true);
    expect(guarded.map((g) => g.remaining)).toEqual(Array(20).fill(9));
    await store.close();
  });
});
