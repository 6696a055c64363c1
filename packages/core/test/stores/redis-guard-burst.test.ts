/**
 * A burst of guesses through several instances on one Redis gets one failed-auth budget, not one
 * per instance: each lookup of a key not known valid reserves its failure in Redis before it runs
 * and gives it back when the key is valid. Real redis-server, real HTTP, two adapters as the two
 * instances, a key store slow enough that every guess of the burst is in flight at once.
 */
import { redisTestsEnabled } from '@twofa-kit/testing/redis-clients';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { type Identity, RedisStore } from '../../src/index.js';
import { twoInstancesOnRedis } from './two-instances.js';

const enabled = redisTestsEnabled('shared failed-auth budget under a burst');
const LIMIT = 20;
const VALID = new Map<string, Identity>(
  Array.from({ length: 30 }, (_, i) => [`burst-valid-${i + 1}`, { id: `u${i + 1}`, plan: 'big' }]),
);

describe.runIf(enabled)('a burst of guesses through two instances on one Redis', () => {
  let lookups = 0;
  const apps = twoInstancesOnRedis((client) => ({
    // 150 ms a lookup: the whole burst is in flight before any failure is known.
    resolveKey: async (key) => {
      lookups++;
      await new Promise((resolve) => setTimeout(resolve, 150));
      return VALID.get(key) ?? null;
    },
    plans: { big: { minute: 1_000_000 } },
    // A budget per Redis call well above this machine's worst stall under load: the test is
    // about the guard's reservations, not about a slow Redis (which 'closed' answers 503).
    store: new RedisStore({ client, onRedisError: 'closed', timeoutMs: 5_000 }),
    authFailureLimit: { max: LIMIT, windowSeconds: 3600 },
    keyLookupTimeoutMs: 10_000,
  }));
  const usage = (i: number, key: string) => request(apps.url(i)).get('/api/2fa/usage').set('X-API-Key', key);

  it('valid keys in a burst through both instances are all answered, and count no failure', async () => {
    const burst = await Promise.all(
      Array.from({ length: 60 }, (_, i) => usage(i % 2, i % 3 === 0 ? 'burst-valid-2' : 'burst-valid-1')),
    );
    expect(burst.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.text}`)).toEqual([]);
  });

  it('more distinct valid keys than the budget, at once through one instance (users behind one address): all answered', async () => {
    const burst = await Promise.all([...VALID.keys()].map((key) => usage(0, key)));
    expect(burst.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.text}`)).toEqual([]);
  });

  // Last: afterwards 127.0.0.1 is refused on both instances until the window ends.
  it(`40 concurrent guesses on each instance: ${LIMIT} answered 401 in all, the rest 429`, async () => {
    lookups = 0;
    const burst = await Promise.all(Array.from({ length: 80 }, (_, i) => usage(i % 2, `guess-${i}`)));
    const statuses = burst.map((r) => r.status);
    const admitted = statuses.filter((s) => s === 401).length;
    console.log(`failed-auth burst through 2 instances: ${admitted} of 80 guesses looked up (limit ${LIMIT})`);
    expect(admitted).toBe(LIMIT);
    expect(lookups).toBe(LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(80 - LIMIT);
    // The budget is spent for both instances, valid keys included.
    expect((await usage(0, 'burst-valid-1')).status).toBe(429);
    expect((await usage(1, 'burst-valid-2')).status).toBe(429);
  });
});
