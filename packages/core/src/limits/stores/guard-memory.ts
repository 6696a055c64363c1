import { createHash, randomBytes } from 'node:crypto';
import type { GuardBucket, GuardCounter, GuardState } from './guard-types.js';

/** Rows of the overflow sketch: a client is over-counted only if all of its cells are. */
export const SKETCH_DEPTH = 4;

/**
 * Cells per row of the overflow sketch for a table of `maxClients` buckets: the power of two at
 * or above 8 × `maxClients` (at least 1,024, at most 2^22), so an attacker must fail from about as
 * many addresses as the sketch has cells per row before a client that never failed shares a full
 * cell in every row.
 */
export function sketchWidth(maxClients: number): number {
  let width = 1024;
  while (width < maxClients * 8 && width < 2 ** 22) width *= 2;
  return width;
}

/**
 * The failed-auth counts of one process, in fixed windows aligned to the UTC clock: an exact table
 * of at most `maxClients` buckets and, once it is full, a count-min sketch for the buckets not in
 * it. Nothing is ever forgotten within its window: buckets of past windows are dropped (all at
 * once, at most one sweep per window), and a bucket that finds the table still full is counted in
 * the sketch (`SKETCH_DEPTH` rows of `sketchWidth(maxClients)` 32-bit cells, reset at each window).
 *
 * The sketch over-counts a bucket only by collisions with others, in every row at once; its cells
 * are chosen by a keyed hash (a random key of this process), so nobody can aim failures at a
 * client's cells. A client that never failed is refused only when each of its cells already holds
 * the limit: with A addresses failing `max` times each through the sketch, at most A cells of a
 * row can be full, so the chance is at most (A / width)^4 — with the default table (10,000
 * buckets, width 131,072) 1 in 29,000 at A = 10,000, 1 in 1,800 at A = 20,000 (each of them
 * failing 20 times a minute), 1 in 295 million at A = 1,000. Memory is fixed: the table plus the
 * sketch (4 × width × 4 bytes: 2 MiB for the default, allocated when the table first fills),
 * however many clients fail.
 */
export class MemoryGuardCounter implements GuardCounter {
  readonly #counts = new Map<string, { start: number; count: number }>();
  readonly #maxClients: number;
  readonly #clock: () => number;
  #sweptAt = -1;
  /** Allocated when the table first fills. */
  #sketch: Uint32Array | undefined;
  readonly #width: number;
  /** The window the sketch counts (-1: empty). */
  #sketchStart = -1;
  readonly #hashKey = randomBytes(16);

  constructor(maxClients: number, clock: () => number) {
    this.#maxClients = maxClients;
    this.#clock = clock;
    this.#width = sketchWidth(maxClients);
  }

  /** Buckets held in the exact table (for tests and metrics). */
  get size(): number {
    return this.#counts.size;
  }

  /** Bytes of the sketch (0 until the table first fills, then fixed). */
  get sketchBytes(): number {
    return this.#sketch?.byteLength ?? 0;
  }

  authFailures(buckets: readonly GuardBucket[], windowSeconds: number, count: boolean): GuardState {
    const nowMs = this.#clock();
    const nowS = Math.floor(nowMs / 1000);
    const start = nowS - (nowS % windowSeconds);
    const resetMs = (start + windowSeconds) * 1000 - nowMs;
    let remaining = Number.POSITIVE_INFINITY;
    for (const bucket of buckets) {
      const entry = this.#counts.get(bucket.key);
      if (entry === undefined && this.#full(start)) {
        remaining = Math.min(remaining, bucket.limit - this.#sketched(bucket.key, start, count));
        continue;
      }
      const used = entry !== undefined && entry.start === start ? entry.count : 0;
      remaining = Math.min(remaining, bucket.limit - used);
      if (!count) continue;
      if (entry === undefined) this.#counts.set(bucket.key, { start, count: 1 });
      else {
        entry.start = start;
        entry.count = used + 1;
      }
    }
    return { remaining: count ? remaining - 1 : remaining, resetMs };
  }

  /**
   * Takes back one failure of the current window in each bucket of the table (the sketch keeps
   * its count: it may over-count, never under-count).
   */
  releaseAuthFailure(buckets: readonly GuardBucket[], windowSeconds: number): void {
    const nowS = Math.floor(this.#clock() / 1000);
    const start = nowS - (nowS % windowSeconds);
    for (const bucket of buckets) {
      const entry = this.#counts.get(bucket.key);
      if (entry !== undefined && entry.start === start && entry.count > 0) entry.count--;
    }
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

  /**
   * A bucket's count in the sketch before this call (the smallest of its cells), counting one
   * more when `count` (conservative update: only the cells at that smallest value grow).
   */
  #sketched(key: string, start: number, count: boolean): number {
    this.#sketch ??= new Uint32Array(SKETCH_DEPTH * this.#width);
    const sketch = this.#sketch;
    if (this.#sketchStart !== start) {
      if (this.#sketchStart !== -1) sketch.fill(0);
      this.#sketchStart = start;
    }
    const digest = createHash('sha256').update(this.#hashKey).update(key).digest();
    const mask = this.#width - 1;
    const cells: number[] = [];
    let least = Number.POSITIVE_INFINITY;
    for (let row = 0; row < SKETCH_DEPTH; row++) {
      const cell = row * this.#width + (digest.readUInt32LE(row * 4) & mask);
      cells.push(cell);
      least = Math.min(least, sketch[cell] as number);
    }
    if (count) {
      for (const cell of cells) if (sketch[cell] === least) sketch[cell] = least + 1;
    }
    return least;
  }
}
