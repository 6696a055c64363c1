import type { TwoFaEvent } from './events.js';
import { TwoFaConfigError } from './http/errors.js';
import { trimTrailingSlashes } from './http/path.js';
import { type AuthFailureLimit, type AuthFailureLimitOptions, resolveAuthFailureLimit } from './keys/auth-guard.js';
import { type CreditConfig, type CreditsOptions, type RouteCosts, resolveCredits } from './limits/credits.js';
import { type PlanTable, resolvePlans } from './limits/plans.js';
import { MemoryStore } from './limits/stores/memory.js';
import type { LimiterStore } from './limits/stores/types.js';
import { MemoryVerifyMemory } from './limits/stores/verify-memory.js';
import type { VerifyMemory } from './limits/stores/verify-types.js';
import { checkFlag, checkKnownOptions, checkNumber, checkOptionsObject } from './option-checks.js';
import { CodeCache, type CodeCacheOptions, resolveCodeCache } from './otp/code-cache.js';
import { MAX_SECRET_CHARS, MIN_SECRET_CHARS } from './otp/secret.js';
import type { TotpEngine } from './otp/totp.js';
import { type DocsAssets, loadDocsAssets } from './routes/docs.js';
import type { PlanLimits, ResolveKey } from './types.js';

/** Everything a host can configure. Each field documents its default. */
export interface TwoFaOptions {
  /** Required. The host's key store: API key → identity, or null/undefined for an unknown key. */
  resolveKey: ResolveKey;
  /** Where the surface is mounted. Default `/api/2fa`. */
  prefix?: string;
  /**
   * Plans by name, merged over the defaults (`free`, `pro`, `ultra`): a name given here replaces
   * the default of that name, a new name adds a plan. `null` or an absent window is unlimited.
   */
  plans?: Record<string, Partial<PlanLimits>>;
  /** Use `plans` alone instead of merging it over the defaults. Default false. */
  replacePlans?: boolean;
  /** The limiter backend. Default a `MemoryStore` (100,000 identities, the `clock` below). */
  store?: LimiterStore;
  /** Accept the key in the `api_key` query parameter as well as `X-API-Key`. Default true. */
  allowQueryKey?: boolean;
  /** Largest request body in bytes; larger is a 413. Default 16384. */
  bodyLimit?: number;
  /** Most Base32 characters in a secret (after removing spaces, hyphens, padding). Default 256. */
  maxSecretLength?: number;
  /**
   * Fewest Base32 characters in a secret (after removing spaces, hyphens, padding). Default 16
   * (10 bytes, the API documentation's example `JBSWY3DPEHPK3PXP`); shorter is a 400 `Invalid or missing secret`.
   */
  minSecretLength?: number;
  /** Time allowed to `resolveKey` before the request gets a 503. Default 3000 ms. */
  keyLookupTimeoutMs?: number;
  /**
   * Time allowed to the limiter store's `consume`/`peek` (when it returns a promise) before the
   * request gets a 503. Default 5000 ms. A store with its own outage policy (the Redis store)
   * should decide well within it; this bound is the backstop for a store that never answers.
   */
  storeTimeoutMs?: number;
  /** The clock in Unix milliseconds, for TOTP and the default memory store. Default `Date.now`. */
  clock?: () => number;
  /** `node` (default): node:crypto with otplib's truncation; `otplib`: otplib's generateSync. */
  totpEngine?: TotpEngine;
  /**
   * The generate route's cache of repeated secrets: per identity and exact request values, the
   * decoded secret and the current code, so a secret asked for again within its time step costs a
   * lookup instead of a decode and an HMAC. Bounded: two generations of `max` entries, each entry
   * dropped within 60 s of its last use. Default `{ max: 10000 }`; `false` keeps no secret past
   * its request.
   */
  codeCache?: CodeCacheOptions | false;
  /** Called with each outcome (never the secret, code or key). Errors thrown by it are ignored. */
  onEvent?: (event: TwoFaEvent) => void;
  /**
   * The failed-auth guard: 401s per client address (`TwoFaRequest.ip`, as the host's trust-proxy
   * setting gives it) are limited; past the limit every request from that address gets 429
   * `TOO_MANY_AUTH_FAILURES` before its key is looked up. Default `{ max: 20, windowSeconds: 60,
   * maxClients: 10000 }`; `false` turns it off.
   */
  authFailureLimit?: AuthFailureLimitOptions | false;
  /**
   * Whether a request refused for its input (400 bad secret, parameter, code or body; 413; 415)
   * counts against the quota. Default true: every authenticated request to a quota route counts
   * once it is admitted. With false, such a request is first checked against the quota without
   * counting (a full quota is still a 429 before the body is read), and counted only once its
   * input is valid: two limiter calls per valid request instead of one.
   */
  countInvalidRequests?: boolean;
  /**
   * Guessing bound of `POST /verify`: after `max` failed verifications of one secret by one
   * identity within `windowSeconds` (from the first failure), verifications of that secret answer
   * 429 until the window ends; other secrets are unaffected. Default `{ max: 5, windowSeconds: 300 }`.
   */
  verifyFailureLimit?: { max?: number; windowSeconds?: number };
  /**
   * Serve an API reference page at `GET {prefix}/docs`: an HTML page that renders the OpenAPI
   * document with Scalar's API reference (`@scalar/api-reference`, an optional peer dependency to
   * install beside the kit), its script served by the kit itself under a strict
   * Content-Security-Policy. Default false.
   */
  docs?: boolean;
  /** Credits each route costs an identity that pays by credits. Default `{ generate: 1, verify: 1, usage: 0 }`. */
  costs?: RouteCosts;
  /**
   * Prepaid credits kept in the store (`store.topUp`). Default `{ required: false, lowBalance: 0 }`:
   * an identity holding a balance pays `costs` per request (402 when it runs out); others do not.
   * `false`: no balance is read or charged.
   */
  credits?: CreditsOptions | false;
}

/** Options with every default applied, validated once at construction. */
export interface ResolvedConfig {
  readonly resolveKey: ResolveKey;
  readonly prefix: string;
  readonly plans: PlanTable;
  readonly store: LimiterStore;
  /** True when the store was created here (so `close()` closes it). */
  readonly ownsStore: boolean;
  readonly allowQueryKey: boolean;
  readonly bodyLimit: number;
  readonly maxSecretLength: number;
  readonly minSecretLength: number;
  readonly keyLookupTimeoutMs: number;
  readonly storeTimeoutMs: number;
  readonly clock: () => number;
  readonly totpEngine: TotpEngine;
  /** The generate route's cache of repeated secrets (`codeCache`), or undefined when off. */
  readonly codes: CodeCache | undefined;
  readonly onEvent: ((event: TwoFaEvent) => void) | undefined;
  readonly countInvalidRequests: boolean;
  readonly authFailureLimit: AuthFailureLimit | false;
  readonly verifyFailureLimit: { readonly max: number; readonly windowSeconds: number };
  /** The API reference page's renderer (`docs: true`), or undefined when the page is off. */
  readonly docs: DocsAssets | undefined;
  /** The verify route's replay memory: the store's own (`recordVerification`), else one per process. */
  readonly verifyMemory: VerifyMemory;
  /** Prepaid credits (`costs`, `credits`), or false when off or the store keeps none. */
  readonly credits: CreditConfig | false;
}

export const DEFAULT_PREFIX = '/api/2fa';
export const DEFAULT_BODY_LIMIT = 16 * 1024;
export const DEFAULT_KEY_LOOKUP_TIMEOUT_MS = 3000;
export const DEFAULT_STORE_TIMEOUT_MS = 5000;

/**
 * Every option name, so a misspelt one is refused at construction (`prefx` → did you mean `prefix`).
 * A `Record` over the keys of `TwoFaOptions`: a new option cannot be left out of it.
 */
const OPTION_NAMES: Record<keyof TwoFaOptions, true> = {
  resolveKey: true,
  prefix: true,
  plans: true,
  replacePlans: true,
  store: true,
  allowQueryKey: true,
  bodyLimit: true,
  maxSecretLength: true,
  minSecretLength: true,
  keyLookupTimeoutMs: true,
  storeTimeoutMs: true,
  clock: true,
  totpEngine: true,
  codeCache: true,
  onEvent: true,
  authFailureLimit: true,
  countInvalidRequests: true,
  verifyFailureLimit: true,
  docs: true,
  costs: true,
  credits: true,
};
/** The names of `TwoFaOptions`, for adapters whose options are the core's. */
export const TWOFA_OPTION_NAMES: readonly string[] = Object.keys(OPTION_NAMES);
const VERIFY_FAILURE_LIMIT_NAMES = ['max', 'windowSeconds'] as const;

/** Normalises a mount prefix: leading slash, no trailing slash, `/` allowed as the root. */
export function normalisePrefix(prefix: string): string {
  if (typeof prefix !== 'string' || !prefix.startsWith('/') || /[?#\s]/.test(prefix)) {
    throw new TwoFaConfigError(`prefix must be a path starting with "/", got ${JSON.stringify(prefix)}`);
  }
  const trimmed = trimTrailingSlashes(prefix);
  return trimmed;
}

function verifyMemoryOf(store: LimiterStore, clock: () => number): VerifyMemory {
  const record = store.recordVerification;
  if (typeof record === 'function') return { recordVerification: record.bind(store) };
  return new MemoryVerifyMemory(clock);
}

function codesOf(option: CodeCacheOptions | false | undefined, clock: () => number): CodeCache | undefined {
  const resolved = resolveCodeCache(option);
  return resolved === false ? undefined : new CodeCache(resolved.max, clock);
}

function verifyFailureLimitOf(option: TwoFaOptions['verifyFailureLimit']): ResolvedConfig['verifyFailureLimit'] {
  const limit = checkOptionsObject('verifyFailureLimit', option, VERIFY_FAILURE_LIMIT_NAMES);
  return Object.freeze({
    max: checkNumber('verifyFailureLimit.max', limit.max, { min: 1, max: 1_000_000 }, 5),
    windowSeconds: checkNumber('verifyFailureLimit.windowSeconds', limit.windowSeconds, { min: 1, max: 86_400 }, 300),
  });
}

export function resolveOptions(options: TwoFaOptions): ResolvedConfig {
  if (typeof options !== 'object' || options === null) throw new TwoFaConfigError('options are required');
  checkKnownOptions('createTwoFa', options, TWOFA_OPTION_NAMES);
  if (typeof options.resolveKey !== 'function') {
    throw new TwoFaConfigError('resolveKey is required: a function from API key to { id, plan } or null');
  }
  const clock = options.clock ?? Date.now;
  if (typeof clock !== 'function') throw new TwoFaConfigError('clock must be a function returning Unix ms');
  const engine = options.totpEngine ?? 'node';
  if (engine !== 'node' && engine !== 'otplib') throw new TwoFaConfigError('totpEngine must be "node" or "otplib"');
  const store = options.store ?? new MemoryStore({ clock });
  if (typeof store.consume !== 'function' || typeof store.peek !== 'function') {
    throw new TwoFaConfigError('store must implement consume() and peek()');
  }
  const maxSecretLength = checkNumber(
    'maxSecretLength',
    options.maxSecretLength,
    { min: 1, max: 1024 },
    MAX_SECRET_CHARS,
  );
  const minSecretLength = checkNumber(
    'minSecretLength',
    options.minSecretLength,
    { min: 1, max: maxSecretLength },
    MIN_SECRET_CHARS,
  );
  return Object.freeze({
    resolveKey: options.resolveKey,
    prefix: normalisePrefix(options.prefix ?? DEFAULT_PREFIX),
    plans: resolvePlans(options.plans, checkFlag('replacePlans', options.replacePlans, false)),
    store,
    ownsStore: options.store === undefined,
    allowQueryKey: checkFlag('allowQueryKey', options.allowQueryKey, true),
    bodyLimit: checkNumber('bodyLimit', options.bodyLimit, { min: 1, max: 1024 * 1024 * 1024 }, DEFAULT_BODY_LIMIT),
    maxSecretLength,
    minSecretLength,
    keyLookupTimeoutMs: checkNumber(
      'keyLookupTimeoutMs',
      options.keyLookupTimeoutMs,
      { min: 1 },
      DEFAULT_KEY_LOOKUP_TIMEOUT_MS,
    ),
    storeTimeoutMs: checkNumber('storeTimeoutMs', options.storeTimeoutMs, { min: 1 }, DEFAULT_STORE_TIMEOUT_MS),
    clock,
    totpEngine: engine,
    codes: codesOf(options.codeCache, clock),
    onEvent: options.onEvent,
    countInvalidRequests: checkFlag('countInvalidRequests', options.countInvalidRequests, true),
    authFailureLimit: resolveAuthFailureLimit(options.authFailureLimit),
    verifyFailureLimit: verifyFailureLimitOf(options.verifyFailureLimit),
    verifyMemory: verifyMemoryOf(store, clock),
    docs: checkFlag('docs', options.docs, false) ? loadDocsAssets() : undefined,
    credits: resolveCredits(options.costs, options.credits, store),
  });
}
