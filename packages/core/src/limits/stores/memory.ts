import { LRUCache } from 'lru-cache';
import { checkNumber, checkOptionsObject } from '../../option-checks.js';
import type { ConsumeResult, LimiterStore, WindowSpec, WindowState } from './types.js';
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
 * The in-memory limiter: exact within one process (each `consume` runs to completion without
 * yielding), bounded by an LRU of identities. For several instances use the Redis store.
 */
export class MemoryStore implements LimiterStore {
  readonly name = 'memory';
  readonly #lru: LRUCache<string, Counters>;
  readonly #clock: () => number;

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

  consume(key: string, windows: readonly WindowSpec[]): ConsumeResult {
    return this.#run(key, windows, true);
  }

  peek(key: string, windows: readonly WindowSpec[]): ConsumeResult {
    return this.#run(key, windows, false);
  }

  clear(): void {
    this.#lru.clear();
  }

  /** The verify route's replay memory and failure count (see `VerifyMemory`), on this store's clock. */
  recordVerification(key: string, attempt: VerifyAttempt, rules: VerifyRules): VerifyRecord {
    this.#verifications ??= new MemoryVerifyMemory(this.#clock);
    return this.#verifications.recordVerification(key, attempt, rules);
  }
  #verifications: MemoryVerifyMemory | undefined;

  #run(key: string, windows: readonly WindowSpec[], count: boolean): ConsumeResult {
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
    const admitted = count && !blocked;
    const states: WindowState[] = new Array(windows.length);
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i] as WindowSpec;
      const start = windowStart(w.seconds, nowS);
      const end = windowEnd(w.seconds, start);
      const n = (used[i] as number) + (admitted ? 1 : 0);
      if (admitted) setCount(counters, w.seconds, start, n);
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
    return { allowed: !blocked, windows: states, retryAfterMs: blocked ? retryAfterMs : 0 };
  }
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
