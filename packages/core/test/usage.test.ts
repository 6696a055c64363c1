import { type Identity, staticKeys } from '@twofa-kit/core';
import { type ExtServer, get, postForm, serve } from '@twofa-kit/testing/http-host';
import { afterEach, describe, expect, it } from 'vitest';

const SECRET = 'JBSWY3DPEHPK3PXP';
let srv: ExtServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

const KEYS: Record<string, Identity> = {
  kfree: { id: 'u-free', plan: 'free' },
  kpro: { id: 'u-pro', plan: 'pro' },
  ktiny: { id: 'u-tiny', plan: 'pro', limits: { minute: 2, day: null } },
  kopen: { id: 'u-open', plan: 'free', limits: { minute: null, hour: null } },
  kmonth: { id: 'u-month', plan: 'pro', limits: { month: 3 } },
};

async function start() {
  const clock = { now: Date.UTC(2026, 0, 1, 12, 0, 15, 250) }; // 12:00:15.250
  srv = await serve({ resolveKey: staticKeys(KEYS), clock: () => clock.now });
  return { s: srv, clock };
}

/** A window of a usage answer as `[limit, remaining, reset]`, or `null` for an unlimited one. */
type UsageWindow = readonly [limit: number, remaining: number, reset: number] | null;

/** The `data` of a `/usage` answer: the plan, and each window's `{ limit, remaining, reset }` (all `null` when unlimited). */
function usageData(plan: string, minute: UsageWindow, hour: UsageWindow, day: UsageWindow, month: UsageWindow) {
  const window = (w: UsageWindow) =>
    w === null ? { limit: null, remaining: null, reset: null } : { limit: w[0], remaining: w[1], reset: w[2] };
  return { plan, limits: { minute: window(minute), hour: window(hour), day: window(day), month: window(month) } };
}

/** Parses `"minute";r=29;t=31, ...` into { minute: { remaining, reset } }. */
function parseRateLimit(header: string | null) {
  const out: Record<string, { remaining: number; reset: number }> = {};
  for (const item of (header ?? '').split(', ').filter(Boolean)) {
    const m = /^"(\w+)";r=(\d+);t=(\d+)$/.exec(item);
    if (m === null) throw new Error(`bad RateLimit item ${item}`);
    out[m[1] as string] = { remaining: Number(m[2]), reset: Number(m[3]) };
  }
  return out;
}
function parsePolicy(header: string | null) {
  const out: Record<string, number> = {};
  for (const item of (header ?? '').split(', ').filter(Boolean)) {
    const m = /^"(\w+)";q=(\d+);w=(\d+)$/.exec(item);
    if (m === null) throw new Error(`bad RateLimit-Policy item ${item}`);
    out[m[1] as string] = Number(m[2]);
  }
  return out;
}

describe('GET /usage', () => {
  it("shows the plan and per-window limit/remaining/reset, the same numbers as the response's RateLimit headers", async () => {
    const { s } = await start();
    for (let i = 0; i < 2; i++) await postForm(s.at('/generate'), { secret: SECRET }, 'kpro');
    const r = await get(s.at('/usage'), 'kpro');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      code: 200,
      message: 'Usage retrieved successfully',
      data: usageData('pro', [30, 28, 45], [1000, 998, 3585], [10000, 9998, 43185], null),
    });
    const headers = parseRateLimit(r.headers.get('ratelimit'));
    const policy = parsePolicy(r.headers.get('ratelimit-policy'));
    const limits = (r.json.data as { limits: Record<string, { limit: number; remaining: number; reset: number }> })
      .limits;
    for (const [name, w] of Object.entries(limits)) {
      if (w.limit === null) {
        expect(headers[name]).toBeUndefined();
        continue;
      }
      expect(headers[name]).toEqual({ remaining: w.remaining, reset: w.reset });
      expect(policy[name]).toBe(w.limit);
    }
  });

  it('consumes nothing, and still answers when the quota is used up', async () => {
    const { s, clock } = await start();
    for (let i = 0; i < 10; i++) expect((await get(s.at('/usage'), 'kfree')).status).toBe(200);
    for (let i = 0; i < 5; i++)
      expect((await postForm(s.at('/generate'), { secret: SECRET }, 'kfree')).status).toBe(200);
    expect((await postForm(s.at('/generate'), { secret: SECRET }, 'kfree')).status).toBe(429);
    clock.now += 5_000;
    const r = await get(s.at('/usage'), 'kfree');
    expect(r.status).toBe(200);
    expect(r.json.data).toEqual(usageData('free', [5, 0, 40], [100, 95, 3580], null, null));
    expect(r.headers.get('ratelimit')).toBe('"minute";r=0;t=40, "hour";r=95;t=3580');
  });

  it('reflects per-key overrides; a key with no limited window shows all null and no RateLimit headers', async () => {
    const { s } = await start();
    const tiny = await get(s.at('/usage'), 'ktiny');
    expect(tiny.json.data).toEqual(usageData('pro', [2, 2, 45], [1000, 1000, 3585], null, null));
    const open = await get(s.at('/usage'), 'kopen');
    expect(open.json.data).toEqual(usageData('free', null, null, null, null));
    expect(open.headers.get('ratelimit')).toBeNull();
  });

  it('shows the month: the UTC calendar month, its reset at the next 1st 00:00 UTC', async () => {
    const { s, clock } = await start(); // 2026-01-01 12:00:15.250: January has 31 days
    await postForm(s.at('/generate'), { secret: SECRET }, 'kmonth');
    const r = await get(s.at('/usage'), 'kmonth');
    const untilFeb = (Date.UTC(2026, 1, 1) - clock.now) / 1000; // 30 days 11:59:44.75
    expect((r.json.data as { limits: unknown }).limits).toMatchObject({
      month: { limit: 3, remaining: 2, reset: Math.ceil(untilFeb) },
    });
    expect(r.headers.get('ratelimit-policy')).toBe(
      '"minute";q=30;w=60, "hour";q=1000;w=3600, "day";q=10000;w=86400, "month";q=3;w=2678400',
    );
    expect(r.headers.get('ratelimit')).toMatch(/, "month";r=2;t=2635185$/);
    // In February the month is 28 days long, and starts again from its limit.
    clock.now = Date.UTC(2026, 1, 10);
    const feb = await get(s.at('/usage'), 'kmonth');
    expect(feb.headers.get('ratelimit-policy')).toMatch(/, "month";q=3;w=2419200$/);
    expect(feb.headers.get('ratelimit')).toMatch(/, "month";r=3;t=1641600$/);
  });

  it('needs a key, and is GET only', async () => {
    const { s } = await start();
    expect((await get(s.at('/usage'))).json).toEqual({ code: 401, message: 'Invalid or missing API key', data: null });
    expect((await get(`${s.at('/usage')}?api_key=kpro`)).json.data).toMatchObject({ plan: 'pro' });
    const post = await postForm(s.at('/usage'), {}, 'kpro');
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});
