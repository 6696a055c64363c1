import { cachedKeys, createTwoFa, MemoryStore, RedisStore, TwoFaConfigError, type TwoFaOptions } from '@twofa-kit/core';
import { describe, expect, it } from 'vitest';
import { checkNumber, closestName, editDistance } from '../src/option-checks.js';

const none = (): null => null;
/** A stand-in ioredis client: the option checks run before any command is defined. */
const client = { defineCommand: () => undefined, status: 'ready' } as never;

function configError(run: () => unknown): TwoFaConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof TwoFaConfigError) return error;
    throw error;
  }
  throw new Error('no TwoFaConfigError');
}

describe('unknown options are refused with the closest known one', () => {
  it.each<[string, () => unknown, string]>([
    [
      'createTwoFa: prefx',
      () => createTwoFa({ resolveKey: none, prefx: '/x' } as unknown as TwoFaOptions),
      'unknown option "prefx" in createTwoFa (did you mean "prefix"?)',
    ],
    [
      'createTwoFa: bodylimit (letter case)',
      () => createTwoFa({ resolveKey: none, bodylimit: 10 } as unknown as TwoFaOptions),
      'unknown option "bodylimit" in createTwoFa (did you mean "bodyLimit"?)',
    ],
    [
      'createTwoFa: a transposition',
      () => createTwoFa({ resolveKey: none, storeTiemoutMs: 10 } as unknown as TwoFaOptions),
      'unknown option "storeTiemoutMs" in createTwoFa (did you mean "storeTimeoutMs"?)',
    ],
    [
      'authFailureLimit: windowSecs',
      () => createTwoFa({ resolveKey: none, authFailureLimit: { windowSecs: 60 } } as unknown as TwoFaOptions),
      'unknown option "windowSecs" in authFailureLimit (did you mean "windowSeconds"?)',
    ],
    [
      'verifyFailureLimit: mx',
      () => createTwoFa({ resolveKey: none, verifyFailureLimit: { mx: 3 } } as unknown as TwoFaOptions),
      'unknown option "mx" in verifyFailureLimit (did you mean "max"?)',
    ],
    [
      'codeCache: size',
      () => createTwoFa({ resolveKey: none, codeCache: { size: 3 } } as unknown as TwoFaOptions),
      'unknown option "size" in codeCache (known options: max)',
    ],
    [
      'a plan window: minutes',
      () => createTwoFa({ resolveKey: none, plans: { free: { minutes: 3 } } } as unknown as TwoFaOptions),
      'unknown window "minutes" in plan "free" (did you mean "minute"?)',
    ],
    [
      'MemoryStore: maxIdentity',
      () => new MemoryStore({ maxIdentity: 10 } as never),
      'unknown option "maxIdentity" in MemoryStore (did you mean "maxIdentities"?)',
    ],
    [
      'RedisStore: keyprefix',
      () => new RedisStore({ client, keyprefix: 'x:' } as never),
      'unknown option "keyprefix" in RedisStore (did you mean "keyPrefix"?)',
    ],
    [
      'cachedKeys: ttl',
      () => cachedKeys(none, { ttl: 5 } as never),
      'unknown option "ttl" in cachedKeys (did you mean "ttlMs"?)',
    ],
  ])('%s', (_name, run, message) => {
    const error = configError(run);
    expect(error.message).toBe(`twofa-kit: ${message}`);
    expect(error.code).toBe('ERR_TWOFA_UNKNOWN_OPTION');
  });

  it('a name far from every known one gets the list instead of a guess', () => {
    const error = configError(() => createTwoFa({ resolveKey: none, colour: 'red' } as unknown as TwoFaOptions));
    expect(error.message).toMatch(/unknown option "colour" in createTwoFa \(known options: resolveKey, prefix, /);
  });

  it('every documented option is accepted', () => {
    const twoFa = createTwoFa({
      resolveKey: none,
      prefix: '/x',
      plans: {},
      replacePlans: false,
      store: new MemoryStore({ maxIdentities: 10, clock: Date.now }),
      allowQueryKey: true,
      bodyLimit: 100,
      maxSecretLength: 64,
      minSecretLength: 16,
      keyLookupTimeoutMs: 10,
      storeTimeoutMs: 10,
      clock: Date.now,
      totpEngine: 'node',
      codeCache: { max: 5 },
      onEvent: () => undefined,
      authFailureLimit: { max: 1, windowSeconds: 1, maxClients: 1 },
      countInvalidRequests: true,
      verifyFailureLimit: { max: 1, windowSeconds: 1 },
    });
    void twoFa.close();
  });
});

describe('option values are checked by one helper', () => {
  it.each<[string, () => unknown, string]>([
    ['bodyLimit 0', () => createTwoFa({ resolveKey: none, bodyLimit: 0 }), 'bodyLimit must be an integer from 1 to'],
    [
      'a fraction',
      () => createTwoFa({ resolveKey: none, storeTimeoutMs: 1.5 }),
      'storeTimeoutMs must be an integer ≥ 1',
    ],
    [
      'a string',
      () => new MemoryStore({ maxIdentities: '10' as never }),
      'maxIdentities must be an integer ≥ 1, got "10"',
    ],
    ['NaN', () => new RedisStore({ client, timeoutMs: Number.NaN }), 'timeoutMs must be a number ≥ 1, got NaN'],
    ['a negative', () => cachedKeys(none, { negativeTtlMs: -1 }), 'cachedKeys: negativeTtlMs must be an integer ≥ 0'],
    [
      'a flag',
      () => createTwoFa({ resolveKey: none, allowQueryKey: 'no' as never }),
      'allowQueryKey must be true or false, got "no"',
    ],
  ])('%s', (_name, run, message) => {
    const error = configError(run);
    expect(error.message).toContain(message);
    expect(error.code).toBe('ERR_TWOFA_INVALID_OPTION');
  });

  it('checkNumber: absent is the fallback; bounds are inclusive', () => {
    expect(checkNumber('n', undefined, { min: 1 }, 7)).toBe(7);
    expect(checkNumber('n', 1, { min: 1, max: 2 }, 7)).toBe(1);
    expect(checkNumber('n', 2, { min: 1, max: 2 }, 7)).toBe(2);
    expect(checkNumber('n', 0.5, { min: 0, max: 1, integer: false }, 7)).toBe(0.5);
    expect(() => checkNumber('n', 3, { min: 1, max: 2 }, 7)).toThrow('n must be an integer from 1 to 2, got 3');
    expect(() => checkNumber('n', Number.POSITIVE_INFINITY, { min: 0, integer: false }, 7)).toThrow(TwoFaConfigError);
  });
});

describe('the closest name', () => {
  it('counts insertions, deletions, substitutions and adjacent transpositions, ignoring case', () => {
    expect(editDistance('prefx', 'prefix')).toBe(1);
    expect(editDistance('bodylimit', 'bodyLimit')).toBe(0);
    expect(editDistance('windwoSeconds', 'windowSeconds')).toBe(1);
    expect(editDistance('', 'max')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests only a plausible typo', () => {
    expect(closestName('prefx', ['prefix', 'plans'])).toBe('prefix');
    expect(closestName('zzz', ['prefix', 'plans'])).toBeUndefined();
  });
});
