import { hash } from 'node:crypto';
import { TwoFaConfigError } from '../http/errors.js';
import type { HeaderMap, Identity, ResolveKey } from '../types.js';

/** Longest API key the surface will look up; longer ones are rejected as unknown (401). */
export const MAX_API_KEY_LENGTH = 256;

/** SHA-256 of a key, hex: what may be stored, logged or used as a name instead of the key. */
export function hashKey(apiKey: string): string {
  return hash('sha256', apiKey, 'hex'); // one-shot: no Hash object, no Buffer
}

/**
 * The presented key: the `X-API-Key` header, else (when allowed) the `api_key` query parameter.
 * Surrounding whitespace is trimmed. A repeated or empty value is no key.
 */
export function presentedKey(headers: HeaderMap, query: URLSearchParams, allowQuery: boolean): string | undefined {
  const h = headers['x-api-key'];
  if (h !== undefined) {
    if (typeof h !== 'string') return undefined;
    const key = h.trim();
    return key === '' || key.length > MAX_API_KEY_LENGTH ? undefined : key;
  }
  if (!allowQuery) return undefined;
  const all = query.getAll('api_key');
  if (all.length !== 1) return undefined;
  const key = (all[0] as string).trim();
  return key === '' || key.length > MAX_API_KEY_LENGTH ? undefined : key;
}

export type StaticKeyTable = Readonly<Record<string, Identity | string>> | ReadonlyMap<string, Identity | string>;

/**
 * A key store over a fixed table of `key → identity` (`{ plan, id }`, the id yours) or `key → plan`
 * (the id then being `key_` and 16 hex digits of the key's unsalted SHA-256: prefer giving ids,
 * since ids show up in events and logs). Keys are held only as SHA-256 digests; a lookup hashes
 * the presented key and looks its digest up. Only digests are ever compared, so timing reveals
 * nothing about how much of a key was right (a digest's first matching characters say nothing of
 * the key's), and one lookup costs one SHA-256 of the presented key.
 */
export function staticKeys(table: StaticKeyTable): ResolveKey {
  const byDigest = new Map<string, Identity>();
  const entries = table instanceof Map ? [...table.entries()] : Object.entries(table);
  for (const [key, value] of entries) {
    if (typeof key !== 'string' || key.trim() === '' || key !== key.trim()) {
      throw new TwoFaConfigError('staticKeys: keys must be non-empty strings without surrounding whitespace');
    }
    const digest = hashKey(key);
    const identity: Identity = typeof value === 'string' ? { id: `key_${digest.slice(0, 16)}`, plan: value } : value;
    if (typeof identity.id !== 'string' || identity.id === '' || typeof identity.plan !== 'string') {
      throw new TwoFaConfigError('staticKeys: each identity needs a string id and plan');
    }
    // Ids appear in events, logs and (hashed) Redis key names: an id that is its key would leak it.
    if (identity.id === key) throw new TwoFaConfigError('staticKeys: an identity id must not be its key');
    byDigest.set(digest, Object.freeze({ ...identity }));
  }
  return (apiKey: string) => byDigest.get(hashKey(apiKey)) ?? null;
}

/** Parses `TWOFA_API_KEYS`-style text: comma-separated `key:plan` pairs. */
export function parseKeyList(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const colon = item.lastIndexOf(':');
    if (colon <= 0 || colon === item.length - 1) {
      throw new TwoFaConfigError('API key list: each entry must be key:plan');
    }
    out.set(item.slice(0, colon).trim(), item.slice(colon + 1).trim());
  }
  return out;
}
