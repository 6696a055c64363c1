import { TwoFaConfigError } from '../../http/errors.js';
import type { StoreNotice, WindowSpec } from './types.js';
import { CALENDAR_MONTH, windowStart } from './windows.js';

/**
 * What the stores share about prepaid credits and threshold notices: the checks of a top-up, which
 * windows have thresholds, and the bit mask in which a store reports the thresholds a call crossed
 * (the Redis script answers the same mask the memory store computes).
 */

/** Longest top-up id, in characters. */
export const MAX_TOP_UP_ID_LENGTH = 200;

/** Throws unless `amount` is a positive safe integer and `topUpId` a non-empty string of at most 200 characters. */
export function checkTopUp(amount: number, topUpId: string): void {
  if (!Number.isSafeInteger(amount) || amount < 1) {
    throw new TwoFaConfigError(`topUp: amount must be a positive integer, got ${String(amount)}`);
  }
  if (typeof topUpId !== 'string' || topUpId.length === 0 || topUpId.length > MAX_TOP_UP_ID_LENGTH) {
    throw new TwoFaConfigError(`topUp: topUpId must be a string of 1 to ${MAX_TOP_UP_ID_LENGTH} characters`);
  }
}

/** Throws unless `amount` is a positive safe integer. */
export function checkRefund(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount < 1) {
    throw new TwoFaConfigError(`refund: amount must be a positive integer, got ${String(amount)}`);
  }
}

/** Windows of an hour or longer (and the calendar month) report 80 % and 100 %. */
export function hasThresholds(seconds: number): boolean {
  return seconds === CALENDAR_MONTH || seconds >= 3_600;
}

/** Bits per window in the notice mask: 1 = 80 %, 2 = 100 %. The credits bit comes after the windows. */
export const BITS_PER_WINDOW = 2;

/** The threshold bits a count reached (the caller removes the ones already reported this period). */
export function reachedBits(count: number, limit: number): number {
  if (limit <= 0) return 0;
  return (count * 5 >= limit * 4 ? 1 : 0) | (count >= limit ? 2 : 0);
}

/** The notices of a mask: bits `2i`, `2i+1` for window `i`, then bit `2n` for low credits. */
export function noticesOf(
  mask: number,
  windows: readonly WindowSpec[],
  nowS: number,
  balance: number | undefined,
): StoreNotice[] | undefined {
  if (mask === 0) return undefined;
  const out: StoreNotice[] = [];
  for (let i = 0; i < windows.length; i++) {
    const bits = Math.floor(mask / 4 ** i) % 4;
    if (bits === 0) continue;
    const w = windows[i] as WindowSpec;
    const periodStart = windowStart(w.seconds, nowS);
    if (bits & 1) out.push({ type: 'quota.threshold', window: w.name, percent: 80, periodStart });
    if (bits & 2) out.push({ type: 'quota.threshold', window: w.name, percent: 100, periodStart });
  }
  if (Math.floor(mask / 4 ** windows.length) % 2 === 1) out.push({ type: 'credits.low', balance: balance ?? 0 });
  return out;
}
