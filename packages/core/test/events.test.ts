import { hashKey, type Identity, type TwoFaEvent } from '@twofa-kit/core';
import { type ExtServer, get, postForm, postJson, serve } from '@twofa-kit/testing/http-host';
import { generateSync } from 'otplib';
import { afterEach, describe, expect, it } from 'vitest';

const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const RAW_KEY = 'tfk_live_Zq8uV3xRk2';
const NOW_MS = Date.UTC(2026, 0, 1, 12, 0, 10);

let srv: ExtServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

/** JSON of an event including what JSON.stringify hides in errors (message, stack, cause). */
function dump(event: TwoFaEvent): string {
  return JSON.stringify(event, (_k, v: unknown) =>
    v instanceof Error ? { ...v, name: v.name, message: v.message, stack: v.stack, cause: v.cause } : v,
  );
}

describe('onEvent', () => {
  it('reports every outcome with route, status, identity id and timing — never the secret, the code or the raw key', async () => {
    const events: TwoFaEvent[] = [];
    const identities: Record<string, Identity> = { [RAW_KEY]: { id: 'u-7', plan: 'free' } };
    srv = await serve({
      resolveKey: (key) => {
        if (key === 'explode') throw new Error('store exploded');
        if (key === 'hang') return new Promise<never>(() => {});
        return identities[key] ?? null;
      },
      keyLookupTimeoutMs: 20,
      clock: () => NOW_MS,
      authFailureLimit: { max: 2 },
      onEvent: (e) => events.push(e),
    });
    const code = generateSync({ secret: SECRET, epoch: NOW_MS / 1000 });
    const g = await postForm(srv.at('/generate'), { secret: SECRET }, RAW_KEY);
    expect((g.json.data as { code: string }).code).toBe(code);
    await postForm(srv.at('/verify'), { secret: SECRET, code }, RAW_KEY);
    await postJson(srv.at('/verify'), { secret: SECRET, code: code === '000000' ? '111111' : '000000' }, RAW_KEY);
    await postForm(srv.at('/verify'), { secret: SECRET, code: '12' }, RAW_KEY);
    await get(srv.at('/usage'), RAW_KEY);
    await get(srv.at('/openapi.json'));
    await postForm(srv.at('/generate'), { secret: SECRET }, RAW_KEY); // 5th consuming request
    await postForm(srv.at('/generate'), { secret: SECRET }, RAW_KEY); // 429
    await get(srv.at('/nope'), RAW_KEY);
    await postForm(srv.at('/generate'), { secret: SECRET }, 'explode'); // 500
    await postForm(srv.at('/generate'), { secret: SECRET }, 'hang'); // 503
    await postForm(srv.at('/generate'), { secret: SECRET }, `${RAW_KEY}x`); // 401
    await postForm(srv.at('/generate'), { secret: SECRET }, 'wrong'); // 401
    await postForm(srv.at('/generate'), { secret: SECRET }, RAW_KEY); // 429 auth failures

    expect(events.map((e) => [e.type, e.route, e.status, e.identityId, e.kind ?? null])).toEqual([
      ['generated', 'generate', 200, 'u-7', null],
      ['verified', 'verify', 200, 'u-7', null],
      ['verified', 'verify', 200, 'u-7', null],
      ['rejected', 'verify', 400, 'u-7', 'INVALID_CODE'],
      ['usage', 'usage', 200, 'u-7', null],
      ['openapi', 'openapi', 200, null, null],
      ['generated', 'generate', 200, 'u-7', null],
      ['rate_limited', 'generate', 429, 'u-7', 'RATE_LIMITED'],
      ['rejected', null, 404, null, 'NOT_FOUND'],
      ['error', 'generate', 500, null, 'INTERNAL'],
      ['error', 'generate', 503, null, 'UNAVAILABLE'],
      ['unauthorized', 'generate', 401, null, 'UNAUTHORIZED'],
      ['unauthorized', 'generate', 401, null, 'UNAUTHORIZED'],
      ['rate_limited', 'generate', 429, null, 'TOO_MANY_AUTH_FAILURES'],
    ]);
    expect(events.filter((e) => e.type === 'verified').map((e) => e.valid)).toEqual([true, false]);
    // The plan and the limiter's decision, with the windows it answered (free: minute and hour).
    expect(events.map((e) => [e.plan, e.limiter ?? null, e.windows?.map((w) => w.remaining) ?? null])).toEqual([
      ['free', 'admitted', [4, 99]],
      ['free', 'admitted', [3, 98]],
      ['free', 'admitted', [2, 97]],
      ['free', 'admitted', [1, 96]],
      ['free', 'peeked', [1, 96]],
      [null, null, null],
      ['free', 'admitted', [0, 95]],
      ['free', 'refused', [0, 95]],
      [null, null, null],
      [null, null, null],
      [null, null, null],
      [null, null, null],
      [null, null, null],
      [null, null, null],
    ]);
    for (const e of events) {
      expect(e.durationMs).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(e.durationMs)).toBe(true);
      const text = dump(e);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(code);
      expect(text).not.toContain(RAW_KEY);
      expect(text).not.toContain(hashKey(RAW_KEY)); // not even the digest
    }
    // Errors carry the cause for the host's logs.
    expect(dump(events.find((e) => e.status === 500) as TwoFaEvent)).toContain('store exploded');
  });

  it('a listener that throws does not change the response', async () => {
    srv = await serve({
      resolveKey: () => ({ id: 'u', plan: 'pro' }),
      onEvent: () => {
        throw new Error('listener bug');
      },
    });
    expect((await postForm(srv.at('/generate'), { secret: SECRET }, 'k')).status).toBe(200);
  });
});
