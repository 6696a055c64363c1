import { Readable } from 'node:stream';
import { createTwoFa, type Identity, type TwoFaOptions, type TwoFaRequest } from '@twofa-kit/core';
import { describe, expect, it } from 'vitest';

const SECRET = 'JBSWY3DPEHPK3PXP';
const IDS: Record<string, Identity> = {
  kfree: { id: 'u-free', plan: 'free' },
  kfree2: { id: 'u-free2', plan: 'free' },
  kpro: { id: 'u-pro', plan: 'pro' },
  ktiny: { id: 'u-tiny', plan: 'pro', limits: { minute: 2, hour: 3, day: null } },
  kghost: { id: 'u-ghost', plan: 'no-such-plan' },
};

function setup(options: Partial<TwoFaOptions> = {}) {
  const clock = { now: Date.UTC(2026, 0, 1, 12, 0, 0) };
  const kit = createTwoFa({ resolveKey: (k) => IDS[k] ?? null, clock: () => clock.now, ...options });
  const call = async (key: string | undefined, init: Partial<TwoFaRequest> = {}) => {
    const res = await kit.handle({
      method: 'POST',
      path: '/generate',
      rawQuery: '',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(key ? { 'x-api-key': key } : {}) },
      body: { kind: 'stream', stream: Readable.from([Buffer.from(`secret=${SECRET}`)]) },
      ...init,
    });
    return {
      ...res,
      json: JSON.parse(res.body) as { code: number; message: string; data: Record<string, unknown> | null },
    };
  };
  return { kit, clock, call };
}

describe('plan limits through handle()', () => {
  it('admits the 5th free request, refuses the 6th with exact retry_after and headers', async () => {
    const { clock, call } = setup();
    clock.now += 15_250; // 12:00:15.250
    for (let i = 1; i <= 5; i++) {
      const r = await call('kfree');
      expect(r.status).toBe(200);
      expect(r.headers['ratelimit-policy']).toBe('"minute";q=5;w=60, "hour";q=100;w=3600');
      expect(r.headers.ratelimit).toBe(`"minute";r=${5 - i};t=45, "hour";r=${100 - i};t=3585`);
    }
    clock.now += 10_000; // 12:00:25.250
    const refused = await call('kfree');
    expect(refused.status).toBe(429);
    expect(refused.json).toEqual({ code: 429, message: 'Rate limit exceeded', data: { retry_after: 35 } });
    expect(refused.headers['retry-after']).toBe('35');
    expect(refused.headers.ratelimit).toBe('"minute";r=0;t=35, "hour";r=95;t=3575');
    // A rejected request counts nowhere: the hour still shows 5 used after the minute resets.
    clock.now = Date.UTC(2026, 0, 1, 12, 1, 0);
    const next = await call('kfree');
    expect(next.status).toBe(200);
    expect(next.headers.ratelimit).toBe('"minute";r=4;t=60, "hour";r=94;t=3540');
  });

  it('other identities are unaffected', async () => {
    const { call } = setup();
    for (let i = 0; i < 5; i++) await call('kfree');
    expect((await call('kfree')).status).toBe(429);
    expect((await call('kfree2')).status).toBe(200);
    expect((await call('kpro')).headers.ratelimit).toMatch(
      /^"minute";r=29;t=\d+, "hour";r=999;t=\d+, "day";r=9999;t=\d+$/,
    );
  });

  it('per-key overrides: the hour window blocks until the next hour, retry_after counts to it', async () => {
    const { clock, call } = setup();
    expect((await call('ktiny')).status).toBe(200);
    expect((await call('ktiny')).status).toBe(200);
    clock.now += 60_000;
    const third = await call('ktiny');
    expect(third.status).toBe(200);
    expect(third.headers['ratelimit-policy']).toBe('"minute";q=2;w=60, "hour";q=3;w=3600');
    clock.now += 60_000; // 12:02:00, minute has room, hour is full
    const refused = await call('ktiny');
    expect(refused.status).toBe(429);
    expect(refused.json.data).toEqual({ retry_after: 3480 });
    clock.now = Date.UTC(2026, 0, 1, 13, 0, 0);
    expect((await call('ktiny')).status).toBe(200);
  });

  it('retry_after rounds up and is at least 1', async () => {
    const { clock, call } = setup();
    clock.now = Date.UTC(2026, 0, 1, 12, 0, 59) + 999;
    for (let i = 0; i < 5; i++) await call('kfree');
    const refused = await call('kfree');
    expect(refused.json.data).toEqual({ retry_after: 1 });
    expect(refused.headers['retry-after']).toBe('1');
  });

  it('an unlimited plan carries no RateLimit headers', async () => {
    const { call } = setup({ plans: { free: { minute: null, hour: null, day: null } } });
    const r = await call('kfree');
    expect(r.status).toBe(200);
    expect(r.headers['ratelimit-policy']).toBeUndefined();
    expect(r.headers.ratelimit).toBeUndefined();
  });
});

describe('authentication and the key store', () => {
  it('401 for a missing or unknown key, before the body is read', async () => {
    const { call } = setup();
    const untouched = new Readable({
      read() {
        throw new Error('the body must not be read before authentication');
      },
    });
    for (const key of [undefined, 'nope', ' ']) {
      const r = await call(key, { body: { kind: 'stream', stream: untouched } });
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ code: 401, message: 'Invalid or missing API key', data: null });
      expect(r.headers.ratelimit).toBeUndefined();
    }
  });

  it('a key store that throws, rejects or returns garbage gives the masked 500', async () => {
    for (const resolveKey of [
      () => {
        throw new Error('db down: key=kfree');
      },
      () => Promise.reject(new Error('db down')),
      () => ({ id: 42, plan: 'free' }) as unknown as Identity,
      () => 'free' as unknown as Identity,
    ]) {
      const { call } = setup({ resolveKey });
      const r = await call('kfree');
      expect(r.status).toBe(500);
      expect(r.json).toEqual({ code: 500, message: 'Internal server error', data: null });
    }
  });

  it('a key store that never answers gives 503 within the lookup timeout', async () => {
    const { call } = setup({ resolveKey: () => new Promise(() => {}), keyLookupTimeoutMs: 50 });
    const started = Date.now();
    const r = await call('kfree');
    expect(r.status).toBe(503);
    expect(r.json.message).toBe('Service temporarily unavailable');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('an identity on a plan the table does not know is a 500, never unlimited', async () => {
    const { call } = setup();
    expect((await call('kghost')).status).toBe(500);
  });

  it('the query key works unless switched off; the header wins', async () => {
    const { call } = setup();
    expect((await call(undefined, { rawQuery: 'api_key=kpro' })).status).toBe(200);
    expect((await call('nope', { rawQuery: 'api_key=kpro' })).status).toBe(401);
    expect((await call(undefined, { rawQuery: 'api_key=kpro&api_key=kpro' })).status).toBe(401);
    const off = setup({ allowQueryKey: false });
    expect((await off.call(undefined, { rawQuery: 'api_key=kpro' })).status).toBe(401);
  });
});

describe('configuration fails at start-up', () => {
  const none = (): null => null;
  it.each<[Record<string, unknown>, RegExp]>([
    [{}, /resolveKey is required/],
    [{ resolveKey: none, plans: { free: { minute: -1 } } }, /plans.free.minute/],
    [{ resolveKey: none, plans: { free: { week: 5 } } }, /unknown window "week"/],
    [{ resolveKey: none, bodyLimit: 0 }, /bodyLimit/],
    [{ resolveKey: none, prefix: 'api' }, /prefix/],
    [{ resolveKey: none, replacePlans: true, plans: {} }, /plan table is empty/],
  ])('%o', (options, message) => {
    expect(() => createTwoFa(options as unknown as TwoFaOptions)).toThrow(message);
  });
});
