import { LRUCache } from 'lru-cache';
import type { VerifyAttempt, VerifyMemory, VerifyRecord, VerifyRules } from './verify-types.js';

interface Entry {
  last: number | undefined;
  failures: number;
  /** When the failure window ends (Unix ms). */
  failuresUntil: number;
  /** When nothing in the entry matters any more (Unix ms). */
  expires: number;
}

/** Entries kept at once by default (one per identity and verified secret). */
export const DEFAULT_MAX_VERIFY_ENTRIES = 100_000;

/**
 * The in-process verify memory (the memory store's, and the core's for a custom store without
 * one). Bounded: past `max` entries the least recently used is forgotten, which can only forget a
 * pair that has not been verified for longest.
 */
export class MemoryVerifyMemory implements VerifyMemory {
  readonly #entries: LRUCache<string, Entry>;
  readonly #clock: () => number;

  constructor(clock: () => number, max = DEFAULT_MAX_VERIFY_ENTRIES) {
    this.#entries = new LRUCache<string, Entry>({ max });
    this.#clock = clock;
  }

  recordVerification(key: string, attempt: VerifyAttempt, rules: VerifyRules): VerifyRecord {
    const now = this.#clock();
    let entry = this.#entries.get(key);
    if (entry !== undefined && entry.expires <= now) entry = undefined;
    if (entry !== undefined && entry.failuresUntil <= now) entry.failures = 0;
    if (entry !== undefined && entry.failures >= rules.maxFailures) {
      return { status: 'blocked', retryAfterMs: entry.failuresUntil - now };
    }
    if (entry === undefined) {
      entry = { last: undefined, failures: 0, failuresUntil: 0, expires: 0 };
      this.#entries.set(key, entry);
    }
    if (attempt.step === null) {
      if (entry.failures === 0) entry.failuresUntil = now + rules.failureWindowMs;
      entry.failures++;
      entry.expires = Math.max(entry.expires, entry.failuresUntil);
      return { status: 'failed', retryAfterMs: 0 };
    }
    if (entry.last !== undefined && attempt.step <= entry.last) return { status: 'replayed', retryAfterMs: 0 };
    entry.last = attempt.step;
    entry.expires = Math.max(entry.expires, now + attempt.rememberMs);
    return { status: 'accepted', retryAfterMs: 0 };
  }
}
