/**
 * Replay protection never fails open: while Redis does not answer (CLIENT PAUSE), a verification
 * is refused with 503 under every outage policy, on every instance, so a code already accepted is
 * never accepted again from a local memory. Generating codes keeps its policy (`fallback`: served
 * from the local limiter). Real redis-server, real HTTP, two adapters as two instances.
 */
import { randomBytes } from 'node:crypto';
import { connect, redisTestsEnabled } from '@twofa-kit/testing/redis-clients';
import { generateSync } from 'otplib';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { encodeBase32, type RedisErrorPolicy, RedisStore, staticKeys } from '../../src/index.js';
import { twoInstancesOnRedis } from './two-instances.js';

const enabled = redisTestsEnabled('verify memory fails closed while Redis stalls');
const KEY = 'stall-verify-key';

describe.runIf(enabled).each(['fallback', 'open'] as const)('Redis stalls, policy %s', (policy: RedisErrorPolicy) => {
  const apps = twoInstancesOnRedis((client) => ({
    resolveKey: staticKeys({ [KEY]: { id: 'stall', plan: 'big' } }),
    plans: { big: { minute: 1_000_000 } },
    store: new RedisStore({ client, onRedisError: policy, timeoutMs: 250, cooldownMs: 200 }),
  }));

  it('a code accepted before the stall is refused with 503 on every instance during it, and replayed after', async () => {
    const url = (i: number) => apps.url(i);
    const verify = (i: number, secret: string, code: string) =>
      request(url(i)).post('/api/2fa/verify').set('X-API-Key', KEY).type('form').send({ secret, code });
    const secret = encodeBase32(randomBytes(20));
    const code = generateSync({ secret, epoch: Math.floor(Date.now() / 1000) });
    expect((await verify(0, secret, code)).body.data).toMatchObject({ valid: true, replayed: false });

    const admin = await connect(apps.server);
    try {
      await admin.call('CLIENT', 'PAUSE', '2000', 'ALL');
      const during = [await verify(0, secret, code), await verify(1, secret, code), await verify(0, secret, code)];
      for (const res of during) {
        expect(res.status).toBe(503);
        expect(res.body).toEqual({ code: 503, message: 'Service temporarily unavailable', data: null });
      }
      // The quota keeps its own policy.
      const generated = await request(url(1))
        .post('/api/2fa/generate')
        .set('X-API-Key', KEY)
        .type('form')
        .send({ secret });
      expect(generated.status).toBe(200);
    } finally {
      await admin.call('CLIENT', 'UNPAUSE').catch(() => {});
      admin.disconnect();
    }
    // Back on Redis: still the one memory, the code is a replay everywhere.
    await new Promise((resolve) => setTimeout(resolve, 400));
    for (const i of [0, 1]) {
      expect((await verify(i, secret, code)).body.data).toEqual({ valid: false, delta: null, replayed: true });
    }
  });
});
