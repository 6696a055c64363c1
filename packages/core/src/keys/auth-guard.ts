import { TwoFaConfigError, TwoFaError } from '../http/errors.js';
import { secondsCeil } from '../limits/headers.js';
import { MemoryGuardCounter } from '../limits/stores/guard-memory.js';
import type { GuardBucket, GuardCounter, GuardState } from '../limits/stores/guard-types.js';
import { isThenable, type MaybePromise } from '../maybe-promise.js';
import { checkKnownOptions, checkNumber } from '../option-checks.js';
import type { Identity } from '../types.js';
import { clientBuckets } from './client-buckets.js';
import { hashKey } from './static-keys.js';

/**
 * The failed-auth guard: answers of 401 are themselves limited per client address, so the surface
 * cannot be used to guess keys. A client past the limit gets 429 `TOO_MANY_AUTH_FAILURES` (with
 * `retry_after` and `Retry-After`) before its key is looked at, for any key, valid or not, until
 * the window ends. Successful lookups do not reset the count.
 *
 * Exact within one process even when lookups are slow: an address may have at most as many
 * distinct keys in flight as it has failures left, so a burst of concurrent guesses cannot
 * overshoot the limit. Requests past that wait for a lookup of the same address to settle instead
 * of being refused, so many users behind one address with valid keys are only queued, never locked
 * out; many requests with the same key count once. The whole lookup, waiting included, has one
 * deadline (the key lookup timeout): past it, 503. The counts live in the store when it can hold
 * them (`authFailures`: the Redis store, one Lua call, shared by every instance on that Redis),
 * else in a bounded table of this process that never forgets a counting client (see
 * `MemoryGuardCounter`). With a shared store, a key not yet seen valid reserves its failure in the
 * store before the lookup and gives it back when valid, so instances share one budget even in a
 * burst. IPv6 clients count in their /64, /56 and /48 budgets together.
 */

/** Public option: `false` turns the guard off. */
export interface AuthFailureLimitOptions {
  /** 401s allowed per client address per window. Default 20. */
  max?: number;
  /** Window length in seconds (a fixed window aligned to the UTC clock). Default 60. */
  windowSeconds?: number;
  /**
   * Buckets (addresses, IPv6 prefixes) counted exactly at once in process. Default 10,000. A full
   * table never forgets a counting client: new ones are counted in a fixed-size sketch until the
   * window ends, each on its own (see `MemoryGuardCounter`).
   */
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
  return checkNumber(`authFailureLimit.${name}`, value, { min: 1, max }, fallback);
}

/** The code of the warning a guard gives once when a request comes without a client address. */
export const NO_CLIENT_ADDRESS_CODE = 'TWOFA_NO_CLIENT_ADDRESS';
const NO_CLIENT_ADDRESS_WARNING =
  'twofa-kit: a request came without a client address, so the failed-auth guard counts every such ' +
  'request as one client. Pass the address (for the fetch entry: the second argument, `{ ip }`) or ' +
  'set authFailureLimit: false. This warning is given once per process.';

let warnedNoAddress = false;
/** The missing-address warning, once per process (however many cores it runs). */
function warnNoAddress(): void {
  warnedNoAddress = true;
  emitWarning(NO_CLIENT_ADDRESS_WARNING, NO_CLIENT_ADDRESS_CODE);
}

/** A process warning where the runtime has them (Node, Bun, Deno), else the console. */
function emitWarning(message: string, code: string): void {
  const proc = (globalThis as { process?: { emitWarning?: (m: string, o: { code: string }) => void } }).process;
  if (typeof proc?.emitWarning === 'function') proc.emitWarning(message, { code });
  else console.warn(`${code}: ${message}`);
}

/** Validates the `authFailureLimit` option (undefined → the defaults; false → off). */
export function resolveAuthFailureLimit(option: AuthFailureLimitOptions | false | undefined): AuthFailureLimit | false {
  if (option === false) return false;
  if (option === undefined) return DEFAULT_AUTH_FAILURE_LIMIT;
  if (typeof option !== 'object' || option === null) {
    throw new TwoFaConfigError('authFailureLimit must be false or { max, windowSeconds, maxClients }');
  }
  checkKnownOptions('authFailureLimit', option, ['max', 'windowSeconds', 'maxClients']);
  return Object.freeze({
    max: int('max', option.max, DEFAULT_AUTH_FAILURE_LIMIT.max, 1_000_000),
    windowSeconds: int('windowSeconds', option.windowSeconds, DEFAULT_AUTH_FAILURE_LIMIT.windowSeconds, 86_400),
    maxClients: int('maxClients', option.maxClients, DEFAULT_AUTH_FAILURE_LIMIT.maxClients, 10_000_000),
  });
}

/**
 * How long this process reuses the store's answer for a client (ms), for keys it has found valid
 * (the lookups that reserve nothing).
 */
export const SHARED_STATE_REUSE_MS = 1000;

export interface AuthGuard {
  /**
   * Runs one key lookup for a client: refuses with TOO_MANY_AUTH_FAILURES when one of the client's
   * budgets is spent (the lookup never runs), and counts a `null` answer as a failure in each. A
   * lookup that throws (store down) is not the client's failure and is not counted. The whole of
   * it, waiting for room included, has `timeoutMs`: past it, UNAVAILABLE (503). `run` gets the key
   * and the time left. Answers at once (no promise) when the counts and `run` answer at once and
   * the client has room.
   */
  lookup(
    ip: string | undefined,
    apiKey: string | undefined,
    run: (apiKey: string | undefined, timeLeftMs: number) => MaybePromise<Identity | null>,
    timeoutMs: number,
  ): MaybePromise<Identity | null>;
}

const OFF: AuthGuard = { lookup: (_ip, apiKey, run, timeoutMs) => run(apiKey, timeoutMs) };

/**
 * Lookups in flight for one client (by its narrowest bucket), by key (held only while its lookup
 * runs, as the request itself holds it), and the requests waiting for one to settle.
 */
interface Pending {
  readonly keys: Map<string, number>;
  readonly waiting: (() => void)[];
}

/** One reservation, shared by the concurrent lookups of one key from one client. */
interface Share {
  /** Settles with the reservation's state, or rejects when the client has no room. */
  ready: Promise<GuardState>;
  /** The reservation, once made. */
  reserved: GuardState | undefined;
  /** Lookups holding it. */
  holders: number;
  /** A lookup found the key valid / found it unknown. */
  valid: boolean;
  failed: boolean;
}

function tooMany(resetMs: number): TwoFaError {
  const retryAfter = secondsCeil(resetMs);
  return new TwoFaError('TOO_MANY_AUTH_FAILURES', {
    data: { retry_after: retryAfter },
    headers: { 'retry-after': String(retryAfter) },
  });
}

/** Waits for a wake-up in `queue`, or rejects with UNAVAILABLE at `deadline` (performance.now ms). */
function waitIn(queue: (() => void)[], deadline: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const left = deadline - performance.now();
    if (left <= 0) {
      reject(new TwoFaError('UNAVAILABLE'));
      return;
    }
    const wake = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      const at = queue.indexOf(wake);
      if (at >= 0) queue.splice(at, 1);
      reject(new TwoFaError('UNAVAILABLE'));
    }, left);
    queue.push(wake);
  });
}

/**
 * The guard. Counts go to `counter` (the store's `authFailures` when it has one: Redis, shared by
 * every instance) or else to a bounded in-process table.
 */
export function createAuthGuard(
  limit: AuthFailureLimit | false,
  clock: () => number,
  counter?: GuardCounter,
): AuthGuard {
  if (limit === false) return OFF;
  const { windowSeconds, max, maxClients } = limit;
  const counts: GuardCounter = counter ?? new MemoryGuardCounter(limit.maxClients, clock);
  const pending = new Map<string, Pending>();
  /**
   * A store's answers, reused for up to `SHARED_STATE_REUSE_MS` by this process, so a client's
   * requests cost one store call per second, not one each; a failure here refreshes it at once.
   * Timed on the monotonic clock, and never past the window's end on `clock` either (`ends`).
   */
  const recent = new Map<string, { remaining: number; resetAt: number; until: number; ends: number }>();

  function cacheSharedState(name: string, state: GuardState): void {
    if (counter === undefined) return;
    const now = performance.now();
    if (recent.size >= maxClients) recent.clear();
    recent.set(name, {
      remaining: state.remaining,
      resetAt: now + state.resetMs,
      until: now + Math.min(SHARED_STATE_REUSE_MS, state.resetMs),
      ends: clock() + state.resetMs,
    });
  }

  function current(buckets: readonly GuardBucket[], name: string): MaybePromise<GuardState> {
    const hit = counter === undefined ? undefined : recent.get(name);
    if (hit !== undefined) {
      const now = performance.now();
      if (hit.until > now && hit.ends > clock()) return { remaining: hit.remaining, resetMs: hit.resetAt - now };
    }
    const state = counts.authFailures(buckets, windowSeconds, false);
    if (isThenable(state)) return state.then((s) => cachedSharedState(name, s));
    return cachedSharedState(name, state);
  }

  function cachedSharedState(name: string, state: GuardState): GuardState {
    cacheSharedState(name, state);
    return state;
  }

  /** Counts a failure in every bucket of the client (a `null` answer), then answers null. */
  function failed(buckets: readonly GuardBucket[], name: string): MaybePromise<null> {
    const state = counts.authFailures(buckets, windowSeconds, true);
    if (isThenable(state)) {
      return state.then((s) => {
        cacheSharedState(name, s);
        return null;
      });
    }
    cacheSharedState(name, state);
    return null;
  }

  /** Registers a lookup once the client has room for it as a potential failure; refuses at 0 left. */
  async function admit(
    buckets: readonly GuardBucket[],
    token: string,
    deadline: number,
    asked: MaybePromise<GuardState>,
  ): Promise<void> {
    const name = (buckets[0] as GuardBucket).key;
    for (let state = await asked; ; state = await current(buckets, name)) {
      if (state.remaining <= 0) throw tooMany(state.resetMs);
      const p = pending.get(name);
      const guesses = (p?.keys.size ?? 0) + (p?.keys.has(token) ? 0 : 1);
      if (p === undefined || guesses <= state.remaining) {
        register(name, token);
        return;
      }
      await waitIn(p.waiting, deadline);
    }
  }

  /** Holds a place for a lookup in flight (released by `release`). */
  function register(name: string, token: string): void {
    let p = pending.get(name);
    if (p === undefined) {
      p = { keys: new Map(), waiting: [] };
      pending.set(name, p);
    }
    p.keys.set(token, (p.keys.get(token) ?? 0) + 1);
  }

  /** A lookup that answered with a promise: counted when it settles with null, released either way. */
  async function settleLater(
    buckets: readonly GuardBucket[],
    name: string,
    token: string,
    identity: PromiseLike<Identity | null>,
  ): Promise<Identity | null> {
    try {
      const settled = await identity;
      return settled === null ? await failed(buckets, name) : settled;
    } finally {
      release(name, token);
    }
  }

  function release(name: string, token: string): void {
    const p = pending.get(name);
    if (p === undefined) return;
    const n = (p.keys.get(token) ?? 1) - 1;
    if (n > 0) p.keys.set(token, n);
    else p.keys.delete(token);
    if (p.keys.size === 0) pending.delete(name);
    for (const wake of p.waiting.splice(0)) wake();
  }

  /**
   * The lookup when something must be waited for: the counts, room among the client's lookups in
   * flight, or `run` itself. Registered in `pending` while it runs.
   */
  async function lookupLater(
    buckets: readonly GuardBucket[],
    apiKey: string | undefined,
    run: (apiKey: string | undefined, timeLeftMs: number) => MaybePromise<Identity | null>,
    deadline: number,
    state: MaybePromise<GuardState>,
  ): Promise<Identity | null> {
    const name = (buckets[0] as GuardBucket).key;
    const token = apiKey ?? '';
    await admit(buckets, token, deadline, state);
    try {
      const identity = await run(apiKey, Math.max(1, deadline - performance.now()));
      return identity === null ? await failed(buckets, name) : identity;
    } finally {
      release(name, token);
    }
  }

  /**
   * A shared counter that can take a failure back (Redis): a lookup of a key this process has not
   * seen valid counts its failure in the store BEFORE it runs (a reservation every instance sees)
   * and takes it back when the key turns out valid. Instances then share one budget even in a
   * burst: without it, each instance would admit a whole budget of lookups in flight before any of
   * their failures reached the store (N instances, N × the budget).
   */
  const reserving = counter?.releaseAuthFailure !== undefined;
  /** SHA-256 digests of keys found valid by this process: their lookups need no reservation. */
  const valid = new Set<string>();
  /** Reservations shared by the lookups in flight of one client and key digest. */
  const shares = new Map<string, Share>();

  /** Takes a reservation back; a store that fails keeps it (counted: the safe side). */
  async function unreserve(buckets: readonly GuardBucket[]): Promise<void> {
    try {
      await counter?.releaseAuthFailure?.(buckets, windowSeconds);
    } catch {
      // Kept as a failure.
    }
  }

  /**
   * A lookup of a key not known valid, with a shared counter. Concurrent lookups of one key from
   * one client share one reservation (one guess); it is given back once the last of them has
   * settled, when the key was valid (or only the key store failed).
   */
  async function reservedLookup(
    buckets: readonly GuardBucket[],
    apiKey: string | undefined,
    digest: string,
    run: (apiKey: string | undefined, timeLeftMs: number) => MaybePromise<Identity | null>,
    deadline: number,
  ): Promise<Identity | null> {
    const name = (buckets[0] as GuardBucket).key;
    const shareName = `${name}\0${digest}`;
    let share = shares.get(shareName);
    if (share === undefined) {
      const created: Share = {
        ready: reserve(buckets, deadline),
        reserved: undefined,
        holders: 0,
        valid: false,
        failed: false,
      };
      created.ready.then(
        (state) => {
          created.reserved = state;
        },
        () => {}, // each holder gets the refusal
      );
      share = created;
      shares.set(shareName, share);
    }
    share.holders++;
    const token = apiKey ?? '';
    try {
      const reserved = await share.ready;
      register(name, token);
      try {
        const identity = await run(apiKey, Math.max(1, deadline - performance.now()));
        if (identity === null) {
          share.failed = true;
          cacheSharedState(name, reserved); // the reservation is the failure
          return null;
        }
        share.valid = true;
        if (valid.size >= maxClients) valid.clear();
        valid.add(digest);
        return identity;
      } finally {
        release(name, token);
      }
    } finally {
      share.holders--;
      if (share.holders === 0) {
        shares.delete(shareName);
        const reserved = share.reserved;
        if (reserved !== undefined && (share.valid || !share.failed)) {
          await unreserve(buckets);
          // Its reservation given back: at least 1 left (others' may still be held).
          cacheSharedState(name, { remaining: reserved.remaining + 1, resetMs: reserved.resetMs });
        }
      }
    }
  }

  /** Counts one failure in the store for a lookup about to run; refuses when there is no room. */
  async function reserve(buckets: readonly GuardBucket[], deadline: number): Promise<GuardState> {
    const name = (buckets[0] as GuardBucket).key;
    let askedAgain = false;
    for (;;) {
      const hit = recent.get(name);
      if (hit !== undefined && hit.until > performance.now() && hit.ends > clock() && hit.remaining <= 0) {
        throw tooMany(hit.resetAt - performance.now());
      }
      const state = await counts.authFailures(buckets, windowSeconds, true);
      if (state.remaining >= 0) return state;
      await unreserve(buckets);
      // No room: other lookups of this client in flight here may give theirs back; else refused,
      // and so are its next guesses for a moment without asking the store (reservations of valid
      // keys elsewhere may hold it full for as long as their lookups take).
      const p = pending.get(name);
      if (p === undefined) {
        // The lookups that held the room may have ended (and given it back) while the store
        // answered: ask once more before refusing.
        if (!askedAgain) {
          askedAgain = true;
          continue;
        }
        cacheSharedState(name, { remaining: state.remaining + 1, resetMs: state.resetMs });
        throw tooMany(state.resetMs);
      }
      await waitIn(p.waiting, deadline);
    }
  }

  /** The lookup as it is without reservations (the counts read first, failures counted after). */
  function guardedLookup(
    buckets: readonly GuardBucket[],
    apiKey: string | undefined,
    run: (apiKey: string | undefined, timeLeftMs: number) => MaybePromise<Identity | null>,
    deadline: number,
  ): MaybePromise<Identity | null> {
    const name = (buckets[0] as GuardBucket).key;
    const timeoutMs = Math.max(1, deadline - performance.now());
    const state = current(buckets, name);
    if (isThenable(state)) return lookupLater(buckets, apiKey, run, deadline, state);
    if (state.remaining <= 0) throw tooMany(state.resetMs);
    // Lookups of this client still in flight may each fail: run at once only when this one fits
    // beside them (else it waits for room, in lookupLater).
    const token = apiKey ?? '';
    const p = pending.get(name);
    if (p !== undefined && p.keys.size + (p.keys.has(token) ? 0 : 1) > state.remaining) {
      return lookupLater(buckets, apiKey, run, deadline, state);
    }
    // Nothing has yielded since the check above, so registering after `run` has answered with a
    // promise is as exact as registering before; an answer given at once needs no registration.
    const identity = run(apiKey, timeoutMs);
    if (isThenable(identity)) {
      register(name, token);
      return settleLater(buckets, name, token, identity);
    }
    if (identity !== null) return identity;
    // A failure the counts take time to record (Redis) is in flight until they have it.
    const counted = failed(buckets, name);
    if (!isThenable(counted)) return counted;
    register(name, token);
    return Promise.resolve(counted).finally(() => release(name, token));
  }

  return {
    lookup(ip, apiKey, run, timeoutMs) {
      if ((ip === undefined || ip === '') && !warnedNoAddress) warnNoAddress();
      const deadline = performance.now() + timeoutMs;
      const buckets = clientBuckets(ip, max);
      if (!reserving) return guardedLookup(buckets, apiKey, run, deadline);
      const digest = hashKey(apiKey ?? '');
      return valid.has(digest)
        ? guardedLookup(buckets, apiKey, run, deadline)
        : reservedLookup(buckets, apiKey, digest, run, deadline);
    },
  };
}
