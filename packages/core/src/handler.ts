import type { TwoFaEvent, TwoFaEventType } from './events.js';
import { bodyParams, EMPTY_PARAMS, formParams } from './http/body.js';
import { CONTENT_TYPE, envelope, errorEnvelope } from './http/envelope.js';
import { ERROR_KINDS, type ErrorKind, TwoFaError } from './http/errors.js';
import { type ParamValues, readParams } from './http/params.js';
import { trimTrailingSlashes } from './http/path.js';
import { createAuthGuard } from './keys/auth-guard.js';
import { presentedKey } from './keys/static-keys.js';
import { hasCalendarWindow, policyHeader, rateLimitHeaders, secondsCeil } from './limits/headers.js';
import { windowsFor } from './limits/plans.js';
import type { GuardCounter } from './limits/stores/guard-types.js';
import type { ConsumeResult, WindowSpec } from './limits/stores/types.js';
import { isThenable, type Later } from './maybe-promise.js';
import { type ResolvedConfig, resolveOptions, type TwoFaOptions } from './options.js';
import { ROUTES } from './routes/index.js';
import type { RouteDef, RouteOutcome } from './routes/types.js';
import type { Identity, TwoFaRequest, TwoFaResponse } from './types.js';

/** A configured surface: the route table and the entry points adapters call. */
export interface TwoFa {
  readonly config: ResolvedConfig;
  readonly routes: readonly RouteDef[];
  /** Answers one request. Never throws: an unexpected error becomes the masked 500 envelope. */
  handle(request: TwoFaRequest): Promise<TwoFaResponse>;
  /**
   * The same answer as `handle`, given at once when every step has its answer at once (a key
   * store, a limiter and a body that answer synchronously: `staticKeys`, a warm `cachedKeys`, the
   * memory store, a body already read), else as a promise. Never throws; the promise never
   * rejects. The adapters call this, so a synchronous request costs no promise at all.
   */
  respond(request: TwoFaRequest): TwoFaResponse | Promise<TwoFaResponse>;
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

/** What one request has gathered so far: its event and its response headers are built from it. */
interface Pass {
  readonly started: number;
  route: RouteDef | undefined;
  identity: Identity | null;
  limit: ConsumeResult | undefined;
  decision: LimiterDecision | undefined;
  rateHeaders: Readonly<Record<string, string>>;
}

/** One event: its type and status, and the fields only some outcomes have. */
interface Outcome {
  readonly type: TwoFaEventType;
  readonly status: number;
  readonly fields?: { error?: unknown; valid?: boolean; kind?: ErrorKind };
}

const HEAD_AS_GET = new Map([['HEAD', 'GET']]);
const NO_QUERY = new URLSearchParams();
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

export function createTwoFa(options: TwoFaOptions): TwoFa {
  const config = resolveOptions(options);
  const routes = ROUTES;
  const byPath = new Map(routes.map((r) => [r.path, r]));
  const limitsFor = limitsCache(config.plans);
  const authGuard = createAuthGuard(config.authFailureLimit, config.clock, guardCounterOf(config.store));

  /**
   * The pipeline: match → authenticate → charge → read input → (count, when deferred) → answer.
   * Each step either moves the request on or throws a `TwoFaError`; `fail` turns any throw into the
   * envelope. A step whose answer is a promise continues when it settles; every other step runs at
   * once, so a request whose key store, limiter and body answer synchronously is answered
   * synchronously (no promise, no microtask).
   */
  function respond(request: TwoFaRequest): TwoFaResponse | Promise<TwoFaResponse> {
    const pass: Pass = {
      started: config.onEvent === undefined ? 0 : performance.now(),
      route: undefined,
      identity: null,
      limit: undefined,
      decision: undefined,
      rateHeaders: NO_HEADERS,
    };
    try {
      const response = matched(pass, request, match(request));
      return isThenable(response) ? Promise.resolve(response).catch((error) => fail(pass, error)) : response;
    } catch (error) {
      return fail(pass, error);
    }
  }

  function matched(pass: Pass, request: TwoFaRequest, route: RouteDef): Later<TwoFaResponse> {
    pass.route = route;
    const query = request.rawQuery === '' ? NO_QUERY : new URLSearchParams(request.rawQuery);
    if (!route.auth) return withInput(pass, route, request, query, undefined);
    const identity = authenticate(request, query);
    if (isThenable(identity)) return identity.then((id) => authenticated(pass, route, request, query, id));
    return authenticated(pass, route, request, query, identity);
  }

  function authenticated(
    pass: Pass,
    route: RouteDef,
    request: TwoFaRequest,
    query: URLSearchParams,
    identity: Identity,
  ): Later<TwoFaResponse> {
    pass.identity = identity;
    const deferred = charge(pass, route, identity);
    if (isThenable(deferred)) return deferred.then((limits) => withInput(pass, route, request, query, limits));
    return withInput(pass, route, request, query, deferred);
  }

  function withInput(
    pass: Pass,
    route: RouteDef,
    request: TwoFaRequest,
    query: URLSearchParams,
    deferred: Limits | undefined,
  ): Later<TwoFaResponse> {
    const values = readInput(request, route, query);
    if (isThenable(values)) return values.then((v) => withValues(pass, route, request, v, deferred));
    return withValues(pass, route, request, values, deferred);
  }

  function withValues(
    pass: Pass,
    route: RouteDef,
    request: TwoFaRequest,
    values: ParamValues,
    deferred: Limits | undefined,
  ): Later<TwoFaResponse> {
    if (deferred === undefined || pass.identity === null) return answer(pass, route, request, values);
    route.validate?.(values, config);
    const counted = chargeValidated(pass, pass.identity, deferred);
    if (isThenable(counted)) return counted.then(() => answer(pass, route, request, values));
    return answer(pass, route, request, values);
  }

  /** The route for the path and method, or NOT_FOUND / METHOD_NOT_ALLOWED. */
  function match(request: TwoFaRequest): RouteDef {
    const path = request.path;
    const route = byPath.get(path.length > 1 && path.endsWith('/') ? trimTrailingSlashes(path) : path);
    if (route === undefined) throw new TwoFaError('NOT_FOUND');
    const method = HEAD_AS_GET.get(request.method) ?? request.method;
    if (!(route.methods as readonly string[]).includes(method)) {
      throw new TwoFaError('METHOD_NOT_ALLOWED', { headers: { allow: allowHeader(route) } });
    }
    return route;
  }

  /**
   * The identity of the presented key, or UNAUTHORIZED. The failed-auth guard refuses a client past
   * its 401 limit before the key store is asked. One deadline for the whole lookup, waiting behind
   * other lookups of the address included.
   */
  function authenticate(request: TwoFaRequest, query: URLSearchParams): Later<Identity> {
    const apiKey = presentedKey(request.headers, query, config.allowQueryKey);
    const identity = authGuard.lookup(request.ip, apiKey, resolveIdentity, config.keyLookupTimeoutMs);
    return isThenable(identity) ? identity.then(known) : known(identity);
  }

  /**
   * Asks the limiter for a route with a quota; RATE_LIMITED when a consume is refused. With
   * `countInvalidRequests: false` a quota route only peeks here (a full quota is still a 429 before
   * the body is read) and returns the limits to count once the input is known to be valid.
   */
  function charge(pass: Pass, route: RouteDef, identity: Identity): Later<Limits | undefined> {
    const limits = limitsFor(identity);
    if (limits === undefined) {
      throw new TwoFaError('INTERNAL', {
        cause: new Error(`identity ${identity.id} has an unknown plan or invalid limit overrides`),
      });
    }
    if (limits.windows.length === 0 || route.quota === 'none') return undefined;
    const deferred = route.quota === 'consume' && !config.countInvalidRequests ? limits : undefined;
    const operation = deferred ? 'peek' : route.quota;
    const limit = askStore(operation, identity.id, limits.windows);
    if (isThenable(limit)) return limit.then((l) => charged(pass, route, limits, operation, l, deferred));
    return charged(pass, route, limits, operation, limit, deferred);
  }

  function charged(
    pass: Pass,
    route: RouteDef,
    limits: Limits,
    operation: 'consume' | 'peek',
    limit: ConsumeResult,
    deferred: Limits | undefined,
  ): Limits | undefined {
    pass.limit = limit;
    pass.decision = route.quota === 'consume' && !limit.allowed ? 'refused' : decided(operation);
    pass.rateHeaders = rateLimitHeaders(limits.policy, limit);
    if (route.quota === 'consume' && !limit.allowed) throw rateLimited(limit);
    return deferred;
  }

  /** The count deferred by `charge`, once the input is valid. */
  function chargeValidated(pass: Pass, identity: Identity, limits: Limits): Later<void> {
    const limit = askStore('consume', identity.id, limits.windows);
    if (isThenable(limit)) return limit.then((l) => counted(pass, limits, l));
    return counted(pass, limits, limit);
  }

  function counted(pass: Pass, limits: Limits, limit: ConsumeResult): void {
    pass.limit = limit;
    pass.decision = limit.allowed ? 'admitted' : 'refused';
    pass.rateHeaders = rateLimitHeaders(limits.policy, limit);
    if (!limit.allowed) throw rateLimited(limit);
  }

  /** The route's parameters from the body (within the body limit) and the query. */
  function readInput(request: TwoFaRequest, route: RouteDef, query: URLSearchParams): Later<ParamValues> {
    const queryParams = request.rawQuery === '' ? EMPTY_PARAMS : formParams(query);
    if (request.method === 'GET' || request.method === 'HEAD')
      return readParams(route.params, EMPTY_PARAMS, queryParams);
    const body = bodyParams(request.body, request.headers, config.bodyLimit);
    if (isThenable(body)) return body.then((b) => readParams(route.params, b, queryParams));
    return readParams(route.params, body, queryParams);
  }

  /** Runs the route and answers 200: the envelope, or the route's own document. */
  function answer(pass: Pass, route: RouteDef, request: TwoFaRequest, values: ParamValues): Later<TwoFaResponse> {
    const outcome = route.handle({
      request,
      identity: pass.identity,
      values,
      limit: pass.limit,
      nowMs: config.clock(),
      config,
    });
    return isThenable(outcome) ? outcome.then((o) => answered(pass, route, o)) : answered(pass, route, outcome);
  }

  function answered(pass: Pass, route: RouteDef, outcome: RouteOutcome): TwoFaResponse {
    emit(pass, { type: outcome.event, status: 200, ...(outcome.eventFields ? { fields: outcome.eventFields } : {}) });
    if (outcome.document !== undefined) {
      return { status: 200, headers: { ...pass.rateHeaders, 'content-type': CONTENT_TYPE }, body: outcome.document };
    }
    return envelope(200, route.success.message, outcome.data, pass.rateHeaders, outcome.json);
  }

  /** Any throw as its envelope, by the table of error kinds; anything unexpected is the masked 500. */
  function fail(pass: Pass, error: unknown): TwoFaResponse {
    if (error instanceof TwoFaError && error.kind !== 'INTERNAL') {
      const kind = ERROR_KINDS[error.kind];
      const fields = 'withError' in kind ? { error, kind: error.kind } : { kind: error.kind };
      emit(pass, { type: kind.event, status: error.status, fields });
      return envelope(error.status, error.message, error.data, { ...pass.rateHeaders, ...error.headers });
    }
    const internal = ERROR_KINDS.INTERNAL;
    emit(pass, { type: internal.event, status: internal.status, fields: { error, kind: 'INTERNAL' } });
    return errorEnvelope('INTERNAL', null, pass.rateHeaders);
  }

  function emit(pass: Pass, outcome: Outcome): void {
    const listener = config.onEvent;
    if (listener === undefined) return;
    const { route, identity, decision, limit } = pass;
    const event: TwoFaEvent = {
      type: outcome.type,
      route: route?.id ?? null,
      status: outcome.status,
      identityId: identity?.id ?? null,
      plan: identity?.plan ?? null,
      durationMs: performance.now() - pass.started,
      ...(decision === undefined || limit === undefined ? {} : { limiter: decision, windows: limit.windows }),
      ...outcome.fields,
    };
    try {
      listener(event);
    } catch {
      // A listener's failure must not change the response.
    }
  }

  /**
   * The key store's answer for a presented key (none: null), checked to be an identity. A store
   * answering with a promise gets `timeoutMs`.
   */
  function resolveIdentity(apiKey: string | undefined, timeoutMs: number): Later<Identity | null> {
    if (apiKey === undefined) return null;
    let result: ReturnType<typeof config.resolveKey>;
    try {
      result = config.resolveKey(apiKey);
    } catch (cause) {
      throw new TwoFaError('INTERNAL', { cause });
    }
    return isThenable(result)
      ? withTimeout(Promise.resolve(result), timeoutMs).then(checkIdentity)
      : checkIdentity(result);
  }

  /** One limiter call, bounded by `storeTimeoutMs` when the store answers with a promise. */
  function askStore(operation: 'consume' | 'peek', id: string, windows: readonly WindowSpec[]): Later<ConsumeResult> {
    const pending = operation === 'consume' ? config.store.consume(id, windows) : config.store.peek(id, windows);
    return isThenable(pending) ? withTimeout(Promise.resolve(pending), config.storeTimeoutMs) : pending;
  }

  return {
    config,
    routes,
    respond,
    async handle(request) {
      return respond(request);
    },
    async close() {
      if (config.ownsStore) await config.store.close?.();
    },
  };
}

/** A key store's answer as an identity, or null; anything else is the store's fault (500). */
function checkIdentity(result: Identity | null | undefined): Identity | null {
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

/** The identity of an authenticated caller; no identity is UNAUTHORIZED. */
function known(identity: Identity | null): Identity {
  if (identity === null) throw new TwoFaError('UNAUTHORIZED');
  return identity;
}

/**
 * The limits of an identity. Cached per configured plan only: plan strings a key store makes up
 * never grow the cache.
 */
function limitsCache(plans: ResolvedConfig['plans']): (identity: Identity) => Limits | undefined {
  const cache = new Map<string, Limits>();
  function make(identity: Identity): Limits | undefined {
    const windows = windowsFor(plans, identity);
    if (windows === undefined) return undefined;
    return { windows, policy: hasCalendarWindow(windows) ? undefined : policyHeader(windows) };
  }
  return (identity) => {
    if (identity.limits !== undefined || !Object.hasOwn(plans, identity.plan)) return make(identity);
    let limits = cache.get(identity.plan);
    if (limits === undefined) {
      limits = make(identity);
      if (limits !== undefined) cache.set(identity.plan, limits);
    }
    return limits;
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

function allowHeader(route: RouteDef): string {
  const methods = new Set<string>(route.methods);
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].join(', ');
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
