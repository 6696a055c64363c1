import { isIPv4, isIPv6 } from 'node:net';
import { TwoFaConfigError, TwoFaError } from './errors.js';
import { secondsCeil } from './ratelimit.js';
import { MemoryStore } from './stores/memory.js';
import type { WindowSpec } from './stores/types.js';
import type { Identity } from './types.js';

/**
 * The failed-auth guard: answers of 401 are themselves limited per client address, so the surface
 * cannot be used to guess keys. A client past the limit gets 429 `TOO_MANY_AUTH_FAILURES` (with
 * `retry_after` and `Retry-After`) before its key is looked at, for any key, valid or not, until
 * the window ends. Successful lookups do not reset the count.
 *
 * Exact within one process even when lookups are slow: an address may have at most as many
 * distinct keys in flight as it has failures left, so a burst of concurrent guesses cannot
 * overshoot the limit. Requests past that wait (within the key lookup timeout) for a lookup of the
 * same address to settle instead of being refused, so many users behind one address with valid
 * keys are only queued, never locked out; many requests with the same key count once.
 * Per process: several instances each allow the limit.
 */

/** Public option: `false` turns the guard off. */
export interface AuthFailureLimitOptions {
  /** 401s allowed per client address per window. Default 20. */
  max?: number;
  /** Window length in seconds (a fixed window aligned to the UTC clock). Default 60. */
  windowSeconds?: number;
  /** Client addresses remembered at once (LRU). Default 10,000. */
  maxClients?: number;
}

export interface AuthFailureLimit {
  readonly max: number;
  readonly windowSeconds: number;
  readonly maxClients: number;
}

export const DEFAULT_AUTH_FAILURE_LIMIT: AuthFailureLimit = Object.freeze({
  max: 20,
  windowSeconds: 60,
  maxClients: 10_000,
});

function int(name: string, value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new TwoFaConfigError(`authFailureLimit.${name} must be an integer from 1 to ${max}, got ${String(value)}`);
  }
  return value;
}

/** Validates the `authFailureLimit` option (undefined → the defaults; false → off). */
export function resolveAuthFailureLimit(option: AuthFailureLimitOptions | false | undefined): AuthFailureLimit | false {
  if (option === false) return false;
  if (option === undefined) return DEFAULT_AUTH_FAILURE_LIMIT;
  if (typeof option !== 'object' || option === null) {
    throw new TwoFaConfigError('authFailureLimit must be false or { max, windowSeconds, maxClients }');
  }
  return Object.freeze({
    max: int('max', option.max, DEFAULT_AUTH_FAILURE_LIMIT.max, 1_000_000),
    windowSeconds: int('windowSeconds', option.windowSeconds, DEFAULT_AUTH_FAILURE_LIMIT.windowSeconds, 86_400),
    maxClients: int('maxClients', option.maxClients, DEFAULT_AUTH_FAILURE_LIMIT.maxClients, 10_000_000),
  });
}

/**
 * The bucket of a client address: IPv4 as is (also when IPv4-mapped, `::ffff:1.2.3.4`); IPv6 by
 * its /64 prefix, since one host usually holds a whole /64; no address → the shared `unknown`.
 */
export function clientBucket(ip: string | undefined): string {
  if (ip === undefined || ip === '') return 'unknown';
  if (!ip.includes(':')) return ip; // IPv4 (or a host's own label)
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped !== null && isIPv4(mapped[1] as string)) return mapped[1] as string;
  if (!isIPv6(ip)) return ip;
  const addr = ip.split('%')[0] as string;
  const [head = '', tail] = addr.includes('::') ? addr.split('::') : [addr, undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

export interface AuthGuard {
  /**
   * Runs one key lookup for a client: refuses with TOO_MANY_AUTH_FAILURES when the client is over
   * the limit (the lookup never runs), and counts a `null` answer as a failure. A lookup that
   * throws (store down) is not the client's failure and is not counted.
   */
  lookup(
    ip: string | undefined,
    apiKey: string | undefined,
    run: () => Promise<Identity | null>,
  ): Promise<Identity | null>;
}

const OFF: AuthGuard = { lookup: (_ip, _key, run) => run() };

/**
 * Lookups in flight for one client address, by key (held only while its lookup runs, as the request
 * itself holds it), and the requests waiting for one to settle.
 */
interface Pending {
  readonly keys: Map<string, number>;
  readonly waiting: (() => void)[];
}

export function createAuthGuard(limit: AuthFailureLimit | false, clock: () => number): AuthGuard {
  if (limit === false) return OFF;
  const store = new MemoryStore({ clock, maxIdentities: limit.maxClients });
  const windows: readonly WindowSpec[] = [{ name: 'auth', seconds: limit.windowSeconds, limit: limit.max }];
  const pending = new Map<string, Pending>();

  /** Registers a lookup once the address has room for it as a potential failure; refuses at 0 left. */
  async function admit(bucket: string, token: string): Promise<void> {
    for (;;) {
      const state = store.peek(bucket, windows).windows[0] as { remaining: number; resetMs: number };
      if (state.remaining <= 0) {
        const retryAfter = secondsCeil(state.resetMs);
        throw new TwoFaError('TOO_MANY_AUTH_FAILURES', {
          data: { retry_after: retryAfter },
          headers: { 'retry-after': String(retryAfter) },
        });
      }
      let p = pending.get(bucket);
      const guesses = (p?.keys.size ?? 0) + (p?.keys.has(token) ? 0 : 1);
      if (p === undefined || guesses <= state.remaining) {
        if (p === undefined) {
          p = { keys: new Map(), waiting: [] };
          pending.set(bucket, p);
        }
        p.keys.set(token, (p.keys.get(token) ?? 0) + 1);
        return;
      }
      const queue = p.waiting;
      await new Promise<void>((resolve) => queue.push(resolve));
    }
  }

  function settle(bucket: string, token: string, failed: boolean): void {
    if (failed) store.consume(bucket, windows);
    const p = pending.get(bucket);
    if (p === undefined) return;
    const n = (p.keys.get(token) ?? 1) - 1;
    if (n > 0) p.keys.set(token, n);
    else p.keys.delete(token);
    if (p.keys.size === 0) pending.delete(bucket);
    for (const wake of p.waiting.splice(0)) wake();
  }

  return {
    async lookup(ip, apiKey, run) {
      const bucket = clientBucket(ip);
      const token = apiKey ?? '';
      await admit(bucket, token);
      let identity: Identity | null | undefined;
      try {
        identity = await run();
        return identity;
      } finally {
        settle(bucket, token, identity === null);
      }
    },
  };
}
