import { LRUCache } from 'lru-cache';
import { TwoFaConfigError } from '../http/errors.js';
import { checkNumber, checkOptionsObject } from '../option-checks.js';
import type { Identity, MaybePromise, ResolveKey } from '../types.js';
import { hashKey } from './static-keys.js';

/**
 * Key-store helpers for hosts whose keys live somewhere slow (a database, an auth service).
 *
 * - `cachedKeys(resolve)` puts an LRU with a TTL in front of the host's callback: known keys are
 *   remembered for `ttlMs`, unknown ones for the shorter `negativeTtlMs`, and however many requests
 *   wait on one uncached key, the callback runs once for it. Errors are never cached. Entries are
 *   named by the SHA-256 of the key, never by the key itself.
 * - `hashedKeys(lookupByHash)` adapts a store that keeps only SHA-256 hex digests of its keys.
 */

export interface CachedKeysOptions {
  /** Most keys remembered (known and unknown together). Default 10,000. */
  max?: number;
  /** How long a resolved identity is reused, in ms. Default 60,000 (a revoked key works that long). */
  ttlMs?: number;
  /** How long an unknown key is remembered as unknown, in ms; 0 turns that off. Default 5,000. */
  negativeTtlMs?: number;
  /** The clock for the TTLs, in ms. Default `performance.now`. Tests move it instead of sleeping. */
  clock?: () => number;
  /**
   * How long a lookup in flight is shared with later callers of the same key, in ms (the core's
   * default key lookup timeout). Past it the entry is dropped, so a store that never answers
   * holds nothing: the next caller starts a new lookup. Default 3,000.
   */
  inFlightTimeoutMs?: number;
}

export const CACHED_KEYS_DEFAULTS = Object.freeze({
  max: 10_000,
  ttlMs: 60_000,
  negativeTtlMs: 5_000,
  inFlightTimeoutMs: 3_000,
});

/** A key store with a cache in front; `invalidate`/`clear` drop entries (on revocation, say). */
export interface CachedKeyStore extends ResolveKey {
  /** Forgets one key, including a lookup still in flight for it (its answer is then not kept). */
  invalidate(apiKey: string): void;
  clear(): void;
  /** Entries held (known and unknown keys). */
  readonly size: number;
  /** Lookups in flight (at most `max`; each dropped after `inFlightTimeoutMs`). */
  readonly inFlight: number;
}

const CACHED_KEYS_OPTION_NAMES: readonly (keyof CachedKeysOptions)[] = [
  'max',
  'ttlMs',
  'negativeTtlMs',
  'clock',
  'inFlightTimeoutMs',
];

function count(name: string, value: unknown, fallback: number, min: number): number {
  return checkNumber(`cachedKeys: ${name}`, value, { min }, fallback);
}

/** Wrapped so that "unknown" (null) can be a cache value. */
interface Entry {
  readonly identity: Identity | null;
}

export function cachedKeys(resolve: ResolveKey, options: CachedKeysOptions = {}): CachedKeyStore {
  if (typeof resolve !== 'function') throw new TwoFaConfigError('cachedKeys: resolve must be a function');
  checkOptionsObject('cachedKeys', options, CACHED_KEYS_OPTION_NAMES);
  const max = count('max', options.max, CACHED_KEYS_DEFAULTS.max, 1);
  const ttlMs = count('ttlMs', options.ttlMs, CACHED_KEYS_DEFAULTS.ttlMs, 1);
  const negativeTtlMs = count('negativeTtlMs', options.negativeTtlMs, CACHED_KEYS_DEFAULTS.negativeTtlMs, 0);
  const inFlightTimeoutMs = count(
    'inFlightTimeoutMs',
    options.inFlightTimeoutMs,
    CACHED_KEYS_DEFAULTS.inFlightTimeoutMs,
    1,
  );
  const clock = options.clock;
  const cache = new LRUCache<string, Entry>({
    max,
    ttl: ttlMs,
    ...(clock === undefined ? {} : { perf: { now: clock }, ttlResolution: 0 }),
  });
  /** One lookup per key hash while it runs; every caller of that key awaits the same promise. */
  const inFlight = new Map<string, Promise<Identity | null>>();

  function cacheLookup(name: string, identity: Identity | null): void {
    if (identity !== null) cache.set(name, { identity }, { ttl: ttlMs });
    else if (negativeTtlMs > 0) cache.set(name, { identity: null }, { ttl: negativeTtlMs });
  }

  const lookup = (apiKey: string): MaybePromise<Identity | null> => {
    const name = hashKey(apiKey);
    const hit = cache.get(name);
    if (hit !== undefined) return hit.identity;
    const running = inFlight.get(name);
    if (running !== undefined) return running;
    // Bounded: with `max` lookups already in flight, this one runs unshared (and is still cached).
    const share = inFlight.size < max;
    // The callback runs in a microtask, so even one that throws synchronously settles `promise`.
    const promise: Promise<Identity | null> = Promise.resolve()
      .then(() => resolve(apiKey))
      .then(
        (result) => {
          const identity = result ?? null;
          if (inFlight.get(name) === promise) {
            inFlight.delete(name);
            cacheLookup(name, identity);
          }
          return identity;
        },
        (error: unknown) => {
          if (inFlight.get(name) === promise) inFlight.delete(name);
          throw error;
        },
      );
    if (share) {
      inFlight.set(name, promise);
      // A store that never answers must not hold the entry (nor its callers) for ever.
      const timer = setTimeout(() => {
        if (inFlight.get(name) === promise) inFlight.delete(name);
      }, inFlightTimeoutMs);
      timer.unref?.();
      promise.then(
        () => clearTimeout(timer),
        () => clearTimeout(timer),
      );
    }
    return promise;
  };

  return Object.defineProperties(lookup, {
    invalidate: {
      value: (apiKey: string) => {
        const name = hashKey(apiKey);
        cache.delete(name);
        inFlight.delete(name);
      },
    },
    clear: {
      value: () => {
        cache.clear();
        inFlight.clear();
      },
    },
    size: { get: () => cache.size },
    inFlight: { get: () => inFlight.size },
  }) as CachedKeyStore;
}

/** Looks a key up by its SHA-256 hex digest (lower case, 64 characters). */
export type LookupByHash = (sha256Hex: string) => Identity | null | undefined | Promise<Identity | null | undefined>;

/**
 * A key store over a store that keeps only SHA-256 digests of keys: the presented key is hashed
 * with `hashKey` and the digest looked up. Store `hashKey(newKey)` when you issue a key.
 */
export function hashedKeys(lookupByHash: LookupByHash): ResolveKey {
  if (typeof lookupByHash !== 'function') throw new TwoFaConfigError('hashedKeys: lookupByHash must be a function');
  return (apiKey: string) => lookupByHash(hashKey(apiKey));
}
