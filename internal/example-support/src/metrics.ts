import { type RedisStoreFailure, TwoFaConfigError, type TwoFaEvent } from '@twofa-kit/core';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { EnvSource } from './env.js';

/**
 * Prometheus metrics of an example server, built on the core's events (`onEvent`) and the Redis
 * store's failures (`onError`). Labels are routes, statuses, plans, window names, error kinds and
 * identity ids — never a key, a secret or a code (events do not carry them).
 */
export interface Metrics {
  readonly registry: Registry;
  /** Pass as the `onEvent` option. */
  readonly onEvent: (event: TwoFaEvent) => void;
  /** Pass as the Redis store's `onError`. */
  readonly onStoreFailure: (failure: RedisStoreFailure) => void;
  /** Whether the Redis client is connected (1) or not (0); not called without Redis. */
  readonly onRedisConnection: (up: boolean) => void;
  /** The answer to `GET /metrics`: the Prometheus text format. */
  scrape(): Promise<{ readonly contentType: string; readonly body: string }>;
}

export interface MetricsOptions {
  /**
   * Identities kept in `twofa_identity_quota_used_ratio` (the least recently counted one is
   * dropped past it, so the series stay bounded). Default 1000.
   */
  maxIdentities?: number;
}

/** Where `GET /metrics` is served: outside the API's prefix. */
export const METRICS_PATH = '/metrics';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const RATIO_BUCKETS = [0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1];

/** `TWOFA_METRICS=1` turns metrics on; unset, empty or `0` leaves them off; anything else is an error. */
export function metricsFromEnv(env: EnvSource = process.env, options: MetricsOptions = {}): Metrics | undefined {
  const value = env.TWOFA_METRICS?.trim() ?? '';
  if (value === '' || value === '0') return undefined;
  if (value !== '1')
    throw new TwoFaConfigError(`TWOFA_METRICS must be 1 (on) or 0 (off), got ${JSON.stringify(value)}`);
  return createMetrics(options);
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const maxIdentities = options.maxIdentities ?? 1000;
  if (!Number.isSafeInteger(maxIdentities) || maxIdentities < 1) {
    throw new TwoFaConfigError(`maxIdentities must be a positive integer, got ${String(maxIdentities)}`);
  }
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  // Every metric lives in this server's registry, its labels typed from the names given.
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Gauge<L>({ name, help, labelNames, registers: [registry] });
  const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]) =>
    new Histogram<L>({ name, help, labelNames, buckets, registers: [registry] });

  const requests = counter(
    'twofa_requests_total',
    'Requests answered under the prefix, by route, HTTP status and plan ("none" before a key resolved).',
    ['route', 'status', 'plan'],
  );
  const duration = histogram(
    'twofa_request_duration_seconds',
    'Time from the start of respond() to the answer (key lookup, limiter, body, TOTP), by route and status.',
    ['route', 'status'],
    LATENCY_BUCKETS,
  );
  const failures = counter(
    'twofa_failures_total',
    'Requests answered with an error, by route and error kind (INVALID_SECRET, RATE_LIMITED, UNAVAILABLE, ...).',
    ['route', 'kind'],
  );
  const decisions = counter(
    'twofa_limiter_decisions_total',
    'Limiter answers by plan and decision (admitted, refused, peeked); for refused, the full window that decided retry_after.',
    ['plan', 'decision', 'window'],
  );
  const usedRatio = histogram(
    'twofa_quota_used_ratio',
    'Share of a window used after each admitted request (1 = the limit reached), by plan and window.',
    ['plan', 'window'],
    RATIO_BUCKETS,
  );
  const identityUsed = gauge(
    'twofa_identity_quota_used_ratio',
    `Share of each window an identity has used, as of its last counted request (the ${maxIdentities} most recently counted identities).`,
    ['identity', 'plan', 'window'],
  );
  const guardRefusals = counter(
    'twofa_auth_guard_refusals_total',
    'Requests the failed-auth guard refused (429 before any key lookup), by route.',
    ['route'],
  );
  const verifications = counter('twofa_verifications_total', 'Codes checked by /verify, by result (valid, invalid).', [
    'result',
  ]);
  const storeFailures = counter(
    'twofa_store_failures_total',
    'Limiter calls the Redis store answered by its outage policy instead of Redis, by operation, reason (not_ready, timeout, cooldown, error) and policy (fallback, open, closed).',
    ['operation', 'reason', 'policy'],
  );
  const redisUp = gauge(
    'twofa_redis_connected',
    'Whether the Redis client of the limiter is connected (1) or not (0). Absent without Redis.',
  );

  // The identities with a ratio series, oldest first: a Map keeps insertion order.
  const tracked = new Map<string, { plan: string; windows: readonly string[] }>();
  function track(identity: string, plan: string, windows: readonly string[]): void {
    tracked.delete(identity);
    tracked.set(identity, { plan, windows });
    if (tracked.size <= maxIdentities) return;
    const [oldest, series] = tracked.entries().next().value as [string, { plan: string; windows: readonly string[] }];
    tracked.delete(oldest);
    for (const window of series.windows) identityUsed.remove({ identity: oldest, plan: series.plan, window });
  }

  function onEvent(event: TwoFaEvent): void {
    // Threshold notices ride beside the request's own event: not a request to count.
    if (event.type === 'quota.threshold' || event.type === 'credits.low') return;
    const route = event.route ?? 'none';
    const status = String(event.status);
    const plan = event.plan ?? 'none';
    requests.inc({ route, status, plan });
    duration.observe({ route, status }, event.durationMs / 1000);
    if (event.kind !== undefined) failures.inc({ route, kind: event.kind });
    if (event.kind === 'TOO_MANY_AUTH_FAILURES') guardRefusals.inc({ route });
    if (event.type === 'verified') verifications.inc({ result: event.valid === true ? 'valid' : 'invalid' });
    const windows = event.windows;
    if (event.limiter === undefined || windows === undefined) return;
    if (event.limiter === 'refused') {
      // The full window that ends last is the one retry_after waits for.
      let deciding: (typeof windows)[number] | undefined;
      for (const w of windows) {
        if (w.remaining === 0 && (deciding === undefined || w.resetMs >= deciding.resetMs)) deciding = w;
      }
      decisions.inc({ plan, decision: 'refused', window: deciding?.name ?? 'unknown' });
      return;
    }
    decisions.inc({ plan, decision: event.limiter, window: 'none' });
    if (event.limiter !== 'admitted') return;
    for (const w of windows) {
      const ratio = w.limit === 0 ? 1 : (w.limit - w.remaining) / w.limit;
      usedRatio.observe({ plan, window: w.name }, ratio);
      if (event.identityId !== null) identityUsed.set({ identity: event.identityId, plan, window: w.name }, ratio);
    }
    if (event.identityId !== null) {
      track(
        event.identityId,
        plan,
        windows.map((w) => w.name),
      );
    }
  }

  return {
    registry,
    onEvent,
    onStoreFailure: (failure) =>
      storeFailures.inc({ operation: failure.operation, reason: failure.reason, policy: failure.policy }),
    onRedisConnection: (up) => redisUp.set(up ? 1 : 0),
    async scrape() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
