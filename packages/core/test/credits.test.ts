import { Readable } from 'node:stream';
import {
  createTwoFa,
  type Identity,
  MemoryStore,
  staticKeys,
  TwoFaConfigError,
  type TwoFaEvent,
  type TwoFaOptions,
} from '@twofa-kit/core';
import { openApiDocument, openApiSettings } from '@twofa-kit/core/openapi';
import { type ExtServer, postForm, serve } from '@twofa-kit/testing/http-host';
import { afterEach, describe, expect, it } from 'vitest';

const SECRET = 'JBSWY3DPEHPK3PXP';
const KEYS: Record<string, Identity> = {
  kbig: { id: 'u-big', plan: 'big' },
  kminute: { id: 'u-minute', plan: 'minute600' },
  kprepaid: { id: 'u-prepaid', plan: 'big', credits: true },
  kexempt: { id: 'u-exempt', plan: 'big', credits: false },
};
const PLANS = { big: { minute: 1_000_000 }, minute600: { minute: 600 } };

let srv: ExtServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

/** A server on a memory store the test holds (to top up), its clock fixed 15 s into a minute. */
async function start(extra: Partial<TwoFaOptions> = {}) {
  const now = Date.UTC(2026, 0, 1, 12, 0, 15, 250);
  const store = new MemoryStore({ clock: () => now });
  srv = await serve({ resolveKey: staticKeys(KEYS), plans: PLANS, clock: () => now, store, ...extra });
  return { s: srv, store };
}

/**
 * `total` generate requests for `key`, all in flight at once through the kit's request pipeline,
 * each with a body that arrives later (a stream), so the requests interleave; their statuses.
 */
async function flood(s: ExtServer, key: string, total: number): Promise<number[]> {
  const request = () =>
    s.kit.handle({
      method: 'POST',
      path: '/generate',
      rawQuery: '',
      headers: { 'x-api-key': key, 'content-type': 'application/x-www-form-urlencoded' },
      body: { kind: 'stream', stream: Readable.from(slowBody()) },
    });
  const answers = await Promise.all(Array.from({ length: total }, request));
  return answers.map((a) => a.status);
}

async function* slowBody() {
  await new Promise((resolve) => setImmediate(resolve));
  yield Buffer.from(`secret=${SECRET}`);
}

const count = (xs: number[], x: number) => xs.filter((y) => y === x).length;

/**
 * 10,000 requests with `key` for the identity `id`, topped up with 1,000 credits: `admitted` are
 * answered 200, the others `refused`, and `left` credits remain.
 */
async function floodCredits(id: string, key: string, expected: { admitted: number; refused: number; left: number }) {
  const { s, store } = await start();
  store.topUp(id, 1_000, 'start');
  const statuses = await flood(s, key, 10_000);
  expect(count(statuses, 200)).toBe(expected.admitted);
  expect(count(statuses, expected.refused)).toBe(10_000 - expected.admitted);
  expect(store.balance(id)).toBe(expected.left);
}

describe('prepaid credits on the memory store (one process, concurrent requests)', () => {
  it('10,000 requests against a balance of 1,000: exactly 1,000 admitted, the rest 402, never below zero', async () => {
    await floodCredits('u-big', 'kbig', { admitted: 1_000, refused: 402, left: 0 });
  }, 60_000);

  it('the same with a minute window of 600 that runs out first: 429s charge nothing', async () => {
    await floodCredits('u-minute', 'kminute', { admitted: 600, refused: 429, left: 400 });
  }, 60_000);
});

describe('prepaid credits in the pipeline', () => {
  it('an identity marked credits: true pays without a record; credits: false never pays', async () => {
    const { s, store } = await start();
    const refused = await postForm(s.at('/generate'), { secret: SECRET }, 'kprepaid');
    expect(refused.status).toBe(402);
    expect(refused.json).toEqual({ code: 402, message: 'Insufficient credits', data: { balance: 0, cost: 1 } });
    store.topUp('u-exempt', 1, 'p');
    for (let i = 0; i < 3; i++)
      expect((await postForm(s.at('/generate'), { secret: SECRET }, 'kexempt')).status).toBe(200);
    expect(store.balance('u-exempt')).toBe(1);
  });

  it('countInvalidRequests: false: 402 before the body is read, and an invalid request charges nothing', async () => {
    const { s, store } = await start({ countInvalidRequests: false });
    store.topUp('u-big', 1, 'p');
    expect((await postForm(s.at('/generate'), { secret: 'bad!' }, 'kbig')).status).toBe(400);
    expect(store.balance('u-big')).toBe(1);
    expect((await postForm(s.at('/generate'), { secret: SECRET }, 'kbig')).status).toBe(200);
    expect((await postForm(s.at('/generate'), { secret: 'bad!' }, 'kbig')).status).toBe(402);
    expect(store.balance('u-big')).toBe(0);
  });

  it('a plan without limited windows still pays by credits', async () => {
    const store = new MemoryStore();
    const events: TwoFaEvent[] = [];
    const open = await serve({
      resolveKey: () => ({ id: 'u-open', plan: 'open' }),
      plans: { open: {} },
      store,
      onEvent: (e) => events.push(e),
    });
    srv = open;
    store.topUp('u-open', 1, 'p');
    const ok = await postForm(open.at('/generate'), { secret: SECRET }, 'any');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('ratelimit')).toBeNull();
    expect((await postForm(open.at('/generate'), { secret: SECRET }, 'any')).status).toBe(402);
    expect(events.map((e) => [e.type, e.status, e.limiter, e.kind])).toEqual([
      ['generated', 200, 'admitted', undefined],
      ['rejected', 402, 'refused', 'INSUFFICIENT_CREDITS'],
    ]);
  });

  it('options are checked at construction', () => {
    const base = { resolveKey: () => null };
    expect(() => createTwoFa({ ...base, costs: { generate: -1 } })).toThrow(
      /costs.generate must be an integer ≥ 0, got -1/,
    );
    expect(() => createTwoFa({ ...base, costs: { usage: 1 } })).toThrow(
      /costs.usage must be an integer from 0 to 0 \(the usage route counts no quota\)/,
    );
    expect(() => createTwoFa({ ...base, costs: { openapi: 1 } as never })).toThrow(/unknown option "openapi" in costs/);
    expect(() => createTwoFa({ ...base, credits: { lowBalance: 1.5 } })).toThrow(TwoFaConfigError);
    expect(() => createTwoFa({ ...base, credits: { lowBalence: 5 } as never })).toThrow(/did you mean "lowBalance"/);
    expect(() => createTwoFa({ ...base, credit: {} } as never)).toThrow(/did you mean "credits"/);
    const noCredits = { consume: () => ({ allowed: true, windows: [], retryAfterMs: 0 }), name: 'x' };
    const store = { ...noCredits, peek: noCredits.consume };
    expect(() => createTwoFa({ ...base, store, credits: { required: true } })).toThrow(
      /needs a store that keeps credits/,
    );
    expect(createTwoFa({ ...base, store }).config.credits).toBe(false);
  });

  it('OpenAPI: 402 with {balance, cost} on the routes that cost, none on /usage; costs 0 leaves it out', () => {
    const doc = (options: Partial<TwoFaOptions>) => {
      const kit = createTwoFa({ resolveKey: () => null, ...options });
      return openApiDocument(kit.routes, openApiSettings(kit.config)) as {
        paths: Record<string, Record<string, { responses: Record<string, { content: unknown }> }>>;
      };
    };
    const on = doc({});
    expect(Object.keys(on.paths['/api/2fa/generate']?.post?.responses ?? {})).toContain('402');
    expect(Object.keys(on.paths['/api/2fa/verify']?.post?.responses ?? {})).toContain('402');
    expect(Object.keys(on.paths['/api/2fa/usage']?.get?.responses ?? {})).not.toContain('402');
    expect(JSON.stringify(on.paths['/api/2fa/generate']?.post?.responses['402'])).toContain(
      '"required":["balance","cost"]',
    );
    const free = doc({ costs: { verify: 0 } });
    expect(Object.keys(free.paths['/api/2fa/verify']?.post?.responses ?? {})).not.toContain('402');
  });
});
