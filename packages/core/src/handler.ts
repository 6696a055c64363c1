import type { TwoFaEvent, TwoFaEventType } from './events.js';
import { bodyParams, EMPTY_PARAMS, formParams } from './http/body.js';
import { envelope, errorEnvelope, responseHeaders } from './http/envelope.js';
import { ERROR_KINDS, type ErrorKind, TwoFaError } from './http/errors.js';
import { type ParamValues, readParams } from './http/params.js';
import { trimTrailingSlashes } from './http/path.js';
import { createAuthGuard } from './keys/auth-guard.js';
import { checkSharedIds, presentedKey } from './keys/static-keys.js';
import { creditCharge } from './limits/credits.js';
import { hasCalendarWindow, policyHeader, type RateHeaders, rateLimitHeaders, secondsCeil } from './limits/headers.js';
import { windowsFor } from './limits/plans.js';
import type { GuardCounter } from './limits/stores/guard-types.js';
import { MemoryStore } from './limits/stores/memory.js';
import type { ConsumeOptions, ConsumeResult, CreditCharge, WindowSpec } from './limits/stores/types.js';
import { isThenable, type MaybePromise } from './maybe-promise.js';
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
  /**
   * For an adapter whose framework reads the body before its handler runs (Fastify): the answer
   * that does not need the body, given before it is read. The whole answer when the request can
   * only be refused (no route: 404/405; no valid key: 401; the failed-auth guard: 429; the key
   * store failing: 500/503), else `undefined`: read the body and call `respond` with the same
   * `headers` object, which then takes the identity found here instead of looking the key up
   * again. Never throws; the promise never rejects.
   */
  authenticateEarly(request: TwoFaRequest): TwoFaResponse | undefined | Promise<TwoFaResponse | undefined>;
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
 * One request on its way through `STEPS`: what it is, and what the steps have found so far. Each
 * step reads it and fills its own fields; its event and its response headers are built from it.
 */
interface RequestState {
  readonly started: number;
  readonly request: TwoFaRequest;
  /** Set by `findRoute`: every later step has it. */
  route: RouteDef | undefined;
  query: URLSearchParams;
  /** Set by `authenticate` on a route that needs a key; null on one that does not. */
  identity: Identity | null;
  /** The identity's limits, once `chargeQuota` has asked the limiter. */
  limits: Limits | undefined;
  /** What the request asks of the identity's credits, when it pays by credits. */
  credits: CreditCharge | undefined;
  /** The limiter's last answer, its decision and the rate headers made from it. */
  limit: ConsumeResult | undefined;
  decision: LimiterDecision | undefined;
  rate: RateHeaders | undefined;
  /** Set by `readInput`. */
  values: ParamValues;
  /** Set by `answer`, the last step. */
  response: TwoFaResponse | undefined;
}

/**
 * One step of the request: reads and fills the state, or throws a `TwoFaError` (the answer is then
 * that error's envelope). A promise means the next step waits for it.
 */
type Step = (state: RequestState) => MaybePromise<void>;

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
  checkSharedIds(config.resolveKey, config.store instanceof MemoryStore);
  const routes = config.docs === undefined ? ROUTES : [...ROUTES, ...docsRoutes(config.docs)];
  const byPath = new Map(routes.map((r) => [r.path, r]));
  const limitsFor = limitsCache(config.plans);
  const authGuard = createAuthGuard(config.authFailureLimit, config.clock, guardCounterOf(config.store));
  /** Identities `authenticateEarly` found, by the request's `headers` object, until `respond` takes them. */
  const earlyIdentities = new WeakMap<object, Identity>();

  /**
   * The order of the checks, top to bottom. `runSteps` runs them one after the other: at once while
   * each answers at once, after the promise when one returns a promise. So a request whose key
   * store, limiter and body answer synchronously is answered synchronously (no promise, no
   * microtask). The first step that throws ends the request with that error's envelope (`fail`).
   */
  const STEPS: readonly Step[] = [
    // The route for the path and method. Else 404, 405.
    findRoute,
    // On a route that needs a key: the key's identity, through the failed-auth guard (or the one
    // `authenticateEarly` found). Else 401, 429 (too many failures), 500, 503.
    authenticate,
    // An identity the key store marks as not paid up. 402.
    refuseUnpaid,
    // The limiter and the credits: counted now, or only peeked when the count waits for valid
    // input (`countInvalidRequests: false`). Else 429, 402 (not enough credits).
    chargeQuota,
    // The route's parameters from the body and the query. Else 400, 413, 415.
    readInput,
    // The count `chargeQuota` left for valid input: the input validated, then counted.
    // Else 400, 429, 402.
    chargeValidInput,
    // The route itself: 200.
    answer,
  ];
  /** What `authenticateEarly` runs, before the body is read: the same first two steps. */
  const EARLY_STEPS: readonly Step[] = [findRoute, authenticate];

  function newState(request: TwoFaRequest): RequestState {
    return {
      started: config.onEvent === undefined ? 0 : performance.now(),
      request,
      route: undefined,
      query: NO_QUERY,
      identity: null,
      limits: undefined,
      credits: undefined,
      limit: undefined,
      decision: undefined,
      rate: undefined,
      values: NO_VALUES,
      response: undefined,
    };
  }

  function respond(request: TwoFaRequest): TwoFaResponse | Promise<TwoFaResponse> {
    const state = newState(request);
    try {
      const done = runSteps(STEPS, state, 0);
      return isThenable(done)
        ? done.then(
            () => state.response as TwoFaResponse,
            (error: unknown) => fail(state, error),
          )
        : (state.response as TwoFaResponse);
    } catch (error) {
      return fail(state, error);
    }
  }

  function authenticateEarly(request: TwoFaRequest): TwoFaResponse | undefined | Promise<TwoFaResponse | undefined> {
    const state = newState(request);
    try {
      const done = runSteps(EARLY_STEPS, state, 0);
      return isThenable(done)
        ? done.then(
            () => keepEarlyIdentity(state),
            (error: unknown) => fail(state, error),
          )
        : keepEarlyIdentity(state);
    } catch (error) {
      return fail(state, error);
    }
  }

  /** After `authenticateEarly`'s steps: the identity found, kept for `respond`; nothing to answer yet. */
  function keepEarlyIdentity(state: RequestState): undefined {
    if (state.identity !== null) earlyIdentities.set(state.request.headers, state.identity);
    return undefined;
  }

  // --- The steps, in the order of STEPS ---------------------------------------------------------

  /** The route for the path and method, or NOT_FOUND / METHOD_NOT_ALLOWED. */
  function findRoute(state: RequestState): void {
    const { request } = state;
    const path = request.path;
    const route = byPath.get(path.length > 1 && path.endsWith('/') ? trimTrailingSlashes(path) : path);
    if (route === undefined) throw new TwoFaError('NOT_FOUND');
    const method = HEAD_AS_GET.get(request.method) ?? request.method;
    if (!(route.methods as readonly string[]).includes(method)) {
      throw new TwoFaError('METHOD_NOT_ALLOWED', { headers: { allow: allowHeader(route) } });
    }
    state.route = route;
    if (request.rawQuery !== '') state.query = new URLSearchParams(request.rawQuery);
  }

  /**
   * The identity of the presented key, or UNAUTHORIZED; nothing on a route without a key. The
   * failed-auth guard refuses a client past its 401 limit before the key store is asked. One
   * deadline for the whole lookup, waiting behind other lookups of the address included.
   */
  function authenticate(state: RequestState): MaybePromise<void> {
    if (!routeOf(state).auth) return;
    const { request } = state;
    const early = takeEarlyIdentity(earlyIdentities, request);
    if (early !== undefined) {
      state.identity = early;
      return;
    }
    const apiKey = presentedKey(request.headers, state.query, config.allowQueryKey);
    const found = authGuard.lookup(request.ip, apiKey, resolveIdentity, config.keyLookupTimeoutMs);
    if (isThenable(found)) {
      return found.then((identity) => {
        state.identity = requireIdentity(identity);
      });
    }
    state.identity = requireIdentity(found);
  }

  /** PAYMENT_REQUIRED when the key store says the identity's account is not paid up. */
  function refuseUnpaid(state: RequestState): void {
    const reason = state.identity?.paymentRequired;
    if (reason !== undefined) throw new TwoFaError('PAYMENT_REQUIRED', { data: { reason: String(reason) } });
  }

  /**
   * Asks the limiter for a route with a quota; RATE_LIMITED (or INSUFFICIENT_CREDITS) when a
   * consume is refused. When the count waits for valid input (`countsValidInputOnly`) a quota route
   * only peeks here (a full quota is still refused before the body is read); `chargeValidInput`
   * counts later.
   */
  function chargeQuota(state: RequestState): MaybePromise<void> {
    const identity = state.identity;
    if (identity === null) return;
    const route = routeOf(state);
    const limits = limitsFor(identity);
    if (limits === undefined) {
      throw new TwoFaError('INTERNAL', {
        cause: new Error(`identity ${identity.id} has an unknown plan or invalid limit overrides`),
      });
    }
    if (route.quota === 'none') return;
    state.credits = creditCharge(config.credits, route.id, identity);
    if (limits.windows.length === 0 && state.credits === undefined) return;
    state.limits = limits;
    return askLimiter(state, countsValidInputOnly(route) ? 'peek' : route.quota);
  }

  /** The route's parameters from the body (within the body limit) and the query. */
  function readInput(state: RequestState): MaybePromise<void> {
    const { request } = state;
    const params = routeOf(state).params;
    const query = request.rawQuery === '' ? EMPTY_PARAMS : formParams(state.query);
    if (request.method === 'GET' || request.method === 'HEAD') {
      state.values = readParams(params, EMPTY_PARAMS, query);
      return;
    }
    const body = bodyParams(request.body, request.headers, config.bodyLimit);
    if (isThenable(body)) {
      return body.then((b) => {
        state.values = readParams(params, b, query);
      });
    }
    state.values = readParams(params, body, query);
  }

  /** The count `chargeQuota` left for valid input: the input validated, then counted. */
  function chargeValidInput(state: RequestState): MaybePromise<void> {
    const route = routeOf(state);
    if (state.limits === undefined || !countsValidInputOnly(route)) return;
    route.validate?.(state.values, config);
    return askLimiter(state, 'consume');
  }

  /** Runs the route and answers 200: the envelope, or the route's own document. */
  function answer(state: RequestState): MaybePromise<void> {
    const outcome = routeOf(state).handle({
      request: state.request,
      identity: state.identity,
      values: state.values,
      limit: state.limit,
      nowMs: config.clock(),
      config,
    });
    if (isThenable(outcome)) {
      return outcome.then((o) => {
        state.response = answered(state, o);
      });
    }
    state.response = answered(state, outcome);
  }

  // --- What the steps share ---------------------------------------------------------------------

  /** A quota route whose count waits until its input is known to be valid. */
  function countsValidInputOnly(route: RouteDef): boolean {
    return route.quota === 'consume' && !config.countInvalidRequests;
  }

  /** One limiter call for the state's identity and limits; its answer goes to `limited`. */
  function askLimiter(state: RequestState, operation: 'consume' | 'peek'): MaybePromise<void> {
    const windows = (state.limits as Limits).windows;
    const id = (state.identity as Identity).id;
    const limit = askStore(operation, id, windows, storeOptions(state, operation));
    if (isThenable(limit)) return limit.then((l) => limited(state, l, operation));
    limited(state, limit, operation);
  }

  /** The credits to check or charge, and whether the store reports thresholds (a consume, heard). */
  function storeOptions(state: RequestState, operation: 'consume' | 'peek'): ConsumeOptions | undefined {
    const notify = operation === 'consume' && config.onEvent !== undefined;
    if (state.credits === undefined) return notify ? NOTIFY : undefined;
    return notify ? { credits: state.credits, notify } : { credits: state.credits };
  }

  /**
   * The limiter's answer, kept for the event and the headers. A quota route's refusal is a 429,
   * also when `chargeQuota` only peeked (a full quota is refused before the body is read).
   */
  function limited(state: RequestState, limit: ConsumeResult, operation: 'consume' | 'peek'): void {
    state.limit = limit;
    state.rate = rateLimitHeaders((state.limits as Limits).policy, limit);
    const refused = routeOf(state).quota === 'consume' && !limit.allowed;
    state.decision = refused ? 'refused' : operation === 'consume' ? 'admitted' : 'peeked';
    if (!refused) return;
    const credits = limit.credits;
    if (credits !== undefined && !credits.sufficient) {
      throw new TwoFaError('INSUFFICIENT_CREDITS', { data: { balance: credits.balance, cost: credits.cost } });
    }
    throw rateLimited(limit);
  }

  function answered(state: RequestState, outcome: RouteOutcome): TwoFaResponse {
    emit(state, { type: outcome.event, status: 200, ...(outcome.eventFields ? { fields: outcome.eventFields } : {}) });
    if (outcome.document !== undefined) {
      const headers = responseHeaders(state.rate);
      return {
        status: 200,
        headers: outcome.headers ? { ...headers, ...outcome.headers } : headers,
        body: outcome.document,
      };
    }
    return envelope(200, routeOf(state).success.message, outcome.data, state.rate, undefined, outcome.json);
  }

  /** Any throw as its envelope, by the table of error kinds; anything unexpected is the masked 500. */
  function fail(state: RequestState, error: unknown): TwoFaResponse {
    if (error instanceof TwoFaError && error.kind !== 'INTERNAL') {
      const kind = ERROR_KINDS[error.kind];
      const fields = 'withError' in kind ? { error, kind: error.kind } : { kind: error.kind };
      emit(state, { type: kind.event, status: error.status, fields });
      if (error.kind === 'UNAVAILABLE') refund(state);
      return envelope(error.status, error.message, error.data, state.rate, error.headers);
    }
    const internal = ERROR_KINDS.INTERNAL;
    emit(state, { type: internal.event, status: internal.status, fields: { error, kind: 'INTERNAL' } });
    refund(state);
    return errorEnvelope('INTERNAL', null, state.rate);
  }

  /**
   * Gives back the credits a request paid when the kit itself then failed it (500, 503). A refund
   * the store cannot make is its own to report (`RedisStore`'s `onError`); it never changes the answer.
   */
  function refund(state: RequestState): void {
    const paid = state.limit?.credits;
    if (state.decision !== 'admitted' || paid === undefined || paid.cost === 0 || state.identity === null) return;
    const give = config.store.refund;
    if (typeof give !== 'function') return;
    try {
      const done = give.call(config.store, state.identity.id, paid.cost);
      if (isThenable(done)) done.then(undefined, () => {});
    } catch {
      // Reported by the store, if at all; the answer stays the error it is.
    }
  }

  function emit(state: RequestState, outcome: Outcome): void {
    const listener = config.onEvent;
    if (listener === undefined) return;
    const { route, identity, decision, limit } = state;
    if (limit?.notices !== undefined) notify(state, outcome, listener);
    const event: TwoFaEvent = {
      type: outcome.type,
      route: route?.id ?? null,
      status: outcome.status,
      identityId: identity?.id ?? null,
      plan: identity?.plan ?? null,
      durationMs: performance.now() - state.started,
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
  function notify(state: RequestState, outcome: Outcome, listener: (event: TwoFaEvent) => void): void {
    const durationMs = performance.now() - state.started;
    for (const notice of state.limit?.notices ?? []) {
      const { type, ...fields } = notice;
      try {
        listener({
          type,
          route: state.route?.id ?? null,
          status: outcome.status,
          identityId: state.identity?.id ?? null,
          plan: state.identity?.plan ?? null,
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
  function resolveIdentity(apiKey: string | undefined, timeoutMs: number): MaybePromise<Identity | null> {
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
  ): MaybePromise<ConsumeResult> {
    const store = config.store;
    const pending = operation === 'consume' ? store.consume(id, windows, options) : store.peek(id, windows, options);
    return isThenable(pending) ? withTimeout(Promise.resolve(pending), config.storeTimeoutMs) : pending;
  }

  return {
    config,
    routes,
    respond,
    authenticateEarly,
    async handle(request) {
      return respond(request);
    },
    async close() {
      if (config.ownsStore) await config.store.close?.();
    },
  };
}

/**
 * Runs `steps` from `from` on: at once while each step answers at once; when one returns a promise,
 * the rest after it settles (a rejection is the caller's to turn into an answer).
 */
function runSteps(steps: readonly Step[], state: RequestState, from: number): void | Promise<void> {
  for (let i = from; i < steps.length; i++) {
    const pending = (steps[i] as Step)(state);
    if (isThenable(pending)) return Promise.resolve(pending).then(() => runSteps(steps, state, i + 1));
  }
}

/** The identity `authenticateEarly` found for this request (taken once), if any. */
function takeEarlyIdentity(early: WeakMap<object, Identity>, request: TwoFaRequest): Identity | undefined {
  const identity = early.get(request.headers);
  if (identity !== undefined) early.delete(request.headers);
  return identity;
}

/** The route `findRoute` found: every later step has one. */
function routeOf(state: RequestState): RouteDef {
  return state.route as RouteDef;
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
function requireIdentity(identity: Identity | null): Identity {
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
  const { authFailures, releaseAuthFailure } = store;
  if (typeof authFailures !== 'function') return undefined;
  const release =
    typeof releaseAuthFailure === 'function' ? { releaseAuthFailure: releaseAuthFailure.bind(store) } : {};
  return { authFailures: authFailures.bind(store), ...release };
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
