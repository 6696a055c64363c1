/**
 * The failed-auth guard and the verify memory on a Redis Cluster (policy `closed`, so any script
 * or slot error would show as a refusal, never as a silent local fallback): an IPv6 client's three
 * buckets share one slot (their group is the hash tag), and a verification is one key.
 */
import { randomBytes } from 'node:crypto';
import {
  connectCluster,
  type RedisCluster,
  redisTestsEnabled,
  startRedisCluster,
} from '@twofa-kit/testing/redis-clients';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBase32, RedisStore, type RedisStoreFailure } from '../../src/index.js';
import { clientBuckets } from '../../src/keys/client-buckets.js';

const enabled = redisTestsEnabled('guard and verify scripts on a Redis Cluster');

describe.runIf(enabled)('guard and verify memory on a 3-master Redis Cluster', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  let store: RedisStore;
  const failures: RedisStoreFailure[] = [];
  beforeAll(async () => {
    cluster = await startRedisCluster();
    client = await connectCluster(cluster);
    store = new RedisStore({ client, onRedisError: 'closed', onError: (f) => failures.push(f) });
  });
  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  it('counts an IPv6 client in its /64, /56 and /48 in one call, for many prefixes (slots)', async () => {
    for (let n = 0; n < 20; n++) {
      const buckets = clientBuckets(`2001:db8:${n.toString(16)}:1::1`, 2);
      expect((await store.authFailures(buckets, 60, false)).remaining).toBe(2);
      expect((await store.authFailures(buckets, 60, true)).remaining).toBe(1);
      expect((await store.authFailures(buckets, 60, true)).remaining).toBe(0);
      // Another /64 of the same /56: its own /64 has room, the /56 (8) has 6 left.
      const sibling = clientBuckets(`2001:db8:${n.toString(16)}:2::1`, 2);
      expect((await store.authFailures(sibling, 60, false)).remaining).toBe(2);
      expect((await store.authFailures(sibling, 60, true)).remaining).toBe(1);
    }
    const v4 = clientBuckets('203.0.113.80', 3);
    expect((await store.authFailures(v4, 60, true)).remaining).toBe(2);
    expect(failures).toEqual([]);
  });

  it('remembers accepted steps and failures per key across slots', async () => {
    const rules = { maxFailures: 2, failureWindowMs: 300_000 };
    for (let n = 0; n < 20; n++) {
      const key = encodeBase32(randomBytes(20));
      expect((await store.recordVerification(key, { step: 100, rememberMs: 60_000 }, rules)).status).toBe('accepted');
      expect((await store.recordVerification(key, { step: 100, rememberMs: 60_000 }, rules)).status).toBe('replayed');
      expect((await store.recordVerification(key, { step: null, rememberMs: 0 }, rules)).status).toBe('failed');
      expect((await store.recordVerification(key, { step: null, rememberMs: 0 }, rules)).status).toBe('failed');
      const blocked = await store.recordVerification(key, { step: 130, rememberMs: 60_000 }, rules);
      expect(blocked.status).toBe('blocked');
      expect(blocked.retryAfterMs).toBeGreaterThan(299_000);
    }
    expect(failures).toEqual([]);
  });
});
