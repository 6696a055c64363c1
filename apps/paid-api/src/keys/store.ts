/**
 * The kit's key store for this database: `cachedKeys` in front of `lookupKey`, so a key is looked
 * up in PostgreSQL at most once per TTL per instance (and once however many requests wait on it).
 *
 * - Revocation, plan and limit changes reach an instance when its cache entry ends (`ttlMs`), or
 *   sooner when a change notification clears the cache (`changes.ts`).
 * - Expiry and the end of a rotation's grace period are exact: the cached entry carries the moment
 *   the key stops working, checked on every request against this instance's clock.
 */
import { cachedKeys, hashKey, type Identity } from '@twofa-kit/core';
import type pg from 'pg';
import { type KeyIdentity, lookupKey } from './service.js';

/** Default key-cache TTL: the stated bound on revocation when no notification arrives. */
export const DEFAULT_KEY_CACHE_TTL_MS = 10_000;

/** Default grace of a past-due subscription: 3 days. */
export const DEFAULT_PAST_DUE_GRACE_MS = 259_200_000;

export interface KeyStoreOptions {
  /** How long a key's answer is reused, in ms. Default 10,000. */
  ttlMs?: number;
  /** How long an unknown key is remembered as unknown, in ms. Default 2,000. */
  negativeTtlMs?: number;
  /** Unix ms. Default `Date.now`. Tests move it instead of sleeping. */
  clock?: () => number;
  /**
   * How long a customer whose subscription is past due keeps using its plan, in ms; after it the
   * keys answer 402 `Payment required` (`reason: subscription_past_due`). Default 3 days.
   */
  pastDueGraceMs?: number;
}

export interface DbKeyStore {
  /** The `resolveKey` option of the kit. */
  readonly resolveKey: (apiKey: string) => Promise<Identity | null>;
  /** Forgets every cached key (on a change notification). */
  clear(): void;
}

export function dbKeyStore(pool: Pick<pg.Pool, 'query'>, options: KeyStoreOptions = {}): DbKeyStore {
  const clock = options.clock ?? Date.now;
  const pastDueGraceMs = options.pastDueGraceMs ?? DEFAULT_PAST_DUE_GRACE_MS;
  const cache = cachedKeys((apiKey) => lookupKey(pool, hashKey(apiKey)), {
    ttlMs: options.ttlMs ?? DEFAULT_KEY_CACHE_TTL_MS,
    negativeTtlMs: options.negativeTtlMs ?? 2_000,
    clock,
  });
  return {
    resolveKey: async (apiKey) => {
      const found = (await cache(apiKey)) as KeyIdentity | null | undefined;
      if (found == null) return null;
      const now = clock();
      if (found.validUntil !== null && now >= found.validUntil) return null;
      if (found.pastDueSince !== null && now >= found.pastDueSince + pastDueGraceMs) {
        return { id: found.id, plan: found.plan, limits: found.limits, paymentRequired: 'subscription_past_due' };
      }
      return { id: found.id, plan: found.plan, limits: found.limits };
    },
    clear: () => cache.clear(),
  };
}
