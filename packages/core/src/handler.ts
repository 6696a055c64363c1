import type { TwoFaEvent, TwoFaEventType } from './events.js';
import { bodyParams, EMPTY_PARAMS, formParams } from './http/body.js';
import { envelope, errorEnvelope, responseHeaders } from './http/envelope.js';
import { ERROR_KINDS, type ErrorKind, TwoFaError } from './http/errors.js';
import { type ParamValues, readParams } from './http/params.js';
import { trimTrailingSlashes } from './http/path.js';
import { createAuthGuard } from './keys/auth-guard.js';
import { presentedKey } from './keys/static-keys.js';
import { creditCharge } from './limits/credits.js';
import { hasCalendarWindow, policyHeader, type RateHeaders, rateLimitHeaders, secondsCeil } from './limits/headers.js';
import { windowsFor } from './limits/plans.js';
import type { GuardCounter } from './limits/stores/guard-types.js';
import type { ConsumeOptions, ConsumeResult, CreditCharge, WindowSpec } from './limits/stores/types.js';
import { isThenable, type Later } from './maybe-promise.js';
import { type ResolvedConfig, resolveOptions, type TwoFaOptions } from './options.js';
import { docsRoutes } from './routes/docs.js';
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

/**
 * One request on its way through the pipeline: what it is, and what it has gathered so far. Its
 * event and its response headers are built from it; each step reads and fills it.
 */
interface Pass {
  readonly started: number;
  readonly request: TwoFaRequest;
  /** Set by `match`: every later step has it. */
  route: RouteDef | undefined;
  query: URLSearchParams;
  identity: Identity | null;
  limit: ConsumeResult | undefined;
  decision: LimiterDecision | undefined;
  rate: RateHeaders | undefined;
  /** The identity's limits, once `charge` has asked the limiter. */
  limits: Limits | undefined;
  /** The count waits for valid input (`countInvalidRequests: false`): `charge` only peeked. */
  deferred: boolean;
  /** What the request asks of the identity's credits, when it pays by credits. */
  credits: CreditCharge | undefined;
  values: ParamValues;
}

/** One event: its type and status, and the fields only some outcomes have. */
interface Outcome {
  readonly type: TwoFaEventType;
  readonly status: number;
  readonly fields?: { error?: unknown; valid?: boolean; kind?: ErrorKind };
}

const HEAD_AS_GET = new Map([['HEAD', 'GET']]);
const NO_QUERY = new URLSearchParams();
const NO_VALUES: ParamValues = Object.freeze({});
const NOTIFY: ConsumeOptions = Object.freeze({ notify: true });

export function createTwoFa(options: TwoFaOptions): TwoFa {
  const config = resolveOptions(options);
  const routes = config.docs === undefined ? ROUTES : [...ROUTES, ...docsRoutes(config.docs)];
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
      request,
      route: undefined,
      query: NO_QUERY,
      identity: null,
      limit: undefined,
      decision: undefined,
      rate: undefined,
      limits: undefined,
      deferred: false,
      credits: undefined,
      values: NO_VALUES,
    };
    try {
      const response = matched(pass, match(request));
      return isThenable(response) ? Promise.resolve(response).catch((error) => fail(pass, error)) : response;
    } catch (error) {
      return fail(pass, error);
    }
  }

  // The steps after `match`, each `(pass, the previous step's answer)`, chained by `after`.

  function matched(pass: Pass, route: RouteDef): Later<TwoFaResponse> {
    pass.route = route;
    if (pass.request.rawQuery !== '') pass.query = new URLSearchParams(pass.request.rawQuery);
    if (!route.auth) return withInput(pass);
    return after(pass, authenticate(pass), authenticated);
  }

  function authenticated(pass: Pass, identity: Identity): Later<TwoFaResponse> {
    pass.identity = identity;
    if (identity.paymentRequired !== undefined) {
      throw new TwoFaError('PAYMENT_REQUIRED', { data: { reason: String(identity.paymentRequired) } });
    }
    return after(pass, charge(pass, identity), withInput);
  }

  function withInput(pass: Pass): Later<TwoFaResponse> {
    return after(pass, readInput(pass), withValues);
  }

  function withValues(pass: Pass, values: ParamValues): Later<TwoFaResponse> {
    pass.values = values;
    if (!pass.deferred) return answer(pass);
    routeOf(pass).validate?.(values, config);
    return after(pass, chargeValidated(pass), answer);
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
  function authenticate(pass: Pass): Later<Identity> {
    const request = pass.request;
    const apiKey = presentedKey(request.headers, pass.query, config.allowQueryKey);
    const identity = authGuard.lookup(request.ip, apiKey, resolveIdentity, config.keyLookupTimeoutMs);
    return isThenable(identity) ? identity.then(known) : known(identity);
  }

  /**
   * Asks the limiter for a route with a quota; RATE_LIMITED when a consume is refused. With
   * `countInvalidRequests: false` a quota route only peeks here (a full quota is still a 429 before
   * the body is read) and leaves the limits to count once the input is known to be valid.
   */
  function charge(pass: Pass, identity: Identity): Later<void> {
    const route = routeOf(pass);
    const limits = limitsFor(identity);
    if (limits === undefined) {
      throw new TwoFaError('INTERNAL', {
        cause: new Error(`identity ${identity.id} has an unknown plan or invalid limit overrides`),
      });
    }
    if (route.quota === 'none') return;
    pass.credits = creditCharge(config.credits, route.id, identity);
    if (limits.windows.length === 0 && pass.credits === undefined) return;
    pass.limits = limits;
    pass.deferred = route.quota === 'consume' && !config.countInvalidRequests;
    const operation = pass.deferred ? 'peek' : route.quota;
    return after(pass, askStore(operation, identity.id, limits.windows, storeOptions(pass, operation)), limited);
  }

  /** The count deferred by `charge`, once the input is valid. */
  function chargeValidated(pass: Pass): Later<void> {
    pass.deferred = false;
    const windows = (pass.limits as Limits).windows;
    const id = (pass.identity as Identity).id;
    return after(pass, askStore('consume', id, windows, storeOptions(pass, 'consume')), limited);
  }

  /** The credits to check or charge, and whether the store reports thresholds (a consume, heard). */
  function storeOptions(pass: Pass, operation: 'consume' | 'peek'): ConsumeOptions | undefined {
    const notify = operation === 'consume' && config.onEvent !== undefined;
    if (pass.credits === undefined) return notify ? NOTIFY : undefined;
    return notify ? { credits: pass.credits, notify } : { credits: pass.credits };
  }

  /**
   * The limiter's answer, kept for the event and the headers. A quota route's refusal is a 429,
   * also when `charge` only peeked (a full quota is refused before the body is read).
   */
  function limited(pass: Pass, limit: ConsumeResult): void {
    pass.limit = limit;
    pass.rate = rateLimitHeaders((pass.limits as Limits).policy, limit);
    const consumes = routeOf(pass).quota === 'consume';
    const refused = consumes && !limit.allowed;
    pass.decision = refused ? 'refused' : consumes && !pass.deferred ? 'admitted' : 'peeked';
    if (!refused) return;
    const credits = limit.credits;
    if (credits !== undefined && !credits.sufficient) {
      throw new TwoFaError('INSUFFICIENT_CREDITS', { data: { balance: credits.balance, cost: credits.cost } });
    }
    throw rateLimited(limit);
  }

  /** The route's parameters from the body (within the body limit) and the query. */
  function readInput(pass: Pass): Later<ParamValues> {
    const { request } = pass;
    const params = routeOf(pass).params;
    const query = request.rawQuery === '' ? EMPTY_PARAMS : formParams(pass.query);
    if (request.method === 'GET' || request.method === 'HEAD') return readParams(params, EMPTY_PARAMS, query);
    const body = bodyParams(request.body, request.headers, config.bodyLimit);
    return isThenable(body) ? body.then((b) => readParams(params, b, query)) : readParams(params, body, query);
  }

  /** Runs the route and answers 200: the envelope, or the route's own document. */
  function answer(pass: Pass): Later<TwoFaResponse> {
    const outcome = routeOf(pass).handle({
      request: pass.request,
      identity: pass.identity,
      values: pass.values,
      limit: pass.limit,
      nowMs: config.clock(),
      config,
    });
    return after(pass, outcome, answered);
  }

  function answered(pass: Pass, outcome: RouteOutcome): TwoFaResponse {
    emit(pass, { type: outcome.event, status: 200, ...(outcome.eventFields ? { fields: outcome.eventFields } : {}) });
    if (outcome.document !== undefined) {
      const headers = responseHeaders(pass.rate);
      return {
        status: 200,
        headers: outcome.headers ? { ...headers, ...outcome.headers } : headers,
        body: outcome.document,
      };
    }
    return envelope(200, routeOf(pass).success.message, outcome.data, pass.rate, undefined, outcome.json);
  }

  /** Any throw as its envelope, by the table of error kinds; anything unexpected is the masked 500. */
  function fail(pass: Pass, error: unknown): TwoFaResponse {
    if (error instanceof TwoFaError && error.kind !== 'INTERNAL') {
      const kind = ERROR_KINDS[error.kind];
      const fields = 'withError' in kind ? { error, kind: error.kind } : { kind: error.kind };
      emit(pass, { type: kind.event, status: error.status, fields });
      if (error.kind === 'UNAVAILABLE') refund(pass);
      return envelope(error.status, error.message, error.data, pass.rate, error.headers);
    }
    const internal = ERROR_KINDS.INTERNAL;
    emit(pass, { type: internal.event, status: internal.status, fields: { error, kind: 'INTERNAL' } });
    refund(pass);
    return errorEnvelope('INTERNAL', null, pass.rate);
  }

  /**
   * Gives back the credits a request paid when the kit itself then failed it (500, 503). A refund
   * the store cannot make is its own to report (`RedisStore`'s `onError`); it never changes the answer.
   */
  function refund(pass: Pass): void {
    const paid = pass.limit?.credits;
    if (pass.decision !== 'admitted' || paid === undefined || paid.cost === 0 || pass.identity === null) return;
    const give = config.store.refund;
    if (typeof give !== 'function') return;
    try {
      const done = give.call(config.store, pass.identity.id, paid.cost);
      if (isThenable(done)) done.then(undefined, () => {});
    } catch {
      // Reported by the store, if at all; the answer stays the error it is.
    }
  }

  function emit(pass: Pass, outcome: Outcome): void {
    const listener = config.onEvent;
    if (listener === undefined) return;
    const { route, identity, decision, limit } = pass;
    if (limit?.notices !== undefined) notify(pass, outcome, listener);
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

  /** The thresholds the store says this request crossed, each as its own event. */
  function notify(pass: Pass, outcome: Outcome, listener: (event: TwoFaEvent) => void): void {
    const durationMs = performance.now() - pass.started;
    for (const notice of pass.limit?.notices ?? []) {
      const { type, ...fields } = notice;
      try {
        listener({
          type,
          route: pass.route?.id ?? null,
          status: outcome.status,
          identityId: pass.identity?.id ?? null,
          plan: pass.identity?.plan ?? null,
          durationMs,
          ...fields,
        });
      } catch {
        // A listener's failure must not change the response.
      }
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
  function askStore(
    operation: 'consume' | 'peek',
    id: string,
    windows: readonly WindowSpec[],
    options: ConsumeOptions | undefined,
  ): Later<ConsumeResult> {
    const store = config.store;
    const pending = operation === 'consume' ? store.consume(id, windows, options) : store.peek(id, windows, options);
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

/**
 * Continues the request with `next(pass, value)`: at once when `value` is there, when it settles
 * when it is a promise. `next` is a step, not a closure, so the synchronous path allocates none.
 */
function after<T, R>(pass: Pass, value: Later<T>, next: (pass: Pass, value: T) => Later<R>): Later<R> {
  return isThenable(value) ? value.then((v) => next(pass, v)) : next(pass, value);
}

/** The matched route: every step after `match` has one. */
function routeOf(pass: Pass): RouteDef {
  return pass.route as RouteDef;
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
