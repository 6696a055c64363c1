import type { TwoFaEvent, TwoFaEventType } from './events.js';
import { bodyParams, EMPTY_PARAMS, formParams } from './http/body.js';
import { CONTENT_TYPE, envelope, errorEnvelope } from './http/envelope.js';
import { type ErrorKind, TwoFaError } from './http/errors.js';
import { readParams } from './http/params.js';
import { trimTrailingSlashes } from './http/path.js';
import { createAuthGuard } from './keys/auth-guard.js';
import { presentedKey } from './keys/static-keys.js';
import { hasCalendarWindow, policyHeader, rateLimitHeaders, secondsCeil } from './limits/headers.js';
import { windowsFor } from './limits/plans.js';
import type { GuardCounter } from './limits/stores/guard-types.js';
import type { ConsumeResult, WindowSpec } from './limits/stores/types.js';
import { type ResolvedConfig, resolveOptions, type TwoFaOptions } from './options.js';
import { ROUTES } from './routes/index.js';
import type { RouteDef } from './routes/types.js';
import type { Identity, TwoFaRequest, TwoFaResponse } from './types.js';

/** A configured surface: the route table and the one entry point adapters call. */
export interface TwoFa {
  readonly config: ResolvedConfig;
  readonly routes: readonly RouteDef[];
  /** Answers one request. Never throws: an unexpected error becomes the masked 500 envelope. */
  handle(request: TwoFaRequest): Promise<TwoFaResponse>;
  /** Closes the store when the core created it. */
  close(): Promise<void>;
}

/**
 * The limits that apply to one identity, with the policy header computed once per plan (or, with
 * a calendar month whose length varies, per response: `undefined`).
 */
interface Limits {
  readonly windows: readonly WindowSpec[];
  readonly policy: string | undefined;
}

const HEAD_AS_GET = new Map([['HEAD', 'GET']]);
const NO_QUERY = new URLSearchParams();

export function createTwoFa(options: TwoFaOptions): TwoFa {
  const config = resolveOptions(options);
  const routes = ROUTES;
  const byPath = new Map(routes.map((r) => [r.path, r]));
  const planLimits = new Map<string, Limits>();
  const authGuard = createAuthGuard(config.authFailureLimit, config.clock, guardCounterOf(config.store));

  function limitsFor(identity: Identity): Limits | undefined {
    // Cached per configured plan only: plan strings a key store makes up never grow the cache.
    if (identity.limits === undefined && Object.hasOwn(config.plans, identity.plan)) {
      let limits = planLimits.get(identity.plan);
      if (limits === undefined) {
        limits = makeLimits(identity);
        if (limits !== undefined) planLimits.set(identity.plan, limits);
      }
      return limits;
    }
    return makeLimits(identity);
  }
  function makeLimits(identity: Identity): Limits | undefined {
    const windows = windowsFor(config.plans, identity);
    if (windows === undefined) return undefined;
    return { windows, policy: hasCalendarWindow(windows) ? undefined : policyHeader(windows) };
  }

  function emit(
    type: TwoFaEventType,
    route: RouteDef | undefined,
    status: number,
    identity: Identity | null,
    started: number,
    extra: { error?: unknown; valid?: boolean; kind?: ErrorKind } = {},
    decision?: LimiterDecision,
    limit?: ConsumeResult,
  ): void {
    const listener = config.onEvent;
    if (listener === undefined) return;
    const event: TwoFaEvent = {
      type,
      route: route?.id ?? null,
      status,
      identityId: identity?.id ?? null,
      plan: identity?.plan ?? null,
      durationMs: performance.now() - started,
      ...(decision === undefined || limit === undefined ? {} : { limiter: decision, windows: limit.windows }),
      ...extra,
    };
    try {
      listener(event);
    } catch {
      // A listener's failure must not change the response.
    }
  }

  async function resolveIdentity(apiKey: string, timeoutMs: number): Promise<Identity | null> {
    let result: ReturnType<typeof config.resolveKey>;
    try {
      result = config.resolveKey(apiKey);
    } catch (cause) {
      throw new TwoFaError('INTERNAL', { cause });
    }
    if (isThenable(result)) result = await withTimeout(Promise.resolve(result), timeoutMs);
    if (result === null || result === undefined) return null;
    if (
      typeof result !== 'object' ||
      typeof result.id !== 'string' ||
      result.id === '' ||
      typeof result.plan !== 'string'
    ) {
      throw new TwoFaError('INTERNAL', {
        cause: new TypeError('resolveKey returned something that is not an identity'),
      });
    }
    return result;
  }

  /** One limiter call, bounded by `storeTimeoutMs` when the store answers with a promise. */
  async function askStore(operation: 'consume' | 'peek', id: string, windows: readonly WindowSpec[]) {
    const pending = operation === 'consume' ? config.store.consume(id, windows) : config.store.peek(id, windows);
    return isThenable(pending) ? withTimeout(Promise.resolve(pending), config.storeTimeoutMs) : pending;
  }

  async function handle(request: TwoFaRequest): Promise<TwoFaResponse> {
    const started = performance.now();
    let route: RouteDef | undefined;
    let identity: Identity | null = null;
    let rateHeaders: Record<string, string> = {};
    let limit: ConsumeResult | undefined;
    let decision: LimiterDecision | undefined;
    try {
      const path = request.path;
      route = byPath.get(path.length > 1 && path.endsWith('/') ? trimTrailingSlashes(path) : path);
      if (route === undefined) throw new TwoFaError('NOT_FOUND');
      const method = HEAD_AS_GET.get(request.method) ?? request.method;
      if (!(route.methods as readonly string[]).includes(method)) {
        throw new TwoFaError('METHOD_NOT_ALLOWED', { headers: { allow: allowHeader(route) } });
      }
      const query = request.rawQuery === '' ? NO_QUERY : new URLSearchParams(request.rawQuery);

      // With `countInvalidRequests: false` a quota route only peeks first (a full quota is still a
      // 429 before the body is read) and counts once the input is known to be valid.
      let countAfterValidation: Limits | undefined;
      if (route.auth) {
        const apiKey = presentedKey(request.headers, query, config.allowQueryKey);
        // The failed-auth guard refuses a client past its 401 limit before the key store is asked.
        // One deadline for the whole lookup, waiting behind other lookups of the address included.
        identity = await authGuard.lookup(
          request.ip,
          apiKey,
          async (timeLeftMs) => (apiKey === undefined ? null : resolveIdentity(apiKey, timeLeftMs)),
          config.keyLookupTimeoutMs,
        );
        if (identity === null) throw new TwoFaError('UNAUTHORIZED');
        const limits = limitsFor(identity);
        if (limits === undefined) {
          throw new TwoFaError('INTERNAL', {
            cause: new Error(`identity ${identity.id} has an unknown plan or invalid limit overrides`),
          });
        }
        if (limits.windows.length > 0 && route.quota !== 'none') {
          if (route.quota === 'consume' && !config.countInvalidRequests) countAfterValidation = limits;
          const operation = countAfterValidation ? 'peek' : route.quota;
          limit = await askStore(operation, identity.id, limits.windows);
          decision = route.quota === 'consume' && !limit.allowed ? 'refused' : decided(operation);
          rateHeaders = rateLimitHeaders(limits.policy, limit);
          if (route.quota === 'consume' && !limit.allowed) throw rateLimited(limit);
        }
      }

      const body =
        request.method === 'GET' || request.method === 'HEAD'
          ? EMPTY_PARAMS
          : await bodyParams(request.body, request.headers, config.bodyLimit);
      const values = readParams(route.params, body, request.rawQuery === '' ? EMPTY_PARAMS : formParams(query));
      if (countAfterValidation !== undefined && identity !== null) {
        route.validate?.(values, config);
        limit = await askStore('consume', identity.id, countAfterValidation.windows);
        decision = limit.allowed ? 'admitted' : 'refused';
        rateHeaders = rateLimitHeaders(countAfterValidation.policy, limit);
        if (!limit.allowed) throw rateLimited(limit);
      }
      const outcome = await route.handle({
        request,
        identity,
        values,
        limit,
        nowMs: config.clock(),
        config,
      });
      emit(outcome.event, route, 200, identity, started, outcome.eventFields, decision, limit);
      if (outcome.document !== undefined) {
        return {
          status: 200,
          headers: { ...rateHeaders, 'content-type': CONTENT_TYPE },
          body: outcome.document,
        };
      }
      return envelope(200, route.success.message, outcome.data, rateHeaders);
    } catch (error) {
      if (error instanceof TwoFaError && error.kind !== 'INTERNAL') {
        const fields = error.kind === 'UNAVAILABLE' ? { error, kind: error.kind } : { kind: error.kind };
        emit(eventFor(error), route, error.status, identity, started, fields, decision, limit);
        return envelope(error.status, error.message, error.data, { ...rateHeaders, ...error.headers });
      }
      emit('error', route, 500, identity, started, { error, kind: 'INTERNAL' }, decision, limit);
      return errorEnvelope('INTERNAL', null, rateHeaders);
    }
  }

  return {
    config,
    routes,
    handle,
    async close() {
      if (config.ownsStore) await config.store.close?.();
    },
  };
}

/** What the limiter decided for a request, for its event. */
type LimiterDecision = NonNullable<TwoFaEvent['limiter']>;

function decided(operation: 'consume' | 'peek'): LimiterDecision {
  return operation === 'consume' ? 'admitted' : 'peeked';
}

/** 429 with `retry_after` (whole seconds, rounded up) in the body and the `Retry-After` header. */
function rateLimited(limit: ConsumeResult): TwoFaError {
  const retryAfter = secondsCeil(limit.retryAfterMs);
  return new TwoFaError('RATE_LIMITED', {
    data: { retry_after: retryAfter },
    headers: { 'retry-after': String(retryAfter) },
  });
}

/** The store's own failed-auth counter (Redis: shared by every instance), when it has one. */
function guardCounterOf(store: ResolvedConfig['store']): GuardCounter | undefined {
  const authFailures = store.authFailures;
  return typeof authFailures === 'function' ? { authFailures: authFailures.bind(store) } : undefined;
}

function eventFor(error: TwoFaError): TwoFaEventType {
  switch (error.kind) {
    case 'RATE_LIMITED':
    case 'TOO_MANY_AUTH_FAILURES':
      return 'rate_limited';
    case 'UNAUTHORIZED':
      return 'unauthorized';
    case 'UNAVAILABLE':
      return 'error';
    default:
      return 'rejected';
  }
}

function allowHeader(route: RouteDef): string {
  const methods = new Set<string>(route.methods);
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].join(', ');
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

/** Resolves like `promise`, or rejects with UNAVAILABLE (503) after `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TwoFaError('UNAVAILABLE')), ms);
  });
  return Promise.race([promise, timeout]).then(
    (v) => {
      clearTimeout(timer);
      return v;
    },
    (cause: unknown) => {
      clearTimeout(timer);
      throw cause instanceof TwoFaError ? cause : new TwoFaError('INTERNAL', { cause });
    },
  );
}
