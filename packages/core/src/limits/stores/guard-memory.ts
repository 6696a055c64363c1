import type { GuardBucket, GuardCounter, GuardState } from './guard-types.js';

/** The overflow bucket's name: it cannot be an address. */
export const OVERFLOW_BUCKET = '*overflow*';

/**
 * The failed-auth counts of one process: at most `maxClients` buckets, in fixed windows aligned to
 * the UTC clock. A full table never forgets a bucket that is counting: buckets of past windows are
 * dropped (all at once, at most one sweep per window), and when the table is still full a bucket
 * not in it shares the overflow bucket (limit: the address limit) with every other such client,
 * so they are refused together once it is full, until the window ends.
 */
export class MemoryGuardCounter implements GuardCounter {
  readonly #counts = new Map<string, { start: number; count: number }>();
  readonly #maxClients: number;
  readonly #clock: () => number;
  #sweptAt = -1;

  constructor(maxClients: number, clock: () => number) {
    this.#maxClients = maxClients;
    this.#clock = clock;
  }

  /** Buckets held (for tests and metrics). */
  get size(): number {
    return this.#counts.size;
  }

  authFailures(buckets: readonly GuardBucket[], windowSeconds: number, count: boolean): GuardState {
    const nowMs = this.#clock();
    const nowS = Math.floor(nowMs / 1000);
    const start = nowS - (nowS % windowSeconds);
    const resetMs = (start + windowSeconds) * 1000 - nowMs;
    let remaining = Number.POSITIVE_INFINITY;
    let overflowSeen = false;
    for (const bucket of buckets) {
      let key = bucket.key;
      let limit = bucket.limit;
      let entry = this.#counts.get(key);
      if (entry === undefined && this.#full(start)) {
        // Counted once per call, with the narrowest bucket's limit (the address's own).
        if (overflowSeen) continue;
        overflowSeen = true;
        key = OVERFLOW_BUCKET;
        limit = (buckets[0] as GuardBucket).limit;
        entry = this.#counts.get(key);
      }
      const used = entry !== undefined && entry.start === start ? entry.count : 0;
      remaining = Math.min(remaining, limit - used);
      if (!count) continue;
      if (entry === undefined) this.#counts.set(key, { start, count: 1 });
      else {
        entry.start = start;
        entry.count = used + 1;
      }
    }
    return { remaining: count ? remaining - 1 : remaining, resetMs };
  }

  /** Whether a new bucket has no room, after dropping the past windows' buckets once per window. */
  #full(start: number): boolean {
    if (this.#counts.size < this.#maxClients) return false;
    if (this.#sweptAt !== start) {
      this.#sweptAt = start;
      for (const [key, entry] of this.#counts) if (entry.start !== start) this.#counts.delete(key);
    }
    return this.#counts.size >= this.#maxClients;
  }
}
