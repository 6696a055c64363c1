/**
 * THE limiter store suite. Every backend (memory with an injected clock, a single redis-server, a
 * 3-master Redis Cluster) runs these same request traces, so the stores cannot drift apart.
 *
 * Time: a memory store's clock is moved; Redis keeps its own clock (`TIME`), which no test can
 * move. So every time-dependent expectation is computed from what the store itself reports
 * (`resetMs`, `retryAfterMs`), traces that need a window to end use windows of 1 s, and `pass(ms)`
 * moves the memory clock or, for Redis, waits. Before a trace the harness makes sure no window it
 * uses ends while the trace runs (`awayFromEdges`), so a trace never straddles a window boundary
 * by accident. Checks that need to land 1 ms before an edge run only where the clock is exact.
 */

import {
  CALENDAR_MONTH,
  type ConsumeOptions,
  type ConsumeResult,
  type LimiterStore,
  type StoreNotice,
  type WindowSpec,
  type WindowState,
} from '@twofa-kit/core/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

export interface StoreHarness {
  readonly store: LimiterStore;
  /** True when `pass` moves the store's clock exactly (memory); false when it waits (Redis). */
  readonly exactClock: boolean;
  /** Lets at least `ms` of the store's time pass. */
  pass(ms: number): Promise<void>;
  /**
   * A second store on the same backend whose time is `clock` (for Redis: the script's test-only
   * time override), for traces across a month's end that no test could wait for.
   */
  withClock(clock: () => number): LimiterStore;
}

export interface SuiteOptions {
  /** Creates the harness once for the suite (after the backend is up). */
  setup: () => Promise<StoreHarness> | StoreHarness;
  teardown?: () => Promise<void> | void;
}

const MINUTE: WindowSpec = { name: 'minute', seconds: 60, limit: 5 };
const HOUR: WindowSpec = { name: 'hour', seconds: 3_600, limit: 100 };
const DAY: WindowSpec = { name: 'day', seconds: 86_400, limit: 10_000 };
const MONTH: WindowSpec = { name: 'month', seconds: CALENDAR_MONTH, limit: 50_000 };
const FOUR: WindowSpec[] = [
  { name: 'minute', seconds: 60, limit: 5 },
  { name: 'hour', seconds: 3_600, limit: 100 },
  { name: 'day', seconds: 86_400, limit: 1_000 },
  { name: 'month', seconds: CALENDAR_MONTH, limit: 3_000 },
];
const DAY_MS = 86_400_000;
/** An hour window no trace fills. */
const HOUR_BIG: WindowSpec = { name: 'hour', seconds: 3_600, limit: 1_000_000 };
const PRO: WindowSpec[] = [
  { name: 'minute', seconds: 60, limit: 30 },
  { name: 'hour', seconds: 3_600, limit: 1_000 },
  { name: 'day', seconds: 86_400, limit: 10_000 },
];

let counter = 0;
/** A fresh identity for each trace, so runs sharing one Redis never see each other's counts. */
function identity(label: string): string {
  counter += 1;
  return `suite-${label}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/** The store's top-up; every store of the suite keeps credits. */
function storeTopUp(store: LimiterStore, key: string, amount: number, id: string) {
  if (store.topUp === undefined) throw new Error('this store keeps no credits');
  return store.topUp(key, amount, id);
}

function storeBalance(store: LimiterStore, key: string) {
  if (store.balance === undefined) throw new Error('this store keeps no credits');
  return store.balance(key);
}

function state(result: ConsumeResult, name: string): WindowState {
  const found = result.windows.find((w) => w.name === name);
  if (found === undefined) throw new Error(`no window ${name} in result`);
  return found;
}

export function storeSuite(label: string, options: SuiteOptions): void {
  describe(`LimiterStore suite: ${label}`, () => {
    let h: StoreHarness;
    const consume = (key: string, windows: readonly WindowSpec[], options?: ConsumeOptions) =>
      Promise.resolve(h.store.consume(key, windows, options));
    const peek = (key: string, windows: readonly WindowSpec[], options?: ConsumeOptions) =>
      Promise.resolve(h.store.peek(key, windows, options));

    /** Waits (or moves the clock) until no window of `windows` ends within `marginMs`. */
    async function awayFromEdges(windows: readonly WindowSpec[], marginMs: number): Promise<void> {
      for (let i = 0; i < 5; i++) {
        const probe = await peek(identity('edge'), windows);
        const soonest = Math.min(...probe.windows.map((w) => w.resetMs));
        if (soonest >= marginMs) return;
        await h.pass(soonest);
      }
      throw new Error('could not get away from a window edge');
    }

    beforeAll(async () => {
      h = await options.setup();
    });
    afterAll(async () => {
      await options.teardown?.();
    });

    it('admits exactly `limit`, then refuses; a refused request counts in no window', async () => {
      const w = [MINUTE, HOUR];
      await awayFromEdges(w, 5_000);
      const id = identity('exact');
      const remaining: number[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await consume(id, w);
        expect(r.allowed).toBe(true);
        expect(r.retryAfterMs).toBe(0);
        remaining.push(state(r, 'minute').remaining);
        expect(state(r, 'hour').remaining).toBe(100 - (i + 1));
      }
      expect(remaining).toEqual([4, 3, 2, 1, 0]);
      for (let i = 0; i < 7; i++) {
        const r = await consume(id, w);
        expect(r.allowed).toBe(false);
        expect(state(r, 'minute').remaining).toBe(0);
        expect(state(r, 'hour').remaining).toBe(95);
      }
      const after = await peek(id, w);
      expect(state(after, 'hour').remaining).toBe(95);
      expect(after.allowed).toBe(false);
    });

    it('reports windows in the order given, with name, seconds and limit echoed', async () => {
      const w = [DAY, MINUTE, HOUR];
      await awayFromEdges(w, 2_000);
      const r = await consume(identity('order'), w);
      expect(r.windows.map((s) => [s.name, s.seconds, s.limit])).toEqual([
        ['day', 86_400, 10_000],
        ['minute', 60, 5],
        ['hour', 3_600, 100],
      ]);
    });

    it('windows are fixed and aligned to the UTC clock: resets agree modulo the shorter window', async () => {
      await awayFromEdges(PRO, 2_000);
      const r = await consume(identity('align'), PRO);
      const [m, hr, d] = r.windows as [WindowState, WindowState, WindowState];
      for (const s of r.windows) {
        expect(s.resetMs).toBeGreaterThan(0);
        expect(s.resetMs).toBeLessThanOrEqual(s.seconds * 1000);
      }
      // A minute ends at :00, so every hour and day also ends on a minute boundary.
      expect((hr.resetMs - m.resetMs) % 60_000).toBe(0);
      expect((d.resetMs - hr.resetMs) % 3_600_000).toBe(0);
    });

    it('retry_after is the reset of the full window; with several full, the latest', async () => {
      const w = [MINUTE, HOUR];
      await awayFromEdges(w, 5_000);
      const id = identity('retry');
      for (let i = 0; i < 5; i++) await consume(id, w);
      const refused = await consume(id, w);
      expect(refused.allowed).toBe(false);
      expect(refused.retryAfterMs).toBe(state(refused, 'minute').resetMs);

      // Both windows full at once: the later reset (the hour) is when a request gets in, whatever
      // the order of the windows.
      const both = [
        { name: 'hour', seconds: 3_600, limit: 2 },
        { name: 'minute', seconds: 60, limit: 2 },
      ];
      const id2 = identity('retry-both');
      await consume(id2, both);
      await consume(id2, both);
      const r = await consume(id2, both);
      expect(r.allowed).toBe(false);
      expect(r.retryAfterMs).toBe(state(r, 'hour').resetMs);
      expect(r.retryAfterMs).toBeGreaterThanOrEqual(state(r, 'minute').resetMs);
    });

    it('a window edge: refused until the reset, admitted from it with a fresh count', async () => {
      const w = [{ name: 'second', seconds: 1, limit: 2 }];
      await awayFromEdges(w, 300);
      const id = identity('edge-reset');
      expect((await consume(id, w)).allowed).toBe(true);
      expect((await consume(id, w)).allowed).toBe(true);
      const refused = await consume(id, w);
      expect(refused.allowed).toBe(false);
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(1000);
      expect(refused.retryAfterMs).toBe(state(refused, 'second').resetMs);
      if (h.exactClock) {
        // 1 ms before the edge: still refused, and retry_after says exactly 1 ms.
        await h.pass(refused.retryAfterMs - 1);
        const last = await consume(id, w);
        expect(last.allowed).toBe(false);
        expect(last.retryAfterMs).toBe(1);
        await h.pass(1);
      } else {
        await h.pass(refused.retryAfterMs);
      }
      const fresh = await consume(id, w);
      expect(fresh.allowed).toBe(true);
      expect(state(fresh, 'second').remaining).toBe(1);
      expect(state(fresh, 'second').resetMs).toBeGreaterThan(0);
    });

    it('multi-window interplay: a short window resets, the long one keeps counting', async () => {
      const w = [
        { name: 'burst', seconds: 1, limit: 2 },
        { name: 'minute', seconds: 60, limit: 3 },
      ];
      await awayFromEdges([w[1] as WindowSpec], 5_000);
      await awayFromEdges([w[0] as WindowSpec], 300);
      const id = identity('multi');
      expect((await consume(id, w)).allowed).toBe(true);
      const second = await consume(id, w);
      expect(state(second, 'burst').remaining).toBe(0);
      expect(state(second, 'minute').remaining).toBe(1);

      // The burst window is full: refused until it resets, and the minute does not count it.
      const byBurst = await consume(id, w);
      expect(byBurst.allowed).toBe(false);
      expect(byBurst.retryAfterMs).toBe(state(byBurst, 'burst').resetMs);
      expect(state(byBurst, 'minute').remaining).toBe(1);

      await h.pass(byBurst.retryAfterMs);
      const third = await consume(id, w);
      expect(third.allowed).toBe(true);
      expect(state(third, 'burst').remaining).toBe(1);
      expect(state(third, 'minute').remaining).toBe(0);

      // Now the minute is full while the burst has room: the minute's reset is the answer.
      const byMinute = await consume(id, w);
      expect(byMinute.allowed).toBe(false);
      expect(state(byMinute, 'burst').remaining).toBe(1);
      expect(byMinute.retryAfterMs).toBe(state(byMinute, 'minute').resetMs);
      expect(byMinute.retryAfterMs).toBeGreaterThan(1000);
    });

    it('the seed plans: minute, hour and day all count; the minute refuses first', async () => {
      await awayFromEdges(PRO, 5_000);
      const id = identity('pro');
      for (let i = 0; i < 30; i++) expect((await consume(id, PRO)).allowed).toBe(true);
      const r = await consume(id, PRO);
      expect(r.allowed).toBe(false);
      expect(r.windows.map((s) => s.remaining)).toEqual([0, 970, 9_970]);
      expect(r.retryAfterMs).toBe(state(r, 'minute').resetMs);
    });

    it('different identities are independent', async () => {
      const w = [MINUTE];
      await awayFromEdges(w, 5_000);
      const a = identity('a');
      const b = identity('b');
      for (let i = 0; i < 5; i++) await consume(a, w);
      expect((await consume(a, w)).allowed).toBe(false);
      const rb = await consume(b, w);
      expect(rb.allowed).toBe(true);
      expect(state(rb, 'minute').remaining).toBe(4);
      expect((await consume(a, w)).allowed).toBe(false);
    });

    it('limit 0 refuses everything, counts nothing, and says when the window ends', async () => {
      const w = [{ name: 'minute', seconds: 60, limit: 0 }, HOUR];
      await awayFromEdges(w, 5_000);
      const id = identity('zero');
      for (let i = 0; i < 3; i++) {
        const r = await consume(id, w);
        expect(r.allowed).toBe(false);
        expect(state(r, 'minute').remaining).toBe(0);
        expect(state(r, 'hour').remaining).toBe(100);
        expect(r.retryAfterMs).toBe(state(r, 'minute').resetMs);
      }
      const p = await peek(id, w);
      expect(p.allowed).toBe(false);
      expect(p.retryAfterMs).toBe(state(p, 'minute').resetMs);
    });

    it('peek counts nothing and tells whether a request now would be admitted', async () => {
      const w = [MINUTE, HOUR];
      await awayFromEdges(w, 5_000);
      const id = identity('peek');
      for (let i = 0; i < 20; i++) {
        const p = await peek(id, w);
        expect(p.allowed).toBe(true);
        expect(p.retryAfterMs).toBe(0);
        expect(p.windows.map((s) => s.remaining)).toEqual([5, 100]);
      }
      await consume(id, w);
      expect((await peek(id, w)).windows.map((s) => s.remaining)).toEqual([4, 99]);
      for (let i = 0; i < 4; i++) expect((await consume(id, w)).allowed).toBe(true);
      const full = await peek(id, w);
      expect(full.allowed).toBe(false);
      expect(full.retryAfterMs).toBe(state(full, 'minute').resetMs);
      expect(full.windows.map((s) => s.remaining)).toEqual([0, 95]);
    });

    it('four windows including the calendar month: all count, the month ends on a day boundary', async () => {
      await awayFromEdges(FOUR, 5_000);
      const id = identity('four');
      for (let i = 0; i < 5; i++) {
        const r = await consume(id, FOUR);
        expect(r.allowed).toBe(true);
        expect(r.windows.map((s) => s.remaining)).toEqual([4 - i, 99 - i, 999 - i, 2_999 - i]);
      }
      const r = await consume(id, FOUR);
      expect(r.allowed).toBe(false);
      expect(r.windows.map((s) => s.remaining)).toEqual([0, 95, 995, 2_995]);
      expect(r.retryAfterMs).toBe(state(r, 'minute').resetMs);
      const month = state(r, 'month');
      // The current month's length: 28 to 31 days; it ends at a midnight, so with the day.
      expect([28, 29, 30, 31].map((d) => d * 86_400)).toContain(month.seconds);
      expect(month.resetMs).toBeGreaterThan(0);
      expect(month.resetMs).toBeLessThanOrEqual(month.seconds * 1000);
      expect((month.resetMs - state(r, 'day').resetMs) % DAY_MS).toBe(0);
      expect(state(await peek(id, FOUR), 'month').remaining).toBe(2_995);
    });

    // A month's end, with the store's clock moved: 31, 28, 29 (2028, and 2000), 30 days, the end
    // of a year, and February of 2100 (not a leap year).
    const MONTHS: [year: number, month: number, days: number][] = [
      [2026, 0, 31],
      [2026, 1, 28],
      [2028, 1, 29],
      [2000, 1, 29],
      [2100, 1, 28],
      [2026, 3, 30],
      [2026, 10, 30],
      [2026, 11, 31],
    ];
    for (const [year, month, days] of MONTHS) {
      const label = `${year}-${String(month + 1).padStart(2, '0')}`;
      it(`the month ${label} lasts ${days} days: full until its last ms, fresh at the next 1st 00:00 UTC`, async () => {
        const start = Date.UTC(year, month, 1);
        const end = Date.UTC(year, month + 1, 1);
        let now = start;
        const store = h.withClock(() => now);
        const w = [
          { name: 'minute', seconds: 60, limit: 10 },
          { ...MONTH, limit: 2 },
        ];
        const id = identity(`month-${label}`);
        const first = await Promise.resolve(store.consume(id, w));
        expect(first.allowed).toBe(true);
        expect(state(first, 'month')).toMatchObject({ seconds: days * 86_400, remaining: 1, resetMs: days * DAY_MS });
        now = start + 15 * DAY_MS + 1_234;
        expect((await Promise.resolve(store.consume(id, w))).allowed).toBe(true);
        // Full: retry_after runs to the end of the month, days away.
        const full = await Promise.resolve(store.consume(id, w));
        expect(full.allowed).toBe(false);
        expect(full.retryAfterMs).toBe(end - now);
        expect(state(full, 'minute').remaining).toBe(9); // the refused request counted nowhere
        now = end - 1;
        const last = await Promise.resolve(store.consume(id, w));
        expect(last.allowed).toBe(false);
        expect(last.retryAfterMs).toBe(1);
        expect(state(last, 'month').resetMs).toBe(1);
        now = end;
        const next = await Promise.resolve(store.consume(id, w));
        expect(next.allowed).toBe(true);
        const nextDays = Math.round((Date.UTC(year, month + 2, 1) - end) / DAY_MS);
        expect(state(next, 'month')).toMatchObject({
          seconds: nextDays * 86_400,
          remaining: 1,
          resetMs: nextDays * DAY_MS,
        });
        expect((await Promise.resolve(store.peek(id, w))).windows.map((s) => s.remaining)).toEqual([9, 1]);
        await store.close?.();
      });
    }

    it('no windows: admitted, nothing to report', async () => {
      const r = await consume(identity('none'), []);
      expect(r).toEqual({ allowed: true, windows: [], retryAfterMs: 0 });
    });

    // ------------------------------------------------------------------------------------------
    // Prepaid credits and threshold notices: the same atomic step as the windows.

    const topUp = (key: string, amount: number, id: string) => Promise.resolve(storeTopUp(h.store, key, amount, id));
    const balanceOf = (key: string) => Promise.resolve(storeBalance(h.store, key));
    const pays = (cost: number, extra: Partial<ConsumeOptions['credits']> = {}): ConsumeOptions => ({
      credits: { cost, required: false, lowBalance: 0, ...extra },
    });
    /** `calls` concurrent calls paying 1 credit each on `w`, for a new identity holding 100 credits. */
    const payingRace = async (name: string, w: WindowSpec[], calls: number) => {
      await awayFromEdges(w, 5_000);
      const id = identity(name);
      await topUp(id, 100, 'start');
      const results = await Promise.all(Array.from({ length: calls }, () => consume(id, w, pays(1))));
      return { id, results };
    };

    it('credits: an identity without a balance is not credit-limited; required makes it 0', async () => {
      const w = [MINUTE];
      await awayFromEdges(w, 5_000);
      const id = identity('no-balance');
      const free = await consume(id, w, pays(1));
      expect(free.allowed).toBe(true);
      expect(free.credits).toBeUndefined();
      expect(await balanceOf(id)).toBeNull();
      const must = await consume(id, w, pays(1, { required: true }));
      expect(must.allowed).toBe(false);
      expect(must.retryAfterMs).toBe(0);
      expect(must.credits).toEqual({ balance: 0, cost: 1, sufficient: false });
      expect(state(must, 'minute').remaining).toBe(4); // refused for credits: counted nowhere
      expect((await consume(id, w, pays(0, { required: true }))).credits).toEqual({
        balance: 0,
        cost: 0,
        sufficient: true,
      });
    });

    it('credits: a top-up is applied once per id; the balance pays each admitted request, then 402', async () => {
      const w = [MINUTE, HOUR];
      await awayFromEdges(w, 5_000);
      const id = identity('topup');
      expect(await topUp(id, 3, 'pay-1')).toEqual({ balance: 3, applied: true });
      expect(await topUp(id, 3, 'pay-1')).toEqual({ balance: 3, applied: false });
      expect(await topUp(id, 99, 'pay-1')).toEqual({ balance: 3, applied: false });
      expect(await topUp(id, 2, 'pay-2')).toEqual({ balance: 5, applied: true });
      const first = await consume(id, w, pays(2));
      expect(first.allowed).toBe(true);
      expect(first.credits).toEqual({ balance: 3, cost: 2, sufficient: true });
      expect((await consume(id, w, pays(2))).credits).toEqual({ balance: 1, cost: 2, sufficient: true });
      const short = await consume(id, w, pays(2));
      expect(short.allowed).toBe(false);
      expect(short.retryAfterMs).toBe(0);
      expect(short.credits).toEqual({ balance: 1, cost: 2, sufficient: false });
      expect(short.windows.map((s) => s.remaining)).toEqual([3, 98]);
      // A peek reads the balance and charges nothing; a cost of 1 still fits.
      expect((await peek(id, w, pays(1))).credits).toEqual({ balance: 1, cost: 1, sufficient: true });
      expect((await consume(id, w, pays(1))).credits).toEqual({ balance: 0, cost: 1, sufficient: true });
      expect(await balanceOf(id)).toBe(0);
      // Without the credits asked (credits off in the core) the balance is neither read nor charged.
      const plain = await consume(id, w);
      expect(plain.allowed).toBe(true);
      expect(plain.credits).toBeUndefined();
      await Promise.resolve(h.store.refund?.(id, 2));
      expect(await balanceOf(id)).toBe(2);
    });

    it('credits: a full window refuses first with 429 data and charges nothing', async () => {
      const w = [{ name: 'minute', seconds: 60, limit: 2 }];
      await awayFromEdges(w, 5_000);
      const id = identity('window-first');
      await topUp(id, 10, 'start');
      await consume(id, w, pays(1));
      await consume(id, w, pays(1));
      const full = await consume(id, w, pays(1));
      expect(full.allowed).toBe(false);
      expect(full.retryAfterMs).toBe(state(full, 'minute').resetMs);
      expect(full.credits).toEqual({ balance: 8, cost: 1, sufficient: true });
      expect(await balanceOf(id)).toBe(8);
    });

    it('credits: 600 concurrent calls against 100 credits admit exactly 100, each balance handed out once', async () => {
      const w = [{ name: 'minute', seconds: 60, limit: 10_000 }, HOUR_BIG];
      const { id, results } = await payingRace('credit-race', w, 600);
      const admitted = results.filter((r) => r.allowed);
      expect(admitted).toHaveLength(100);
      const seen = admitted.map((r) => r.credits?.balance).sort((x, y) => (x as number) - (y as number));
      expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i));
      for (const r of results.filter((x) => !x.allowed)) expect(r.credits?.sufficient).toBe(false);
      expect(await balanceOf(id)).toBe(0);
      expect(state(await peek(id, w), 'minute').remaining).toBe(10_000 - 100);
    });

    it('credits: a window that runs out first under concurrency charges only the admitted', async () => {
      const w = [{ name: 'minute', seconds: 60, limit: 60 }, HOUR_BIG];
      const { id, results } = await payingRace('window-race', w, 500);
      expect(results.filter((r) => r.allowed)).toHaveLength(60);
      expect(results.filter((r) => r.credits?.sufficient === false)).toHaveLength(0);
      expect(await balanceOf(id)).toBe(40);
    });

    it('notices: 600 concurrent calls straddling 80 % and 100 % report each threshold once', async () => {
      const hour = { name: 'hour', seconds: 3_600, limit: 250 };
      const w = [{ name: 'minute', seconds: 60, limit: 10_000 }, hour, { ...MONTH, limit: 100_000 }];
      await awayFromEdges(w, 5_000);
      const id = identity('notices');
      await topUp(id, 500, 'start');
      const options: ConsumeOptions = { ...pays(1, { lowBalance: 300 }), notify: true };
      const results = await Promise.all(Array.from({ length: 600 }, () => consume(id, w, options)));
      expect(results.filter((r) => r.allowed)).toHaveLength(250);
      const notices = results.flatMap((r) => r.notices ?? []);
      const nowS = Math.floor((Date.now() + 0) / 1000);
      const hourStart = (n: StoreNotice) => (n.type === 'quota.threshold' ? n.periodStart : 0);
      expect(notices.map((n) => (n.type === 'quota.threshold' ? `${n.window} ${n.percent}` : n.type)).sort()).toEqual([
        'credits.low',
        'hour 100',
        'hour 80',
      ]);
      for (const n of notices.filter((x) => x.type === 'quota.threshold')) {
        expect(hourStart(n) % 3_600).toBe(0);
        if (!h.exactClock) expect(Math.abs(hourStart(n) - (nowS - (nowS % 3_600)))).toBeLessThanOrEqual(3_600);
      }
      // The 80 % notice rode on the call that took the 200th request, the low balance on the one
      // that left 299 credits, the 100 % on the 250th.
      const by = (pred: (n: StoreNotice) => boolean) => results.find((r) => r.notices?.some(pred));
      expect(
        state(by((n) => n.type === 'quota.threshold' && n.percent === 80) as ConsumeResult, 'hour').remaining,
      ).toBe(50);
      expect(
        state(by((n) => n.type === 'quota.threshold' && n.percent === 100) as ConsumeResult, 'hour').remaining,
      ).toBe(0);
      expect(by((n) => n.type === 'credits.low')?.credits?.balance).toBe(299);
      expect(notices.find((n) => n.type === 'credits.low')).toEqual({ type: 'credits.low', balance: 299 });
      // Nothing more this period; a top-up re-arms the low-balance notice.
      expect((await consume(id, [w[0] as WindowSpec, { ...hour, limit: 500 }], options)).notices).toBeUndefined();
      await topUp(id, 1, 'more');
      expect((await consume(id, [w[0] as WindowSpec], options)).notices).toEqual([
        { type: 'credits.low', balance: 249 },
      ]);
    });

    for (const limit of [5, 37]) {
      it(`200 concurrent consumes admit exactly ${limit}, each count handed out once`, async () => {
        const w = [{ name: 'minute', seconds: 60, limit }, HOUR];
        await awayFromEdges(w, 5_000);
        const id = identity('race');
        const results = await Promise.all(Array.from({ length: 200 }, () => consume(id, w)));
        const admitted = results.filter((r) => r.allowed);
        expect(admitted).toHaveLength(limit);
        // Atomic: the admitted calls saw every count from limit-1 down to 0 exactly once.
        const seen = admitted.map((r) => state(r, 'minute').remaining).sort((x, y) => x - y);
        expect(seen).toEqual(Array.from({ length: limit }, (_, i) => i));
        for (const r of results.filter((x) => !x.allowed)) {
          expect(r.retryAfterMs).toBe(state(r, 'minute').resetMs);
        }
        expect(state(await peek(id, w), 'hour').remaining).toBe(100 - limit);
      });
    }
  });
}
