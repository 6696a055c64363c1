import request from 'supertest';
import { describe, expect, it } from 'vitest';
import type { AdapterHarness } from '../harness.js';
import { expectEnvelope, GENERATE, KEYS, MESSAGES, PREFIX, SEED_SECRET, TestClock, withContract } from '../helpers.js';

const FREE_POLICY = '"minute";q=5;w=60, "hour";q=100;w=3600';
const PRO_POLICY = '"minute";q=30;w=60, "hour";q=1000;w=3600, "day";q=10000;w=86400';
const ULTRA_POLICY = '"minute";q=100;w=60, "hour";q=5000;w=3600';

/** 2026-01-01 at hh:mm:ss.ms UTC. */
const at = (h: number, m: number, s: number, ms = 0) => Date.UTC(2026, 0, 1, h, m, s, ms);

function generate(url: string, key: string) {
  return request(url).post(GENERATE).set('X-API-Key', key).type('form').send(`secret=${SEED_SECRET}`);
}

function expectAdmitted(res: request.Response, policy: string, rateLimit: string): void {
  expectEnvelope(res, 200, MESSAGES.generated);
  expect(res.headers['ratelimit-policy']).toBe(policy);
  expect(res.headers.ratelimit).toBe(rateLimit);
  expect(res.headers['retry-after']).toBeUndefined();
}

function expectRefused(res: request.Response, retryAfter: number, policy: string, rateLimit: string): void {
  const body = expectEnvelope(res, 429, MESSAGES.rateLimited);
  expect(body.data).toEqual({ retry_after: retryAfter });
  expect(res.headers['retry-after']).toBe(String(retryAfter));
  expect(res.headers['ratelimit-policy']).toBe(policy);
  expect(res.headers.ratelimit).toBe(rateLimit);
}

/** One request of a trace: at `at` (or where the clock stands), refused with `retryAfter` or admitted without it. */
interface Step {
  at?: number;
  retryAfter?: number;
  rateLimit: string;
}

/** Sends one generate request for `key` per step, each answered as the step says, with `policy`. */
async function expectTrace(url: string, clock: TestClock, key: string, policy: string, steps: Step[]): Promise<void> {
  for (const { at, retryAfter, rateLimit } of steps) {
    if (at !== undefined) clock.set(at);
    const res = await generate(url, key);
    if (retryAfter === undefined) expectAdmitted(res, policy, rateLimit);
    else expectRefused(res, retryAfter, policy, rateLimit);
  }
}

/** Plan limits with an injected clock: exact admissions, `retry_after` and RateLimit headers. */
export function limitsSuite(harness: AdapterHarness): void {
  describe('plan limits', () => {
    it('admits the 5th free request, refuses the 6th with exact retry_after, resets next minute', async () => {
      const clock = new TestClock(); // 12:00:15.250: 44.75 s left in the minute, 3584.75 s in the hour
      await withContract(harness, clock, {}, async (url) => {
        for (let i = 1; i <= 5; i++) {
          expectAdmitted(
            await generate(url, KEYS.free),
            FREE_POLICY,
            `"minute";r=${5 - i};t=45, "hour";r=${100 - i};t=3585`,
          );
        }
        await expectTrace(url, clock, KEYS.free, FREE_POLICY, [
          { retryAfter: 45, rateLimit: '"minute";r=0;t=45, "hour";r=95;t=3585' },
          { at: at(12, 0, 45, 250), retryAfter: 15, rateLimit: '"minute";r=0;t=15, "hour";r=95;t=3555' },
          { at: at(12, 0, 59, 999), retryAfter: 1, rateLimit: '"minute";r=0;t=1, "hour";r=95;t=3541' },
          // The three refused requests counted nowhere: the hour has 5 + 1 admitted.
          { at: at(12, 1, 0), rateLimit: '"minute";r=4;t=60, "hour";r=94;t=3540' },
        ]);
      });
    });

    it('counts GET and POST together, and leaves other keys and plans unaffected', async () => {
      const clock = new TestClock();
      await withContract(harness, clock, {}, async (url) => {
        for (let i = 0; i < 5; i++) {
          const res =
            i % 2 === 0
              ? await generate(url, KEYS.free)
              : await request(url).get(`${GENERATE}?secret=${SEED_SECRET}&api_key=${KEYS.free}`);
          expectEnvelope(res, 200);
        }
        expectEnvelope(await generate(url, KEYS.free), 429, MESSAGES.rateLimited);
        expectAdmitted(await generate(url, KEYS.free2), FREE_POLICY, '"minute";r=4;t=45, "hour";r=99;t=3585');
        expectAdmitted(
          await generate(url, KEYS.pro),
          PRO_POLICY,
          '"minute";r=29;t=45, "hour";r=999;t=3585, "day";r=9999;t=43185',
        );
        expectAdmitted(await generate(url, KEYS.ultra), ULTRA_POLICY, '"minute";r=99;t=45, "hour";r=4999;t=3585');
      });
    });

    it('carries the RateLimit headers on authenticated error responses too', async () => {
      const clock = new TestClock();
      await withContract(harness, clock, {}, async (url) => {
        const res = await request(url).post(GENERATE).set('X-API-Key', KEYS.free).type('form').send('secret=!!');
        expectEnvelope(res, 400, MESSAGES.invalidSecret);
        expect(res.headers['ratelimit-policy']).toBe(FREE_POLICY);
        expect(res.headers.ratelimit).toMatch(/^"minute";r=[0-9]+;t=45, "hour";r=[0-9]+;t=3585$/);
      });
    });

    it('reaches the free hour limit (100) across minutes, retry_after running to the hour end', async () => {
      const clock = new TestClock();
      await withContract(harness, clock, {}, async (url) => {
        for (let m = 0; m < 20; m++) {
          clock.set(at(12, m, 0, 500));
          for (let i = 0; i < 5; i++) expectEnvelope(await generate(url, KEYS.free), 200);
        }
        await expectTrace(url, clock, KEYS.free, FREE_POLICY, [
          { at: at(12, 20, 0, 500), retryAfter: 2400, rateLimit: '"minute";r=5;t=60, "hour";r=0;t=2400' },
          { at: at(12, 59, 59, 0), retryAfter: 1, rateLimit: '"minute";r=5;t=1, "hour";r=0;t=1' },
          { at: at(13, 0, 0), rateLimit: '"minute";r=4;t=60, "hour";r=99;t=3600' },
        ]);
      });
    });

    it('applies a per-key day override on pro, retry_after running to UTC midnight', async () => {
      const clock = new TestClock();
      const policy = '"minute";q=30;w=60, "hour";q=1000;w=3600, "day";q=3;w=86400';
      await withContract(harness, clock, {}, async (url) => {
        for (let i = 1; i <= 3; i++) {
          expectAdmitted(
            await generate(url, KEYS.proDay3),
            policy,
            `"minute";r=${30 - i};t=45, "hour";r=${1000 - i};t=3585, "day";r=${3 - i};t=43185`,
          );
        }
        expectRefused(
          await generate(url, KEYS.proDay3),
          43185,
          policy,
          '"minute";r=27;t=45, "hour";r=997;t=3585, "day";r=0;t=43185',
        );
        clock.set(Date.UTC(2026, 0, 2, 0, 0, 0));
        expectAdmitted(
          await generate(url, KEYS.proDay3),
          policy,
          '"minute";r=29;t=60, "hour";r=999;t=3600, "day";r=2;t=86400',
        );
      });
    });

    it('applies a plan the host added and a per-key unlimited window', async () => {
      const clock = new TestClock();
      await withContract(harness, clock, {}, async (url) => {
        const tiny = '"minute";q=2;w=60';
        expectAdmitted(await generate(url, KEYS.tiny), tiny, '"minute";r=1;t=45');
        expectAdmitted(await generate(url, KEYS.tiny), tiny, '"minute";r=0;t=45');
        expectRefused(await generate(url, KEYS.tiny), 45, tiny, '"minute";r=0;t=45');
        for (let i = 1; i <= 8; i++) {
          expectAdmitted(await generate(url, KEYS.freeNoMinute), '"hour";q=100;w=3600', `"hour";r=${100 - i};t=3585`);
        }
      });
    });

    it('uses a replaced plan table', async () => {
      const clock = new TestClock();
      await withContract(harness, clock, { plans: { free: { minute: 1, day: 2 } } }, async (url) => {
        const policy = '"minute";q=1;w=60, "day";q=2;w=86400';
        expectAdmitted(await generate(url, KEYS.free), policy, '"minute";r=0;t=45, "day";r=1;t=43185');
        expectRefused(await generate(url, KEYS.free), 45, policy, '"minute";r=0;t=45, "day";r=1;t=43185');
        clock.set(at(12, 1, 0));
        expectAdmitted(await generate(url, KEYS.free), policy, '"minute";r=0;t=60, "day";r=0;t=43140');
        clock.set(at(12, 2, 0));
        expectRefused(await generate(url, KEYS.free), 43080, policy, '"minute";r=1;t=60, "day";r=0;t=43080');
      });
    });

    it('a month quota: the UTC calendar month in the headers, retry_after to the next 1st, fresh then', async () => {
      const clock = new TestClock();
      clock.set(Date.UTC(2026, 0, 10, 8, 0, 0)); // January: 31 days
      const jan = '"minute";q=100;w=60, "month";q=3;w=2678400';
      const toFeb = (Date.UTC(2026, 1, 1) - clock.now) / 1000; // 21 days 16 h
      await withContract(harness, clock, {}, async (url) => {
        for (let i = 1; i <= 3; i++) {
          expectAdmitted(
            await generate(url, KEYS.metered),
            jan,
            `"minute";r=${100 - i};t=60, "month";r=${3 - i};t=${toFeb}`,
          );
        }
        expectRefused(await generate(url, KEYS.metered), toFeb, jan, `"minute";r=97;t=60, "month";r=0;t=${toFeb}`);
        clock.set(Date.UTC(2026, 0, 31, 23, 59, 59, 500));
        expectRefused(await generate(url, KEYS.metered), 1, jan, '"minute";r=100;t=1, "month";r=0;t=1');
        clock.set(Date.UTC(2026, 1, 1)); // February 2026: 28 days
        const feb = '"minute";q=100;w=60, "month";q=3;w=2419200';
        expectAdmitted(await generate(url, KEYS.metered), feb, '"minute";r=99;t=60, "month";r=2;t=2419200');
        const usage = await request(url).get(`${PREFIX}/usage`).set('X-API-Key', KEYS.metered);
        expect(expectEnvelope(usage, 200).data).toMatchObject({
          plan: 'metered',
          limits: { month: { limit: 3, remaining: 2, reset: 2_419_200 }, day: { limit: null } },
        });
        // The end of a year: December has 31 days, and January starts again.
        clock.set(Date.UTC(2026, 11, 31, 23, 59, 30));
        const dec = '"minute";q=100;w=60, "month";q=3;w=2678400';
        for (let i = 1; i <= 3; i++)
          expectAdmitted(await generate(url, KEYS.metered), dec, `"minute";r=${100 - i};t=30, "month";r=${3 - i};t=30`);
        expectRefused(await generate(url, KEYS.metered), 30, dec, '"minute";r=97;t=30, "month";r=0;t=30');
        clock.set(Date.UTC(2027, 0, 1));
        expectAdmitted(await generate(url, KEYS.metered), dec, '"minute";r=99;t=60, "month";r=2;t=2678400');
      });
    });

    it('a request refused with 400/413/415 counts by default; with countInvalidRequests: false it does not', async () => {
      const clock = new TestClock();
      const bad = (url: string) =>
        request(url).post(GENERATE).set('X-API-Key', KEYS.free).type('form').send('secret=not*base32');
      await withContract(harness, clock, {}, async (url) => {
        const res = await bad(url);
        expectEnvelope(res, 400, MESSAGES.invalidSecret);
        expect(res.headers.ratelimit).toBe('"minute";r=4;t=45, "hour";r=99;t=3585');
      });
      await withContract(harness, clock, { countInvalidRequests: false }, async (url) => {
        for (let i = 0; i < 8; i++) {
          const res = await bad(url);
          expectEnvelope(res, 400, MESSAGES.invalidSecret);
          expect(res.headers['ratelimit-policy']).toBe(FREE_POLICY);
          expect(res.headers.ratelimit).toBe('"minute";r=5;t=45, "hour";r=100;t=3585');
        }
        const big = await request(url)
          .post(GENERATE)
          .set('X-API-Key', KEYS.free)
          .type('form')
          .send(`secret=${'A'.repeat(20_000)}`);
        expectEnvelope(big, 413);
        const odd = await request(url)
          .post(GENERATE)
          .set('X-API-Key', KEYS.free)
          .set('Content-Type', 'text/plain')
          .send('x');
        expectEnvelope(odd, 415);
        const badCode = await request(url)
          .post(`${PREFIX}/verify`)
          .set('X-API-Key', KEYS.free)
          .type('form')
          .send(`secret=${SEED_SECRET}&code=1234567`);
        expectEnvelope(badCode, 400);
        for (let i = 1; i <= 5; i++) {
          expectAdmitted(
            await generate(url, KEYS.free),
            FREE_POLICY,
            `"minute";r=${5 - i};t=45, "hour";r=${100 - i};t=3585`,
          );
        }
        // The order stays 401 → 429 → 400: on a full quota a bad request is a 429, counted nowhere.
        expectRefused(await bad(url), 45, FREE_POLICY, '"minute";r=0;t=45, "hour";r=95;t=3585');
        const noKey = await request(url).post(GENERATE).type('form').send('secret=not*base32');
        expectEnvelope(noKey, 401, MESSAGES.unauthorized);
      });
    });

    it('admits exactly 5 of 40 concurrent requests for one free key', async () => {
      const clock = new TestClock();
      await withContract(harness, clock, {}, async (url) => {
        const all = await Promise.all(Array.from({ length: 40 }, () => generate(url, KEYS.free)));
        const admitted = all.filter((r) => r.status === 200);
        const refused = all.filter((r) => r.status === 429);
        expect(admitted.length).toBe(5);
        expect(refused.length).toBe(35);
        for (const r of admitted) expectEnvelope(r, 200, MESSAGES.generated);
        for (const r of refused) expectRefused(r, 45, FREE_POLICY, '"minute";r=0;t=45, "hour";r=95;t=3585');
        const remaining = admitted.map((r) => r.headers.ratelimit).sort();
        expect(remaining).toEqual([0, 1, 2, 3, 4].map((n) => `"minute";r=${n};t=45, "hour";r=${95 + n};t=3585`));
        expectAdmitted(await generate(url, KEYS.free2), FREE_POLICY, '"minute";r=4;t=45, "hour";r=99;t=3585');
      });
    });
  });
}
