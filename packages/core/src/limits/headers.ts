import type { ConsumeResult, WindowSpec, WindowState } from './stores/types.js';
import { CALENDAR_MONTH } from './stores/windows.js';

/**
 * RateLimit-Policy and RateLimit header values (draft-ietf-httpapi-ratelimit-headers-10), one item
 * per limited window: `"minute";q=30;w=60` and `"minute";r=29;t=31`. Unlimited windows are absent.
 * Give the policy the store's window states when a window is the calendar month: its `w` is the
 * length of the current month (`hasCalendarWindow` tells).
 */
export function policyHeader(windows: readonly (WindowSpec | WindowState)[]): string {
  return windows.map((w) => `"${w.name}";q=${w.limit};w=${w.seconds}`).join(', ');
}

export function rateLimitHeader(result: ConsumeResult): string {
  const windows = result.windows;
  if (!Array.isArray(windows)) throw new TypeError('the limiter store answered windows that are not an array');
  let out = '';
  for (let i = 0; i < windows.length; i++) {
    const w = windows[i] as WindowState;
    out += `${i === 0 ? '' : ', '}"${w.name}";r=${w.remaining};t=${secondsCeil(w.resetMs)}`;
  }
  return out;
}

/** True when a window's length depends on the date (the month), so its policy is per request. */
export function hasCalendarWindow(windows: readonly WindowSpec[]): boolean {
  return windows.some((w) => w.seconds === CALENDAR_MONTH);
}

/** Whole seconds, rounded up, at least 1 (also for a store's NaN or negative answer). */
export function secondsCeil(ms: number): number {
  return Number.isFinite(ms) ? Math.max(1, Math.ceil(ms / 1000)) : 1;
}

/** The two RateLimit header values of a response (`RateLimit-Policy`, `RateLimit`). */
export interface RateHeaders {
  readonly policy: string;
  readonly value: string;
}

/**
 * The RateLimit headers every authenticated response carries; none for an identity without
 * limits. A `policy` of `undefined` is computed from the result (plans with a calendar month).
 */
export function rateLimitHeaders(
  policy: string | undefined,
  result: ConsumeResult | undefined,
): RateHeaders | undefined {
  if (result === undefined || result.windows.length === 0) return undefined;
  return { policy: policy ?? policyHeader(result.windows), value: rateLimitHeader(result) };
}
