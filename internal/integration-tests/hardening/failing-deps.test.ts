/**
 * Failing dependencies at the core: a key store or a limiter store that throws, rejects, returns
 * garbage or never answers. Each ends in a documented envelope (500 for an error, 503 for a
 * dependency that does not answer in time), with no unhandled rejection, and the next healthy
 * request succeeds. Time is faked: "within the bound" is shown by advancing exactly to it.
 */

import {
  createTwoFa,
  type Identity,
  type LimiterStore,
  MemoryStore,
  type TwoFaEvent,
  type TwoFaOptions,
  type TwoFaResponse,
} from '@twofa-kit/core';
import type { ConsumeResult } from '@twofa-kit/core/store';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const SECRET = 'JBSWY3DPEHPK3PXP';
const KEY = 'k-hardening-0001';
const ID: Identity = { id: 'u-1', plan: 'free' };

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  vi.useRealTimers();
  // Give stray rejections a chance to surface before checking.
  await new Promise((r) => setImmediate(r));
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

function kit(options: Partial<TwoFaOptions>) {
  const events: TwoFaEvent[] = [];
  const twofa = createTwoFa({ resolveKey: () => ID, onEvent: (e) => events.push(e), ...options });
  const call = (): Promise<TwoFaResponse> =>
    twofa.handle({
      method: 'POST',
      path: '/generate',
      rawQuery: '',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: { kind: 'parsed', value: { secret: SECRET } },
    });
  return { twofa, call, events };
}

function expectEnvelope(res: TwoFaResponse, status: number, message: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(JSON.parse(res.body)).toEqual({ code: status, message, data: null });
}
const expect500 = (res: TwoFaResponse) => expectEnvelope(res, 500, 'Internal server error');
const expect503 = (res: TwoFaResponse) => expectEnvelope(res, 503, 'Service temporarily unavailable');

/** Whether `promise` has settled, without waiting for it. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 20; i++) await Promise.resolve();
  return done;
}

/** A store that misbehaves while `broken` is true and is a MemoryStore otherwise. */
function flakyStore(misbehave: () => ConsumeResult | Promise<ConsumeResult>) {
  const healthy = new MemoryStore();
  const state = { broken: true };
  const store: LimiterStore = {
    name: 'flaky',
    consume: (key, windows) => (state.broken ? misbehave() : healthy.consume(key, windows)),
    peek: (key, windows) => (state.broken ? misbehave() : healthy.peek(key, windows)),
  };
  return { store, state };
}

describe('key store (resolveKey) failures', () => {
  const cases: Array<[string, () => unknown, number]> = [
    [
      'throws synchronously',
      () => {
        throw new Error(`db down for ${KEY}`);
      },
      500,
    ],
    ['rejects', () => Promise.reject(new Error(`db down for ${KEY}`)), 500],
    ['rejects with a non-Error', () => Promise.reject(KEY), 500],
    ['returns a number', () => 42, 500],
    ['returns an identity with an empty id', () => ({ id: '', plan: 'free' }), 500],
    [
      'returns an identity whose id getter throws',
      () => ({
        get id(): string {
          throw new Error(KEY);
        },
        plan: 'free',
      }),
      500,
    ],
    [
      'returns a thenable that throws in then()',
      () => ({
        // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is the point of this case
        then() {
          throw new Error(KEY);
        },
      }),
      500,
    ],
    ['returns an unknown plan', () => ({ id: 'u', plan: '__proto__' }), 500],
    ['returns an identity with garbage limits', () => ({ id: 'u', plan: 'free', limits: { minute: -1 } }), 500],
  ];
  for (const [name, resolveKey, status] of cases) {
    it(`${name} → masked ${status}, then a healthy lookup succeeds`, async () => {
      let broken = true;
      const { call, events } = kit({ resolveKey: (k) => (broken ? (resolveKey() as Identity) : { ...ID, id: k }) });
      const res = await call();
      expect500(res);
      expect(res.body).not.toContain(KEY);
      expect(events.at(-1)).toMatchObject({ type: 'error', status });
      broken = false;
      expect((await call()).status).toBe(200);
    });
  }

  it('never answers → 503 exactly at keyLookupTimeoutMs, not before', async () => {
    vi.useFakeTimers();
    let hang = true;
    const { call } = kit({
      resolveKey: () => (hang ? new Promise<Identity>(() => {}) : Promise.resolve(ID)),
      keyLookupTimeoutMs: 1000,
    });
    const pending = call();
    await vi.advanceTimersByTimeAsync(999);
    expect(await settled(pending)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect503(await pending);
    hang = false;
    expect((await call()).status).toBe(200);
    expect(vi.getTimerCount()).toBe(0); // the timeout timer is cleared on the healthy path
  });

  it('answers after the timeout → 503 for that request, and the late answer is ignored quietly', async () => {
    vi.useFakeTimers();
    let rejectLate: (e: Error) => void = () => {};
    const { call } = kit({
      resolveKey: () => new Promise<Identity>((_, reject) => (rejectLate = reject)),
      keyLookupTimeoutMs: 100,
    });
    const pending = call();
    await vi.advanceTimersByTimeAsync(100);
    expect503(await pending);
    rejectLate(new Error('late failure')); // must not become an unhandled rejection (checked in afterEach)
  });
});

describe('limiter store failures', () => {
  const cases: Array<[string, () => ConsumeResult | Promise<ConsumeResult>]> = [
    [
      'throws synchronously',
      () => {
        throw new Error('store exploded');
      },
    ],
    ['rejects', () => Promise.reject(new Error('connection reset'))],
    ['returns undefined', () => undefined as unknown as ConsumeResult],
    ['returns garbage windows', () => ({ allowed: true, windows: 'x', retryAfterMs: 0 }) as unknown as ConsumeResult],
  ];
  for (const [name, misbehave] of cases) {
    it(`${name} → masked 500 with the error reported as an event, then the store recovers`, async () => {
      const { store, state } = flakyStore(misbehave);
      const { call, events } = kit({ store });
      expect500(await call());
      expect(events.at(-1)).toMatchObject({ type: 'error', status: 500 });
      state.broken = false;
      expect((await call()).status).toBe(200);
    });
  }

  it('a refusal without retryAfterMs still gives a 429 with Retry-After ≥ 1', async () => {
    const { store } = flakyStore(() => ({
      allowed: false,
      windows: [{ name: 'minute', seconds: 60, limit: 5, remaining: 0, resetMs: 10 }],
      retryAfterMs: Number.NaN,
    }));
    const res = await kit({ store }).call();
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('never answers → 503 exactly at storeTimeoutMs, not before; the next request succeeds', async () => {
    vi.useFakeTimers();
    const { store, state } = flakyStore(() => new Promise<ConsumeResult>(() => {}));
    const { call, events } = kit({ store, storeTimeoutMs: 500 });
    const pending = call();
    await vi.advanceTimersByTimeAsync(499);
    expect(await settled(pending)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect503(await pending);
    expect(events.at(-1)).toMatchObject({ type: 'error', status: 503 });
    state.broken = false;
    expect((await call()).status).toBe(200);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('the default bound applies when storeTimeoutMs is not set', async () => {
    vi.useFakeTimers();
    const { store } = flakyStore(() => new Promise<ConsumeResult>(() => {}));
    const { twofa, call } = kit({ store });
    const pending = call();
    await vi.advanceTimersByTimeAsync(twofa.config.storeTimeoutMs);
    expect503(await pending);
  });

  it('a synchronous store (MemoryStore) arms no timer', async () => {
    vi.useFakeTimers();
    const { call } = kit({});
    expect((await call()).status).toBe(200);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects a bad storeTimeoutMs at construction', () => {
    for (const storeTimeoutMs of [0, -1, 1.5, Number.NaN]) {
      expect(() => createTwoFa({ resolveKey: () => ID, storeTimeoutMs })).toThrow(/storeTimeoutMs/);
    }
  });
});
