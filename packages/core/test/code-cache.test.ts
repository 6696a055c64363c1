// The generate route's cache of repeated secrets: the same codes as without it, never across
// callers or values, bounded in size and in time.
import { createTwoFa, decodeSecret, staticKeys, type TwoFaResponse, totpAt } from '@twofa-kit/core';
import { describe, expect, it } from 'vitest';
import type { ParamValues } from '../src/http/params.js';
import { CodeCache, GENERATION_MS, resolveCodeCache } from '../src/otp/code-cache.js';
import type { TotpParams } from '../src/otp/totp.js';

const SECRET = 'JBSWY3DPEHPK3PXP';
const T0 = 1_772_035_200; // a step boundary (divisible by 30)

function counting(values: ParamValues) {
  let parses = 0;
  const parse = (): TotpParams => {
    parses++;
    const key = decodeSecret(values.secret as string);
    if (key === undefined) throw new Error('invalid');
    return {
      key,
      digits: (values.digits as number | undefined) ?? 6,
      period: (values.period as number | undefined) ?? 30,
      algorithm: 'SHA1',
    };
  };
  return { parse, parses: () => parses };
}

describe('CodeCache', () => {
  it('gives the code totpAt gives, decoding once and computing once per step', () => {
    const clock = { now: T0 * 1000 };
    const cache = new CodeCache(100, () => clock.now);
    const values = { secret: SECRET };
    const { parse, parses } = counting(values);
    const expected = (t: number) =>
      totpAt({ key: decodeSecret(SECRET) as Uint8Array, digits: 6, period: 30, algorithm: 'SHA1' }, t);
    for (const t of [T0, T0 + 1, T0 + 29, T0 + 30, T0 + 59, T0 + 61, T0 + 89]) {
      clock.now = t * 1000;
      expect(cache.code('u1', values, t, parse, 'node').code).toBe(expected(t));
    }
    expect(parses()).toBe(1);
    // An hour later the entry is long gone: decoded again.
    clock.now = (T0 + 3600) * 1000;
    expect(cache.code('u1', values, T0 + 3600, parse, 'node').code).toBe(expected(T0 + 3600));
    expect(parses()).toBe(2);
  });

  it('never answers one caller or one set of values from another’s entry', () => {
    const cache = new CodeCache(100, () => T0 * 1000);
    const six = counting({ secret: SECRET });
    const eight = counting({ secret: SECRET, digits: 8 });
    expect(cache.code('u1', { secret: SECRET }, T0, six.parse, 'node').code).toHaveLength(6);
    expect(cache.code('u1', { secret: SECRET, digits: 8 }, T0, eight.parse, 'node').code).toHaveLength(8);
    expect(cache.code('u1', { secret: SECRET }, T0, six.parse, 'node').code).toHaveLength(6);
    expect(six.parses()).toBe(2); // replaced by the 8-digit entry in between
    const other = counting({ secret: SECRET });
    cache.code('u2', { secret: SECRET }, T0, other.parse, 'node');
    expect(other.parses()).toBe(1); // another caller: its own parse, never the first caller's entry
  });

  it('keeps nothing it could not parse', () => {
    const cache = new CodeCache(100, () => T0 * 1000);
    const bad = counting({ secret: '0000' });
    expect(() => cache.code('u1', { secret: '0000' }, T0, bad.parse, 'node')).toThrow('invalid');
    expect(cache.size).toBe(0);
  });

  it('holds at most two generations of max entries, and forgets a secret within two idle generations', () => {
    const clock = { now: T0 * 1000 };
    const cache = new CodeCache(3, () => clock.now);
    const secrets = Array.from({ length: 20 }, (_, i) => `JBSWY3DPEHPK3PX${'ABCDEFGHIJKLMNOPQRST'[i]}`);
    for (const s of secrets) cache.code('u1', { secret: s }, T0, counting({ secret: s }).parse, 'node');
    expect(cache.size).toBeLessThanOrEqual(6);
    clock.now += GENERATION_MS;
    cache.code('u1', { secret: SECRET }, T0 + 30, counting({ secret: SECRET }).parse, 'node');
    expect(cache.size).toBeLessThanOrEqual(4);
    clock.now += 2 * GENERATION_MS; // idle for two generations: all dropped at the next request
    const again = counting({ secret: SECRET });
    cache.code('u1', { secret: SECRET }, T0 + 90, again.parse, 'node');
    expect(again.parses()).toBe(1);
    expect(cache.size).toBe(1);
  });

  it('validates the option', () => {
    expect(resolveCodeCache(undefined)).toEqual({ max: 10_000 });
    expect(resolveCodeCache(false)).toBe(false);
    expect(() => resolveCodeCache({ max: 0 })).toThrow(/codeCache.max/);
    expect(() => createTwoFa({ resolveKey: () => null, codeCache: { max: 1.5 } })).toThrow(/codeCache.max/);
  });
});

describe('generate with and without the cache', () => {
  it('answers the same bodies, byte for byte, and its hand-written data is JSON.stringify(data)', async () => {
    const clock = { now: T0 * 1000 + 12_345 };
    const options = { resolveKey: staticKeys({ k: { id: 'u1', plan: 'ultra' } }), clock: () => clock.now };
    const cached = createTwoFa(options);
    const plain = createTwoFa({ ...options, codeCache: false });
    const ask = async (twoFa: typeof cached, query: string) =>
      (await twoFa.handle({
        method: 'GET',
        path: '/generate',
        rawQuery: query,
        headers: { 'x-api-key': 'k' },
        body: { kind: 'none' },
      })) as TwoFaResponse;
    for (const query of [
      `secret=${SECRET}`,
      `secret=${SECRET}&digits=8`,
      `secret=${SECRET}&algorithm=sha512&period=60`,
    ]) {
      for (const step of [0, 1, 2]) {
        clock.now = (T0 + step * 30) * 1000 + 12_345;
        const a = await ask(cached, query);
        const b = await ask(plain, query);
        expect(a.status).toBe(200);
        expect(a.body).toBe(b.body);
        const parsed = JSON.parse(a.body) as { data: unknown };
        expect(a.body).toBe(JSON.stringify({ code: 200, message: 'Code generated successfully', data: parsed.data }));
      }
    }
    expect((await ask(cached, 'secret=0000')).status).toBe(400);
  });
});
