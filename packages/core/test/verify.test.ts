import { staticKeys } from '@twofa-kit/core';
import { type ExtServer, get, postForm, postJson, serve } from '@twofa-kit/testing/http-host';
import { generateSync } from 'otplib';
import { afterEach, describe, expect, it } from 'vitest';

// 20-byte secret (RFC 6238's SHA1 key), so otplib's default 16-byte minimum is no obstacle.
const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const NOW_MS = Date.UTC(2026, 0, 1, 12, 0, 10); // 10 s into a 30 s step
const NOW_S = NOW_MS / 1000;

/** The code of the step `delta` away from now, computed by otplib on its own crypto (noble). */
function otplibCode(
  delta: number,
  opts: { digits?: 6 | 7 | 8; period?: number; algorithm?: 'sha1' | 'sha256' | 'sha512' } = {},
) {
  const period = opts.period ?? 30;
  return generateSync({
    secret: SECRET,
    epoch: NOW_S + delta * period,
    period,
    digits: opts.digits ?? 6,
    algorithm: opts.algorithm ?? 'sha1',
  });
}

let srv: ExtServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

/** 200 pro keys: a check that is not about replay uses a fresh identity, so no replay memory applies. */
const FRESH = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`kpro-${i}`, 'pro']));
let freshCount = 0;
const fresh = () => `kpro-${freshCount++}`;

async function start(keys: Record<string, string> = { kpro: 'pro', kfree: 'free', ...FRESH }) {
  freshCount = 0;
  srv = await serve({ resolveKey: staticKeys(keys), clock: () => NOW_MS });
  return srv;
}

describe('POST /verify', () => {
  it('accepts the codes of the neighbouring steps inside the default window (1) and reports the offset', async () => {
    const s = await start();
    for (const delta of [-1, 0, 1]) {
      const r = await postForm(s.at('/verify'), { secret: SECRET, code: otplibCode(delta) }, fresh());
      expect(r.status).toBe(200);
      expect(r.json).toEqual({
        code: 200,
        message: 'Code checked successfully',
        data: { valid: true, delta, replayed: false },
      });
    }
    for (const delta of [-2, 2, 5]) {
      const r = await postForm(s.at('/verify'), { secret: SECRET, code: otplibCode(delta) }, fresh());
      expect(r.json.data).toEqual({ valid: false, delta: null, replayed: false });
    }
  });

  it('honours window: 0 is the current step only, 3 reaches three steps either side', async () => {
    const s = await start();
    const at = async (delta: number, window: number) =>
      (await postForm(s.at('/verify'), { secret: SECRET, code: otplibCode(delta), window: String(window) }, fresh()))
        .json.data;
    expect(await at(0, 0)).toEqual({ valid: true, delta: 0, replayed: false });
    expect(await at(-1, 0)).toEqual({ valid: false, delta: null, replayed: false });
    expect(await at(-3, 3)).toEqual({ valid: true, delta: -3, replayed: false });
    expect(await at(3, 3)).toEqual({ valid: true, delta: 3, replayed: false });
    expect(await at(4, 3)).toEqual({ valid: false, delta: null, replayed: false });
  });

  it('applies digits, period and algorithm (also from an otpauth URI), in a JSON body too', async () => {
    const s = await start();
    const r = await postJson(
      s.at('/verify'),
      {
        secret: SECRET,
        code: otplibCode(1, { digits: 8, period: 60, algorithm: 'sha512' }),
        digits: 8,
        period: 60,
        algorithm: 'SHA512',
      },
      fresh(),
    );
    expect(r.json.data).toEqual({ valid: true, delta: 1, replayed: false });
    const uri = `otpauth://totp/Acme:alice?secret=${SECRET}&digits=7&algorithm=SHA256&period=45`;
    const code = otplibCode(-1, { digits: 7, period: 45, algorithm: 'sha256' });
    expect((await postForm(s.at('/verify'), { secret: uri, code }, fresh())).json.data).toEqual({
      valid: true,
      delta: -1,
      replayed: false,
    });
    // The same code under the default SHA1 is not a match (the options really apply).
    expect(
      (await postForm(s.at('/verify'), { secret: SECRET, code: otplibCode(0, { algorithm: 'sha256' }) }, fresh())).json
        .data,
    ).toEqual({
      valid: false,
      delta: null,
      replayed: false,
    });
  });

  it('answers 400 INVALID_CODE for a malformed code, never a crash', async () => {
    const s = await start();
    const bad: unknown[] = ['', '12345', '123456789', '12a456', ' 123456', '１２３４５６', '1234567'];
    for (const code of bad) {
      const r = await postJson(s.at('/verify'), { secret: SECRET, code }, fresh());
      expect(r.status, JSON.stringify(code)).toBe(400);
      expect(r.json).toEqual({ code: 400, message: 'Invalid or missing code', data: null });
    }
    // A number (leading zeros lost), an array, an object, a missing code.
    for (const body of [{ code: 123456 }, { code: ['123456'] }, { code: { a: 1 } }, {}]) {
      const r = await postJson(s.at('/verify'), { secret: SECRET, ...body }, fresh());
      expect(r.json.message).toBe('Invalid or missing code');
    }
    // A 7-digit code is malformed when 6 digits are in force, and fine with digits=7.
    const seven = otplibCode(0, { digits: 7 });
    expect((await postForm(s.at('/verify'), { secret: SECRET, code: seven }, fresh())).status).toBe(400);
    expect((await postForm(s.at('/verify'), { secret: SECRET, code: seven, digits: '7' }, fresh())).json.data).toEqual({
      valid: true,
      delta: 0,
      replayed: false,
    });
    // A repeated form field is not a code.
    const res = await fetch(s.at('/verify'), {
      method: 'POST',
      headers: { 'x-api-key': 'kpro', 'content-type': 'application/x-www-form-urlencoded' },
      body: `secret=${SECRET}&code=123456&code=654321`,
    });
    expect(res.status).toBe(400);
  });

  it('bounds window to 0–10 (400 naming the parameter) and checks the secret like generate', async () => {
    const s = await start();
    for (const window of ['11', '-1', '1.5', 'x']) {
      const r = await postForm(s.at('/verify'), { secret: SECRET, code: '123456', window }, fresh());
      expect(r.json).toEqual({ code: 400, message: 'Invalid parameter', data: { parameter: 'window' } });
    }
    expect(
      (await postForm(s.at('/verify'), { secret: SECRET, code: otplibCode(-10), window: '10' }, fresh())).json.data,
    ).toEqual({
      valid: true,
      delta: -10,
      replayed: false,
    });
    expect((await postForm(s.at('/verify'), { secret: 'not base32!', code: '123456' }, fresh())).json.message).toBe(
      'Invalid or missing secret',
    );
    expect((await postForm(s.at('/verify'), { code: '123456' }, fresh())).json.message).toBe(
      'Invalid or missing secret',
    );
  });

  it('counts against the quota together with generate, and is POST only', async () => {
    const s = await start();
    for (let i = 0; i < 3; i++)
      expect((await postForm(s.at('/generate'), { secret: SECRET }, 'kfree')).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const r = await postForm(s.at('/verify'), { secret: SECRET, code: '000000' }, 'kfree');
      expect(r.status).toBe(200);
      expect(r.headers.get('ratelimit')).toBe(`"minute";r=${1 - i};t=50, "hour";r=${96 - i};t=3590`);
    }
    const refused = await postForm(s.at('/verify'), { secret: SECRET, code: otplibCode(0) }, 'kfree');
    expect(refused.status).toBe(429);
    expect(refused.json).toEqual({ code: 429, message: 'Rate limit exceeded', data: { retry_after: 50 } });
    const viaGet = await get(`${s.at('/verify')}?secret=${SECRET}&code=123456`, fresh());
    expect(viaGet.status).toBe(405);
    expect(viaGet.headers.get('allow')).toBe('POST');
  });

  it('authenticates before reading the body', async () => {
    const s = await start();
    const r = await postForm(s.at('/verify'), { secret: 'not base32!', code: 'x' }, 'wrong');
    expect(r.json).toEqual({ code: 401, message: 'Invalid or missing API key', data: null });
  });
});
