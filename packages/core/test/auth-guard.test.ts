import {
  clientBucket,
  createTwoFa,
  type Identity,
  staticKeys,
  TwoFaConfigError,
  type TwoFaOptions,
} from '@twofa-kit/core';
import { type ExtServer, get, serve } from '@twofa-kit/testing/http-host';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthGuard } from '../src/keys/auth-guard.js';

const START = Date.UTC(2026, 0, 1, 12, 0, 20); // 40 s before the minute ends
let srv: ExtServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

/** Serves the kit on a clock that starts at START; `usage` is the URL the tests knock on. */
async function serveAt(options: Omit<TwoFaOptions, 'clock'>) {
  const clock = { now: START };
  srv = await serve({ ...options, clock: () => clock.now });
  return { clock, usage: srv.at('/usage') };
}

const as = (ip: string) => ({ 'x-test-client-ip': ip });

describe('failed-auth guard', () => {
  it('after 20 failures in a minute, one address gets 429 TOO_MANY_AUTH_FAILURES before the store is asked — even with a valid key', async () => {
    let lookups = 0;
    const keys = staticKeys({ good: { id: 'u1', plan: 'ultra' } });
    const { clock, usage } = await serveAt({
      resolveKey: (k) => {
        lookups++;
        return keys(k);
      },
    });
    for (let i = 0; i < 20; i++) expect((await get(usage, `guess-${i}`, as('203.0.113.7'))).status).toBe(401);
    expect(lookups).toBe(20);
    const blocked = await get(usage, 'guess-20', as('203.0.113.7'));
    expect(blocked.status).toBe(429);
    expect(blocked.json).toEqual({
      code: 429,
      message: 'Too many failed authentication attempts',
      data: { retry_after: 40 },
    });
    expect(blocked.headers.get('retry-after')).toBe('40');
    expect((await get(usage, 'good', as('203.0.113.7'))).status).toBe(429);
    expect(lookups).toBe(20); // the store was not consulted for either
    // Missing keys count too; other addresses are unaffected.
    expect((await get(usage, undefined, as('203.0.113.7'))).status).toBe(429);
    expect((await get(usage, 'good', as('198.51.100.1'))).status).toBe(200);
    // The next window admits again.
    clock.now = START + 40_000;
    expect((await get(usage, 'good', as('203.0.113.7'))).status).toBe(200);
  });

  it('successes do not reset the count, and do not count', async () => {
    const { usage } = await serveAt({
      resolveKey: staticKeys({ good: 'ultra' }),
      authFailureLimit: { max: 3 },
    });
    for (let i = 0; i < 2; i++) expect((await get(usage, 'bad', as('192.0.2.1'))).status).toBe(401);
    for (let i = 0; i < 10; i++) expect((await get(usage, 'good', as('192.0.2.1'))).status).toBe(200);
    expect((await get(usage, 'bad', as('192.0.2.1'))).status).toBe(401);
    expect((await get(usage, 'good', as('192.0.2.1'))).status).toBe(429);
  });

  /**
   * Sends `n` concurrent requests to a store that holds every lookup until `openAt` lookups are
   * waiting in it (or each request has either reached the store or been answered without it), so
   * they really overlap; later lookups pass straight through.
   */
  async function burst(n: number, answer: Identity | null, max: number, keyOf: (i: number) => string, openAt = n) {
    let lookups = 0;
    let answeredEarly = 0;
    let open!: () => void;
    const opened = new Promise<void>((r) => {
      open = r;
    });
    const check = () => {
      if (lookups >= openAt || lookups + answeredEarly === n) open();
    };
    srv = await serve({
      resolveKey: async () => {
        lookups++;
        check();
        await opened;
        return answer;
      },
      authFailureLimit: { max },
    });
    const usage = srv.at('/usage');
    const answers = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        get(usage, keyOf(i), as('192.0.2.9')).then((a) => {
          if (a.status === 429) {
            answeredEarly++;
            check();
          }
          return a;
        }),
      ),
    );
    return { lookups, statuses: answers.map((a) => a.status) };
  }

  it('a burst of concurrent guesses against a slow store cannot overshoot the limit', async () => {
    const { lookups, statuses } = await burst(40, null, 5, (i) => `guess-${i}`, 5);
    expect(lookups).toBe(5);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(35);
  });

  it('many concurrent requests with one valid key from one address are not mistaken for guessing', async () => {
    const { lookups, statuses } = await burst(50, { id: 'busy', plan: 'ultra' }, 2, () => 'k');
    expect(lookups).toBe(50);
    expect(statuses).toEqual(Array(50).fill(200));
  });

  it('many users behind one address with distinct valid keys are queued, never refused', async () => {
    const { lookups, statuses } = await burst(100, { id: 'nat', plan: 'ultra' }, 20, (i) => `user-${i}`, 20);
    expect(lookups).toBe(100);
    expect(statuses).toEqual(Array(100).fill(200));
  });

  it('a store failure is not counted as the client failing', async () => {
    srv = await serve({
      resolveKey: () => {
        throw new Error('db down');
      },
      authFailureLimit: { max: 1 },
    });
    for (let i = 0; i < 3; i++) expect((await get(srv.at('/usage'), 'k', as('192.0.2.11'))).status).toBe(500);
  });

  it('is off with authFailureLimit: false; requests without an address share one bucket', async () => {
    srv = await serve({ resolveKey: () => null, authFailureLimit: false });
    for (let i = 0; i < 30; i++) expect((await get(srv.at('/usage'), 'x', as('192.0.2.12'))).status).toBe(401);
    const kit = createTwoFa({ resolveKey: () => null, authFailureLimit: { max: 2 } });
    const call = (ip?: string) =>
      kit.handle({
        method: 'GET',
        path: '/usage',
        rawQuery: '',
        headers: { 'x-api-key': 'x' },
        body: { kind: 'none' },
        ip,
      });
    expect((await call()).status).toBe(401);
    expect((await call('')).status).toBe(401);
    expect((await call()).status).toBe(429);
    expect((await call('192.0.2.13')).status).toBe(401);
  });

  it('buckets IPv6 clients by /64 and IPv4-mapped addresses as IPv4', () => {
    expect(clientBucket('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientBucket('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(clientBucket('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientBucket('::1')).toBe('0:0:0:0::/64');
    expect(clientBucket('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(clientBucket('192.0.2.1')).toBe('192.0.2.1');
    expect(clientBucket(undefined)).toBe('unknown');
  });

  it('counts an IPv6 client in its /64, /56 and /48 together: rotating through a prefix does not reset the count', async () => {
    const { clock, usage } = await serveAt({ resolveKey: () => null, authFailureLimit: { max: 2 } });
    // A new /64 per request, all in one /56: the /56 budget (4 × 2) runs out.
    for (let i = 0; i < 8; i++) expect((await get(usage, 'x', as(`2001:db8:1:${i}::1`))).status).toBe(401);
    expect((await get(usage, 'x', as('2001:db8:1:9::1'))).status).toBe(429);
    // Another /56 of the same /48 still has room, until the /48 budget (16 × 2) runs out.
    let answered401 = 0;
    for (let n = 1; n <= 7; n++) {
      for (let i = 0; i < 4; i++) {
        const status = (await get(usage, 'x', as(`2001:db8:1:${(n * 0x100 + i).toString(16)}::1`))).status;
        if (status === 401) answered401++;
      }
    }
    expect(answered401).toBe(16 * 2 - 8);
    expect((await get(usage, 'x', as('2001:db8:1:ff00::1'))).status).toBe(429);
    // Another /48 is unaffected.
    expect((await get(usage, 'x', as('2001:db8:2::1'))).status).toBe(401);
    clock.now = START + 40_000;
    expect((await get(usage, 'x', as('2001:db8:1:9::1'))).status).toBe(401);
  });

  it('a full table never forgets a counting client, and counts each client past it on its own', async () => {
    const { clock, usage } = await serveAt({
      resolveKey: () => null,
      authFailureLimit: { max: 2, maxClients: 3 },
    });
    for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) expect((await get(usage, 'x', as(ip))).status).toBe(401);
    expect((await get(usage, 'x', as('192.0.2.1'))).status).toBe(401);
    // A flood of fresh addresses past the table: each counted in the sketch, never evicting
    // 192.0.2.1, never sharing one budget.
    for (let i = 1; i < 20; i++) expect((await get(usage, 'x', as(`198.51.100.${i}`))).status).toBe(401);
    for (let i = 1; i < 20; i++) expect((await get(usage, 'x', as(`198.51.100.${i}`))).status).toBe(401);
    for (let i = 1; i < 20; i++) expect((await get(usage, 'x', as(`198.51.100.${i}`))).status).toBe(429);
    expect((await get(usage, 'x', as('192.0.2.1'))).status).toBe(429); // still counted: 2 of 2
    expect((await get(usage, 'x', as('192.0.2.2'))).status).toBe(401); // its own bucket: 2 of 2 now
    expect((await get(usage, 'x', as('192.0.2.2'))).status).toBe(429);
    expect((await get(usage, 'x', as('203.0.113.1'))).status).toBe(401); // a newcomer has its own budget
    // The next window sweeps the past one's buckets and the sketch: room again.
    clock.now = START + 40_000;
    expect((await get(usage, 'x', as('198.51.100.1'))).status).toBe(401);
    expect((await get(usage, 'x', as('198.51.100.1'))).status).toBe(401);
  });

  it('10,000 addresses failing once fill the table; a fresh valid key from a new address still gets 200', async () => {
    const keys = staticKeys({ good: { id: 'u1', plan: 'ultra' }, other: { id: 'u2', plan: 'ultra' } });
    const { usage } = await serveAt({ resolveKey: keys }); // the defaults: 20 a minute, 10,000 buckets
    const v4 = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    // The fill through the core itself (as the adapters call it; 31,000 requests over HTTP would
    // only be slow), the check over HTTP.
    const kit = (srv as ExtServer).kit;
    const fail = async (from: number, to: number, times = 1) => {
      for (let i = from; i < to; i++) {
        for (let t = 0; t < times; t++) {
          const res = await kit.respond({
            method: 'GET',
            path: '/usage',
            rawQuery: '',
            headers: { 'x-api-key': `guess-${i}` },
            body: { kind: 'none' },
            ip: v4(i),
          });
          expect(res.status).toBe(401);
        }
      }
    };
    await fail(0, 10_000);
    // Past the table: 1,000 more addresses each use their whole budget (20 000 failures).
    await fail(10_000, 11_000, 20);
    expect((await get(usage, 'guess-x', as(v4(10_000)))).status).toBe(429); // counted, refused
    // Clients that never failed are not refused: valid keys from new addresses answer 200.
    for (let i = 0; i < 20; i++) {
      expect((await get(usage, i % 2 === 0 ? 'good' : 'other', as(`172.16.0.${i + 1}`))).status).toBe(200);
    }
    expect((await get(usage, 'good', as('2001:db8:77::1'))).status).toBe(200);
  });

  it('gives the whole lookup one deadline, waiting included: 503 past it, never a hang', async () => {
    const guard = createAuthGuard({ max: 1, windowSeconds: 60, maxClients: 100 }, () => START);
    let lookups = 0;
    let release: (() => void) | undefined;
    const hanging = () =>
      new Promise<null>((resolve) => {
        lookups++;
        release = () => resolve(null);
      });
    // A first lookup from the address is in flight (1 failure left, so a second key must wait).
    const first = guard.lookup('192.0.2.40', 'a', hanging, 60_000);
    // The second's time runs out while it waits: 503, and its own lookup never starts (before, it
    // waited without a deadline for as long as the first lookup took).
    await expect(guard.lookup('192.0.2.40', 'b', hanging, 50)).rejects.toMatchObject({ kind: 'UNAVAILABLE' });
    expect(lookups).toBe(1);
    release?.();
    expect(await first).toBeNull();
    // Refused at once (a synchronous throw: the counts answer synchronously).
    await expect(Promise.resolve().then(() => guard.lookup('192.0.2.40', 'c', hanging, 50))).rejects.toMatchObject({
      kind: 'TOO_MANY_AUTH_FAILURES',
    });
  });

  it('rejects a bad configuration at start-up', () => {
    expect(() => createTwoFa({ resolveKey: () => null, authFailureLimit: { max: 0 } })).toThrow(TwoFaConfigError);
    expect(() => createTwoFa({ resolveKey: () => null, authFailureLimit: { windowSeconds: 1.5 } })).toThrow(
      /authFailureLimit.windowSeconds/,
    );
  });
});
