/**
 * Two instances on one Redis share one failed-auth budget, one replay memory and one
 * failed-verification count: 401s through both add up to one limit, a code accepted through one
 * app is refused as replayed through the other, and failed verifications through both add up.
 * Real redis-server, real HTTP, two different adapters as the two instances.
 */
import { randomBytes } from 'node:crypto';
import { redisTestsEnabled } from '@twofa-kit/testing/redis-clients';
import { generateSync } from 'otplib';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { encodeBase32, RedisStore, staticKeys } from '../../src/index.js';
import { SHARED_STATE_REUSE_MS } from '../../src/keys/auth-guard.js';
import { twoInstancesOnRedis } from './two-instances.js';

const enabled = redisTestsEnabled('shared failed-auth budget and verify memory on one Redis');
const KEY = 'shared-verify-key';
const VERIFY = '/api/2fa/verify';

describe.runIf(enabled)(
  'two instances on one Redis: one failed-auth budget, one replay memory, one failure count',
  () => {
    const apps = twoInstancesOnRedis((client) => ({
      resolveKey: staticKeys({ [KEY]: { id: 'shared', plan: 'big' } }),
      plans: { big: { minute: 1_000_000 } },
      store: new RedisStore({ client, onRedisError: 'closed' }),
      authFailureLimit: { max: 4 },
    }));
    const verify = (i: number, secret: string, code: string) =>
      request(apps.url(i)).post(VERIFY).set('X-API-Key', KEY).type('form').send({ secret, code });
    const codeNow = (secret: string) => generateSync({ secret, epoch: Math.floor(Date.now() / 1000) });

    it('a code accepted by one instance is replayed on the other', async () => {
      const secret = encodeBase32(randomBytes(20));
      const code = codeNow(secret);
      const first = await verify(0, secret, code);
      expect(first.body.data).toMatchObject({ valid: true, replayed: false });
      const second = await verify(1, secret, code);
      expect(second.body.data).toEqual({ valid: false, delta: null, replayed: true });
      const third = await verify(0, secret, code);
      expect(third.body.data).toEqual({ valid: false, delta: null, replayed: true });
    });

    it('failures through both instances add up to one limit of 5', async () => {
      const secret = encodeBase32(randomBytes(20));
      const near = [-30, 0, 30].map((d) => generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + d }));
      const wrong = ['000000', '111111', '222222', '333333'].find((c) => !near.includes(c)) as string;
      for (const i of [0, 1, 0, 1, 0]) expect((await verify(i, secret, wrong)).body.data.valid).toBe(false);
      const refused = await verify(1, secret, codeNow(secret));
      expect(refused.status).toBe(429);
      expect(refused.body.data.retry_after).toBeGreaterThanOrEqual(299);
      expect((await verify(0, secret, codeNow(secret))).status).toBe(429);
    });

    // Last: afterwards 127.0.0.1 is refused on both instances until the window ends.
    it('401s through both instances count in one failed-auth budget (both see 127.0.0.1)', async () => {
      const usage = (i: number, key: string) => request(apps.url(i)).get('/api/2fa/usage').set('X-API-Key', key);
      for (const i of [0, 1, 0, 1]) expect((await usage(i, `guess-${i}-${Math.random()}`)).status).toBe(401);
      // Each instance reuses the shared count it last saw for up to a second (documented); after
      // that, both refuse: 2 failures on each are the one budget of 4.
      await new Promise((resolve) => setTimeout(resolve, SHARED_STATE_REUSE_MS + 50));
      const refused = await usage(0, 'guess-next');
      expect(refused.status).toBe(429);
      expect(refused.body.message).toBe('Too many failed authentication attempts');
      expect((await usage(1, KEY)).status).toBe(429);
    });
  },
);
