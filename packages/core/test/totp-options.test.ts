import { encodeBase32, staticKeys, TOTP_BOUNDS } from '@twofa-kit/core';
import { type ExtServer, get, postForm, postJson, serve } from '@twofa-kit/testing/http-host';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// RFC 6238 appendix B: the keys, and the 8-digit codes at each time.
const KEYS = {
  SHA1: encodeBase32(Buffer.from('12345678901234567890')),
  SHA256: encodeBase32(Buffer.from('12345678901234567890123456789012')),
  SHA512: encodeBase32(Buffer.from('1234567890123456789012345678901234567890123456789012345678901234')),
} as const;
const VECTORS: [number, Record<keyof typeof KEYS, string>][] = [
  [59, { SHA1: '94287082', SHA256: '46119246', SHA512: '90693936' }],
  [1111111109, { SHA1: '07081804', SHA256: '68084774', SHA512: '25091201' }],
  [1111111111, { SHA1: '14050471', SHA256: '67062674', SHA512: '99943326' }],
  [1234567890, { SHA1: '89005924', SHA256: '91819424', SHA512: '93441116' }],
  [2000000000, { SHA1: '69279037', SHA256: '90698825', SHA512: '38618901' }],
  [20000000000, { SHA1: '65353130', SHA256: '77737706', SHA512: '47863826' }],
];

const clock = { now: 0 };
let srv: ExtServer;
beforeAll(async () => {
  srv = await serve({
    resolveKey: staticKeys({ k: { id: 'u', plan: 'free', limits: { minute: null, hour: null } } }),
    clock: () => clock.now,
  });
});
afterAll(() => srv.close());

const generate = (fields: Record<string, string>) => postForm(srv.at('/generate'), fields, 'k');

describe('TOTP options on generate: RFC 6238 vectors', () => {
  for (const [time, codes] of VECTORS) {
    for (const algorithm of ['SHA1', 'SHA256', 'SHA512'] as const) {
      it(`${algorithm} at T=${time}`, async () => {
        clock.now = time * 1000;
        const r = await generate({ secret: KEYS[algorithm], digits: '8', algorithm });
        expect(r.status).toBe(200);
        expect(r.json.data).toMatchObject({ code: codes[algorithm], timestamp: time });
        // The same through an otpauth URI, and through the query string of a GET.
        const uri = `otpauth://totp/RFC:6238?secret=${KEYS[algorithm]}&digits=8&algorithm=${algorithm}&period=30`;
        expect((await generate({ secret: uri })).json.data).toMatchObject({ code: codes[algorithm] });
        const viaGet = await get(
          `${srv.at('/generate')}?secret=${KEYS[algorithm]}&digits=8&algorithm=${algorithm.toLowerCase()}`,
          'k',
        );
        expect(viaGet.json.data).toMatchObject({ code: codes[algorithm] });
      });
    }
  }

  it('period changes the step and remaining_time', async () => {
    clock.now = 1111111109_000;
    const r = await generate({ secret: KEYS.SHA1, digits: '8', period: '60' });
    // T=1111111109 with a 60 s step is counter 18518518, the 30 s step 37037036 code is different.
    expect(r.json.data).toMatchObject({
      remaining_time: 60 - (1111111109 % 60),
      valid_until: 1111111109 + 60 - (1111111109 % 60),
    });
    expect((r.json.data as { code: string }).code).not.toBe('07081804');
    const sixty = await generate({ secret: `otpauth://totp/x?secret=${KEYS.SHA1}&period=60&digits=8` });
    expect(sixty.json.data).toEqual(r.json.data);
  });
});

describe('otpauth URIs and explicit parameters', () => {
  const uri = `otpauth://totp/Acme:alice@example.com?secret=${KEYS.SHA256}&issuer=Acme&algorithm=SHA256&digits=8&period=30`;

  it('an explicit parameter equal to the URI is fine; a different one is a 400 naming it', async () => {
    clock.now = 59_000;
    expect((await generate({ secret: uri, digits: '8', algorithm: 'sha256', period: '30' })).json.data).toMatchObject({
      code: '46119246',
    });
    for (const [name, value] of [
      ['digits', '6'],
      ['algorithm', 'SHA1'],
      ['period', '60'],
    ] as const) {
      const r = await generate({ secret: uri, [name]: value });
      expect(r.json, name).toEqual({ code: 400, message: 'Invalid parameter', data: { parameter: name } });
    }
    // JSON numbers work as well as strings, and are checked the same way.
    expect((await postJson(srv.at('/generate'), { secret: uri, digits: 8 }, 'k')).status).toBe(200);
    expect((await postJson(srv.at('/generate'), { secret: uri, digits: 7 }, 'k')).json.data).toEqual({
      parameter: 'digits',
    });
  });

  it('rejects out-of-range values inside the URI, and URIs that are not TOTP', async () => {
    const base = `otpauth://totp/x?secret=${KEYS.SHA1}`;
    expect((await generate({ secret: `${base}&digits=9` })).json.data).toEqual({ parameter: 'digits' });
    expect((await generate({ secret: `${base}&period=0` })).json.data).toEqual({ parameter: 'period' });
    expect((await generate({ secret: `${base}&algorithm=MD5` })).json.data).toEqual({ parameter: 'algorithm' });
    expect((await generate({ secret: `${base}&digits=6&digits=8` })).json.data).toEqual({ parameter: 'digits' });
    for (const bad of [
      `otpauth://hotp/x?secret=${KEYS.SHA1}&counter=1`,
      'otpauth://totp/x',
      'otpauth://totp/x?secret=not*base32',
      'otpauth://',
    ]) {
      expect((await generate({ secret: bad })).json, bad).toEqual({
        code: 400,
        message: 'Invalid or missing secret',
        data: null,
      });
    }
  });
});

describe('bounds (documented in TOTP_BOUNDS)', () => {
  it('digits 6–8, period 1–3600, algorithm SHA1/SHA256/SHA512; anything else is a 400 naming the parameter', async () => {
    expect(TOTP_BOUNDS).toMatchObject({ digits: { min: 6, max: 8 }, period: { min: 1, max: 3600 } });
    clock.now = 59_000;
    for (const digits of ['6', '7', '8']) {
      const r = await generate({ secret: KEYS.SHA1, digits });
      expect((r.json.data as { code: string }).code).toHaveLength(Number(digits));
    }
    expect((await generate({ secret: KEYS.SHA1, period: '1' })).json.data).toMatchObject({ remaining_time: 1 });
    expect((await generate({ secret: KEYS.SHA1, period: '3600' })).json.data).toMatchObject({ remaining_time: 3541 });
    const bad: [string, string][] = [
      ['digits', '5'],
      ['digits', '9'],
      ['digits', 'six'],
      ['period', '0'],
      ['period', '3601'],
      ['period', '-30'],
      ['period', '30.5'],
      ['algorithm', 'MD5'],
      ['algorithm', 'SHA-1'],
      ['algorithm', ''],
    ];
    for (const [name, value] of bad) {
      const r = await generate({ secret: KEYS.SHA1, [name]: value });
      expect(r.json, `${name}=${value}`).toEqual({
        code: 400,
        message: 'Invalid parameter',
        data: { parameter: name },
      });
    }
  });
});
