import { createHmac, hash, randomBytes } from 'node:crypto';
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

export interface StaticKeysOptions {
  /**
   * The secret the ids of `key → plan` entries are derived with: `key_` and 16 hex digits of
   * HMAC-SHA256(idSecret, key), so an id seen in metrics, events or logs cannot be tested against
   * guessed keys without it. At least 16 characters; the same on every instance sharing a limiter
   * store (ids name the counters). Default: a random secret of this process, so ids change at
   * every start, and such a table is refused beside a shared store (see `staticKeys`).
   */
  idSecret?: string;
}

/** Minimum length of `idSecret`. */
export const MIN_ID_SECRET_LENGTH = 16;

/** This process's id secret, made on first use, for tables given no `idSecret`. */
let processIdSecret: Buffer | undefined;

/** Key stores whose ids were derived with this process's own random secret. */
const PER_PROCESS_IDS = new WeakSet<ResolveKey>();

/**
 * A key store over a fixed table of `key → identity` (`{ plan, id }`, the id yours) or `key → plan`
 * (the id then being `key_` and 16 hex digits of an HMAC-SHA256 of the key under `idSecret`:
 * prefer giving ids, since ids show up in events and logs). Keys are held only as SHA-256 digests;
 * a lookup hashes the presented key and looks its digest up. Only digests are ever compared, so
 * timing reveals nothing about how much of a key was right (a digest's first matching characters
 * say nothing of the key's), and one lookup costs one SHA-256 of the presented key.
 *
 * Without `idSecret`, `key → plan` ids are derived with a random secret of this process: fine with
 * the memory store (its counts live and die with the process), refused by `createTwoFa` beside any
 * other store, where each instance and each restart would count the same key apart.
 */
export function staticKeys(table: StaticKeyTable, options: StaticKeysOptions = {}): ResolveKey {
  const idSecret = options.idSecret;
  if (idSecret !== undefined && (typeof idSecret !== 'string' || idSecret.length < MIN_ID_SECRET_LENGTH)) {
    throw new TwoFaConfigError(`staticKeys: idSecret must be a string of at least ${MIN_ID_SECRET_LENGTH} characters`);
  }
  let perProcess = false;
  const idKey = (): string | Buffer => {
    if (idSecret !== undefined) return idSecret;
    perProcess = true;
    processIdSecret ??= randomBytes(32);
    return processIdSecret;
  };
  const byDigest = new Map<string, Identity>();
  const entries = table instanceof Map ? [...table.entries()] : Object.entries(table);
  for (const [key, value] of entries) {
    if (typeof key !== 'string' || key.trim() === '' || key !== key.trim()) {
      throw new TwoFaConfigError('staticKeys: keys must be non-empty strings without surrounding whitespace');
    }
    const digest = hashKey(key);
    const identity: Identity =
      typeof value === 'string'
        ? { id: `key_${createHmac('sha256', idKey()).update(key).digest('hex').slice(0, 16)}`, plan: value }
        : value;
    if (typeof identity.id !== 'string' || identity.id === '' || typeof identity.plan !== 'string') {
      throw new TwoFaConfigError('staticKeys: each identity needs a string id and plan');
    }
    // Ids appear in events, logs and (hashed) Redis key names: an id that is its key would leak it.
    if (identity.id === key) throw new TwoFaConfigError('staticKeys: an identity id must not be its key');
    byDigest.set(digest, Object.freeze({ ...identity }));
  }
  const resolveKey: ResolveKey = (apiKey: string) => byDigest.get(hashKey(apiKey)) ?? null;
  if (perProcess) PER_PROCESS_IDS.add(resolveKey);
  return resolveKey;
}

/**
 * Refuses, at start-up, a `staticKeys` table whose ids change at every start (no `idSecret`)
 * beside a store that outlives the process or is shared by instances (anything but the memory
 * store): each instance and each restart would count the same key apart.
 */
export function checkSharedIds(resolveKey: ResolveKey, storeIsLocal: boolean): void {
  if (storeIsLocal || !PER_PROCESS_IDS.has(resolveKey)) return;
  throw new TwoFaConfigError(
    'staticKeys: with a shared limiter store, give staticKeys an idSecret (the same on every instance) or give each key its own id; ids made without one change at every start',
  );
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
