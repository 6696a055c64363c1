import { LRUCache } from 'lru-cache';
import { checkNumber, checkOptionsObject } from '../../option-checks.js';
import { checkRefund, checkTopUp, hasThresholds, noticesOf, reachedBits } from './credits.js';
import type {
  ConsumeOptions,
  ConsumeResult,
  CreditState,
  LimiterStore,
  TopUpResult,
  WindowSpec,
  WindowState,
} from './types.js';
import { MemoryVerifyMemory } from './verify-memory.js';
import type { VerifyAttempt, VerifyRecord, VerifyRules } from './verify-types.js';
import { windowEnd, windowStart } from './windows.js';

export interface MemoryStoreOptions {
  /**
   * The most identities kept at once. Past it the least recently used identity is forgotten (its
   * counters start again from zero). Default 100,000 (about 16 MB with three windows, 19 MB with four).
   */
  maxIdentities?: number;
  /** The clock, in Unix milliseconds. Default `Date.now`. Tests move it instead of sleeping. */
  clock?: () => number;
}

export const DEFAULT_MAX_IDENTITIES = 100_000;
const MEMORY_STORE_OPTION_NAMES: readonly (keyof MemoryStoreOptions)[] = ['maxIdentities', 'clock'];

/**
 * Counters of one identity: a flat array of `[windowSeconds, windowStartSeconds, count]` triples
 * (`windowSeconds` is `CALENDAR_MONTH`, 0, for the month). Small integers in a plain, exactly sized
 * array: about 160 bytes per identity with three windows and the LRU entry, about 185 with four
 * (measured by `internal/bench/memory.mjs`, see BENCHMARKS.md).
 */
type Counters = number[];

/**
 * An identity's prepaid credits. Kept apart from the LRU of counters: a balance is money and is
 * never forgotten to make room (it grows only with top-ups, which the host makes).
 */
interface Credits {
  balance: number;
  /** `credits.low` was reported since the last top-up. */
  lowReported: boolean;
  /** Every top-up id applied, so a retried top-up adds nothing. */
  readonly topUps: Set<string>;
}

/**
 * The in-memory limiter: exact within one process (each `consume` runs to completion without
 * yielding), bounded by an LRU of identities. For several instances use the Redis store.
 */
export class MemoryStore implements LimiterStore {
  readonly name = 'memory';
  readonly #lru: LRUCache<string, Counters>;
  readonly #clock: () => number;
  readonly #credits = new Map<string, Credits>();

  constructor(options: MemoryStoreOptions = {}) {
    const checked = checkOptionsObject('MemoryStore', options, MEMORY_STORE_OPTION_NAMES);
    const max = checkNumber('maxIdentities', checked.maxIdentities, { min: 1 }, DEFAULT_MAX_IDENTITIES);
    this.#lru = new LRUCache<string, Counters>({ max });
    this.#clock = checked.clock ?? Date.now;
  }

  /** Identities currently held. */
  get size(): number {
    return this.#lru.size;
  }

  consume(key: string, windows: readonly WindowSpec[], options?: ConsumeOptions): ConsumeResult {
    return this.#run(key, windows, true, options);
  }

  peek(key: string, windows: readonly WindowSpec[], options?: ConsumeOptions): ConsumeResult {
    return this.#run(key, windows, false, options);
  }

  /** Forgets every count (balances and top-ups are kept: they are money, not counts). */
  clear(): void {
    this.#lru.clear();
  }

  /** Adds `amount` credits once per `topUpId` (see `LimiterStore.topUp`). */
  topUp(key: string, amount: number, topUpId: string): TopUpResult {
    checkTopUp(amount, topUpId);
    let credits = this.#credits.get(key);
    if (credits === undefined) {
      credits = { balance: 0, lowReported: false, topUps: new Set() };
      this.#credits.set(key, credits);
    }
    if (credits.topUps.has(topUpId)) return { balance: credits.balance, applied: false };
    credits.topUps.add(topUpId);
    credits.balance += amount;
    credits.lowReported = false;
    return { balance: credits.balance, applied: true };
  }

  /** The balance, or null when the identity holds none. */
  balance(key: string): number | null {
    return this.#credits.get(key)?.balance ?? null;
  }

  /** Gives back credits charged for a request that failed afterwards. */
  refund(key: string, amount: number): void {
    checkRefund(amount);
    const credits = this.#credits.get(key);
    if (credits !== undefined) credits.balance += amount;
  }

  /** The verify route's replay memory and failure count (see `VerifyMemory`), on this store's clock. */
  recordVerification(key: string, attempt: VerifyAttempt, rules: VerifyRules): VerifyRecord {
    this.#verifications ??= new MemoryVerifyMemory(this.#clock);
    return this.#verifications.recordVerification(key, attempt, rules);
  }
  #verifications: MemoryVerifyMemory | undefined;

  #run(key: string, windows: readonly WindowSpec[], count: boolean, options?: ConsumeOptions): ConsumeResult {
    const nowMs = this.#clock();
    const nowS = Math.floor(nowMs / 1000);
    const stored = count ? this.#lru.get(key) : this.#lru.peek(key);
    const counters = stored ?? [];
    const used: number[] = new Array(windows.length);
    let blocked = false;
    let retryAfterMs = 0;
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i] as WindowSpec;
      const start = windowStart(w.seconds, nowS);
      const n = currentCount(counters, w.seconds, start);
      used[i] = n;
      if (n >= w.limit) {
        blocked = true;
        retryAfterMs = Math.max(retryAfterMs, windowEnd(w.seconds, start) * 1000 - nowMs);
      }
    }
    // Credits: checked in the same step; a balance that does not cover the cost refuses first.
    const charge = options?.credits;
    const held = charge === undefined ? undefined : this.#credits.get(key);
    const balance = charge === undefined ? undefined : (held?.balance ?? (charge.required ? 0 : undefined));
    const short = charge !== undefined && balance !== undefined && balance < charge.cost;
    const admitted = count && !blocked && !short;
    const notify = admitted && options?.notify === true;
    let mask = 0;
    const states: WindowState[] = new Array(windows.length);
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i] as WindowSpec;
      const start = windowStart(w.seconds, nowS);
      const end = windowEnd(w.seconds, start);
      const n = (used[i] as number) + (admitted ? 1 : 0);
      if (admitted) setCount(counters, w.seconds, start, n);
      if (notify && hasThresholds(w.seconds)) mask += thresholdBits(counters, w, start, n) * 4 ** i;
      states[i] = {
        name: w.name,
        seconds: end - start,
        limit: w.limit,
        remaining: Math.max(0, w.limit - n),
        resetMs: end * 1000 - nowMs,
      };
    }
    // A known identity was updated in place (and `get` refreshed its recency). A new one is stored
    // as an exact-size copy: an array grown by push keeps room for 20 numbers (208 bytes, not 120).
    if (admitted && stored === undefined) this.#lru.set(key, counters.slice());
    let credits: CreditState | undefined;
    if (charge !== undefined && balance !== undefined) {
      let after = balance;
      if (admitted && held !== undefined && charge.cost > 0) {
        held.balance -= charge.cost;
        after = held.balance;
        if (options?.notify === true && after < charge.lowBalance && !held.lowReported) {
          held.lowReported = true;
          mask += 4 ** windows.length;
        }
      }
      credits = { balance: after, cost: charge.cost, sufficient: !short };
    }
    const result: ConsumeResult = {
      allowed: !blocked && !short,
      windows: states,
      retryAfterMs: blocked && !short ? retryAfterMs : 0,
    };
    if (credits === undefined && mask === 0) return result;
    const notices = noticesOf(mask, windows, nowS, credits?.balance);
    return { ...result, ...(credits ? { credits } : {}), ...(notices ? { notices } : {}) };
  }
}

/**
 * The thresholds (bits: 1 = 80 %, 2 = 100 %) count `n` reached in window `w`'s period `start` that
 * were not reported yet in it; they are marked reported. The marks ride in the counters as one
 * more triple `[-1 - seconds, start, bits]`, added only once a threshold is reached.
 */
function thresholdBits(counters: Counters, w: WindowSpec, start: number, n: number): number {
  const reached = reachedBits(n, w.limit);
  if (reached === 0) return 0;
  const tag = -1 - w.seconds;
  for (let i = 0; i < counters.length; i += 3) {
    if (counters[i] !== tag) continue;
    const done = counters[i + 1] === start ? (counters[i + 2] as number) : 0;
    counters[i + 1] = start;
    counters[i + 2] = done | reached;
    return reached & ~done;
  }
  counters.push(tag, start, reached);
  return reached;
}

function currentCount(counters: Counters, seconds: number, start: number): number {
  for (let i = 0; i < counters.length; i += 3) {
    if (counters[i] === seconds) return counters[i + 1] === start ? (counters[i + 2] as number) : 0;
  }
  return 0;
}

function setCount(counters: Counters, seconds: number, start: number, n: number): void {
  for (let i = 0; i < counters.length; i += 3) {
    if (counters[i] === seconds) {
      counters[i + 1] = start;
      counters[i + 2] = n;
      return;
    }
  }
  counters.push(seconds, start, n);
}
