import { MemoryStore, TwoFaError, type TwoFaEvent, type TwoFaOptions } from '@twofa-kit/core';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import type { AdapterHarness } from '../harness.js';
import { expectEnvelope, GENERATE, KEYS, MESSAGES, PREFIX, SEED_SECRET, TestClock, withContract } from '../helpers.js';

const VERIFY = `${PREFIX}/verify`;
const USAGE = `${PREFIX}/usage`;
/** The identity id of `KEYS.big` (1,000,000 per minute: no test here reaches its limit). */
const BIG = 'big-1';

function generate(url: string, key: string = KEYS.big) {
  return request(url).post(GENERATE).set('X-API-Key', key).type('form').send(`secret=${SEED_SECRET}`);
}

function verify(url: string) {
  return request(url)
    .post(VERIFY)
    .set('X-API-Key', KEYS.big)
    .type('form')
    .send({ secret: SEED_SECRET, code: '000000' });
}

async function usage(url: string, key: string = KEYS.big) {
  return expectEnvelope(await request(url).get(USAGE).set('X-API-Key', key), 200).data as {
    limits: Record<string, { remaining: number | null }>;
    credits?: { balance: number };
  };
}

/** A memory store whose verify memory fails the way a store outage does (after the charge). */
class FailingVerifyStore extends MemoryStore {
  constructor(
    clock: () => number,
    readonly failure: () => Error,
  ) {
    super({ clock });
  }
  override recordVerification(): never {
    throw this.failure();
  }
}

/** Prepaid credits over HTTP: 402 in the envelope, the balance in /usage, refunds, threshold events. */
export function creditsSuite(harness: AdapterHarness): void {
  describe('extension: prepaid credits', () => {
    const withCredits = (extra: Partial<TwoFaOptions>, fn: (url: string, store: MemoryStore) => Promise<void>) => {
      const clock = new TestClock();
      const store = (extra.store as MemoryStore | undefined) ?? new MemoryStore({ clock: clock.fn });
      return withContract(harness, clock, { ...extra, store }, (url) => fn(url, store));
    };

    it('a key with credits pays 1 per request; without enough: 402 Insufficient credits, counted nowhere', async () => {
      await withCredits({}, async (url, store) => {
        store.topUp(BIG, 2, 'first');
        expect((await usage(url)).credits).toEqual({ balance: 2 });
        expectEnvelope(await generate(url), 200, MESSAGES.generated);
        expectEnvelope(await verify(url), 200);
        const before = await usage(url);
        expect(before.credits).toEqual({ balance: 0 });
        const res = await generate(url);
        const body = expectEnvelope(res, 402, 'Insufficient credits');
        expect(body.data).toEqual({ balance: 0, cost: 1 });
        expect(res.headers['retry-after']).toBeUndefined();
        expect(res.headers.ratelimit).toBe('"minute";r=999998;t=45');
        expectEnvelope(await verify(url), 402, 'Insufficient credits');
        // Refused for credits: the windows did not count it.
        expect((await usage(url)).limits.minute?.remaining).toBe(before.limits.minute?.remaining);
        // A top-up retried with the same id adds nothing; a new one does.
        expect(store.topUp(BIG, 5, 'first')).toEqual({ balance: 0, applied: false });
        store.topUp(BIG, 5, 'second');
        expectEnvelope(await generate(url), 200);
        expect((await usage(url)).credits).toEqual({ balance: 4 });
      });
    });

    it('a key without a balance is not credit-limited and /usage shows no credits', async () => {
      await withCredits({}, async (url) => {
        for (let i = 0; i < 3; i++) expectEnvelope(await generate(url), 200);
        expect((await usage(url)).credits).toBeUndefined();
      });
    });

    it('costs per route; credits.required makes a key without a balance pay (402 with balance 0)', async () => {
      await withCredits({ costs: { generate: 3, verify: 0 }, credits: { required: true } }, async (url, store) => {
        expect(expectEnvelope(await generate(url), 402).data).toEqual({ balance: 0, cost: 3 });
        expectEnvelope(await verify(url), 200); // costs 0
        expect((await usage(url)).credits).toEqual({ balance: 0 });
        store.topUp(BIG, 4, 'p1');
        expectEnvelope(await generate(url), 200);
        expect(expectEnvelope(await generate(url), 402).data).toEqual({ balance: 1, cost: 3 });
      });
    });

    for (const [status, failure] of [
      [500, () => new Error('the verify memory broke')],
      [503, () => new TwoFaError('UNAVAILABLE')],
    ] as const) {
      it(`a request the kit fails after charging (${status}) is refunded`, async () => {
        const clock = new TestClock();
        const store = new FailingVerifyStore(clock.fn, failure);
        await withCredits({ store }, async (url) => {
          store.topUp(BIG, 3, 'p1');
          expectEnvelope(await verify(url), status);
          expectEnvelope(await verify(url), status);
          expect((await usage(url)).credits).toEqual({ balance: 3 });
          expectEnvelope(await generate(url), 200);
          expect((await usage(url)).credits).toEqual({ balance: 2 });
        });
      });
    }

    it('credits: false reads and charges no balance, and the OpenAPI document has no 402', async () => {
      await withCredits({ credits: false }, async (url, store) => {
        store.topUp(BIG, 1, 'p1');
        for (let i = 0; i < 3; i++) expectEnvelope(await generate(url), 200);
        expect((await usage(url)).credits).toBeUndefined();
        const doc = JSON.parse((await request(url).get(`${PREFIX}/openapi.json`)).text);
        expect(Object.keys(doc.paths[GENERATE].post.responses)).not.toContain('402');
      });
    });

    it('threshold events: 80 % and 100 % of the hour once each, and credits.low once', async () => {
      const events: TwoFaEvent[] = [];
      await withCredits(
        {
          plans: { hourly: { minute: 100, hour: 10 } },
          resolveKey: (key) => (key === 'hourly-key' ? { id: 'hourly-1', plan: 'hourly' } : null),
          credits: { lowBalance: 5 },
          onEvent: (e) => events.push(e),
        },
        async (url, store) => {
          store.topUp('hourly-1', 12, 'p1');
          for (let i = 0; i < 12; i++) await generate(url, 'hourly-key');
          const notices = events.filter((e) => e.type === 'quota.threshold' || e.type === 'credits.low');
          const hourStart = Math.floor(TestClock.START / 3_600_000) * 3_600;
          expect(notices.map((e) => [e.type, e.window, e.percent, e.periodStart, e.balance])).toEqual([
            ['quota.threshold', 'hour', 80, hourStart, undefined],
            ['credits.low', undefined, undefined, undefined, 4],
            ['quota.threshold', 'hour', 100, hourStart, undefined],
          ]);
          for (const e of notices) expect(e).toMatchObject({ route: 'generate', status: 200, identityId: 'hourly-1' });
          // The notices came just before the event of the request that crossed them (the 8th: 80 %
          // of the hour and 4 credits left; the 10th: 100 %).
          const types = events.map((e) => e.type);
          expect(types.slice(7, 10)).toEqual(['quota.threshold', 'credits.low', 'generated']);
          expect(events.filter((e) => e.type === 'generated')).toHaveLength(10);
        },
      );
    });
  });
}
