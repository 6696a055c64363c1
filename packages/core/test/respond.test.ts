// respond(): the same answers as handle(), given at once when the key store, the limiter and the
// body answer at once, and a promise otherwise; never a throw.
import { Readable } from 'node:stream';
import {
  cachedKeys,
  createTwoFa,
  type Identity,
  staticKeys,
  type TwoFaRequest,
  type TwoFaResponse,
} from '@twofa-kit/core';
import { describe, expect, it } from 'vitest';
import { createAuthGuard } from '../src/keys/auth-guard.js';
import type { GuardCounter } from '../src/limits/stores/guard-types.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 20);
const SECRET = 'JBSWY3DPEHPK3PXP';
const KEYS = { good: { id: 'u1', plan: 'ultra' } } as const;

function generate(key: string | undefined, body: TwoFaRequest['body'], ip = '192.0.2.1'): TwoFaRequest {
  return {
    method: 'POST',
    path: '/generate',
    rawQuery: '',
    headers: {
      ...(key === undefined ? {} : { 'x-api-key': key }),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body,
    ip,
  };
}
const form = (): TwoFaRequest['body'] => ({ kind: 'parsed', value: Buffer.from(`secret=${SECRET}`) });
const parsed = (res: TwoFaResponse) => JSON.parse(res.body) as { code: number; data: Record<string, unknown> };

describe('respond()', () => {
  it('answers at once with a synchronous key store, the memory store and a body already read', async () => {
    const twoFa = createTwoFa({ resolveKey: staticKeys(KEYS), clock: () => NOW });
    const res = twoFa.respond(generate('good', form()));
    expect(res).not.toBeInstanceOf(Promise);
    const now = res as TwoFaResponse;
    expect(now.status).toBe(200);
    expect(now.headers.ratelimit).toBe('"minute";r=99;t=40, "hour";r=4999;t=3580');
    // handle() gives the same answer, as a promise.
    const later = twoFa.handle(generate('good', form()));
    expect(later).toBeInstanceOf(Promise);
    expect(parsed(await later).data).toEqual(parsed(now).data);
    // Refusals too: 401, 404, 405, 400 are answers given at once.
    for (const [request, status] of [
      [generate('wrong', form()), 401],
      [{ ...generate('good', form()), path: '/nope' }, 404],
      [{ ...generate('good', form()), method: 'PUT' }, 405],
      [generate('good', { kind: 'parsed', value: Buffer.from('secret=0') }), 400],
    ] as const) {
      const answer = twoFa.respond(request);
      expect(answer).not.toBeInstanceOf(Promise);
      expect((answer as TwoFaResponse).status).toBe(status);
    }
  });

  it('answers with a promise when a step must wait: an async key store, a stream to read, a cold cache', async () => {
    const slow = createTwoFa({ resolveKey: async (k) => staticKeys(KEYS)(k), clock: () => NOW });
    const a = slow.respond(generate('good', form()));
    expect(a).toBeInstanceOf(Promise);
    expect((await a).status).toBe(200);

    const sync = createTwoFa({ resolveKey: staticKeys(KEYS), clock: () => NOW });
    const b = sync.respond(
      generate('good', { kind: 'stream', stream: Readable.from([Buffer.from(`secret=${SECRET}`)]) }),
    );
    expect(b).toBeInstanceOf(Promise);
    expect((await b).status).toBe(200);

    let lookups = 0;
    const cached = createTwoFa({
      resolveKey: cachedKeys(async (k) => {
        lookups++;
        return staticKeys(KEYS)(k);
      }),
      clock: () => NOW,
    });
    const cold = cached.respond(generate('good', form()));
    expect(cold).toBeInstanceOf(Promise);
    expect((await cold).status).toBe(200);
    const warm = cached.respond(generate('good', form()));
    expect(warm).not.toBeInstanceOf(Promise);
    expect((warm as TwoFaResponse).status).toBe(200);
    expect(lookups).toBe(1);
  });

  it('answers at once at every step: 402 before the quota, the count after valid input, 429', () => {
    const twoFa = createTwoFa({
      resolveKey: staticKeys({
        two: { id: 'u2', plan: 'ultra', limits: { minute: 2, hour: null } },
        unpaid: { id: 'u3', plan: 'ultra', limits: { minute: 0, hour: null }, paymentRequired: 'past_due' },
      }),
      countInvalidRequests: false,
      clock: () => NOW,
    });
    const now = (request: TwoFaRequest): TwoFaResponse => {
      const answer = twoFa.respond(request);
      expect(answer).not.toBeInstanceOf(Promise);
      return answer as TwoFaResponse;
    };
    // Unpaid comes before the quota (its quota is 0: a 429 had the quota been asked first).
    expect(now(generate('unpaid', form())).status).toBe(402);
    // Invalid input is not counted: the quota of 2 is still whole after it.
    const invalid = now(generate('two', { kind: 'parsed', value: Buffer.from('secret=0') }));
    expect(invalid.status).toBe(400);
    expect(now(generate('two', form())).headers.ratelimit).toBe('"minute";r=1;t=40');
    expect(now(generate('two', form())).headers.ratelimit).toBe('"minute";r=0;t=40');
    // Full: refused before the body is read (this body is invalid, yet the answer is the 429).
    expect(now(generate('two', { kind: 'parsed', value: Buffer.from('secret=0') })).status).toBe(429);
  });

  it('never throws: a key store that throws is the masked 500, at once', () => {
    const twoFa = createTwoFa({
      resolveKey: () => {
        throw new Error('db down');
      },
    });
    const res = twoFa.respond(generate('good', form()));
    expect(res).not.toBeInstanceOf(Promise);
    expect((res as TwoFaResponse).status).toBe(500);
  });

  it('keeps the failed-auth guard exact when lookups answered at once meet one still in flight', async () => {
    // One failure allowed per address. A slow lookup is in flight; a wrong key answered at once
    // must wait for it instead of running beside it: both could fail, and two failures would
    // exceed the limit. Once the slow one has failed, the waiting one is refused unlooked.
    let release: ((identity: Identity | null) => void) | undefined;
    const looked: string[] = [];
    const twoFa = createTwoFa({
      resolveKey: (k) => {
        looked.push(k);
        if (k !== 'slow') return null;
        return new Promise<Identity | null>((resolve) => {
          release = resolve;
        });
      },
      authFailureLimit: { max: 1 },
      clock: () => NOW,
    });
    const first = twoFa.respond(generate('slow', form()));
    expect(first).toBeInstanceOf(Promise);
    const second = twoFa.respond(generate('wrong', form()));
    expect(second).toBeInstanceOf(Promise);
    expect(looked).toEqual(['slow']);
    release?.(null);
    expect((await first).status).toBe(401);
    const refused = await second;
    expect(refused.status).toBe(429);
    expect(parsed(refused).code).toBe(429);
    expect(looked).toEqual(['slow']);
    // Another address is not held up by the first one's lookups.
    const other = twoFa.respond(generate('wrong', form(), '192.0.2.2'));
    expect(other).not.toBeInstanceOf(Promise);
    expect((other as TwoFaResponse).status).toBe(401);
  });
});

describe('the failed-auth guard with counts that take time (a Redis-like counter)', () => {
  it('holds a failure found at once as in flight until the counts have it: no second guess slips past', async () => {
    // The counts answer a tick later, like Redis; the key store answers at once (staticKeys).
    const counts = new Map<string, number>();
    const counter: GuardCounter = {
      authFailures(buckets, _windowSeconds, count) {
        return new Promise((resolve) =>
          setImmediate(() => {
            let remaining = Number.POSITIVE_INFINITY;
            for (const b of buckets) {
              const used = (counts.get(b.key) ?? 0) + (count ? 1 : 0);
              if (count) counts.set(b.key, used);
              remaining = Math.min(remaining, b.limit - used);
            }
            resolve({ remaining, resetMs: 30_000 });
          }),
        );
      },
    };
    const guard = createAuthGuard({ max: 1, windowSeconds: 60, maxClients: 100 }, () => NOW, counter);
    const looked: string[] = [];
    const run = (key: string | undefined) => {
      looked.push(key ?? '');
      return key === 'ok' ? { id: 'u1', plan: 'free' } : null;
    };
    // A valid key first: the guard learns the budget (1 left) from the counts and keeps it for a
    // second, so the next lookups of the address run at once.
    expect(await guard.lookup('192.0.2.9', 'ok', run, 5000)).toEqual({ id: 'u1', plan: 'free' });
    // Two wrong keys in one turn: the first fails at once, but its failure reaches the counts a
    // tick later; until then the second must wait, then be refused without a lookup.
    const first = guard.lookup('192.0.2.9', 'a', run, 5000);
    const second = Promise.resolve().then(() => guard.lookup('192.0.2.9', 'b', run, 5000));
    expect(await first).toBeNull();
    await expect(second).rejects.toMatchObject({ kind: 'TOO_MANY_AUTH_FAILURES' });
    expect(looked).toEqual(['ok', 'a']);
  });
});
