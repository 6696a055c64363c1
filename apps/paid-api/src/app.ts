/**
 * The host app: Fastify with a route of its own, the kit under /api/2fa (its keys resolved from
 * PostgreSQL through `dbKeyStore`, its events counted per customer per hour by `usageSink`) and
 * the Dashboard beside it under /dashboard.
 */
import { createTwoFa, type LimiterStore, MemoryStore, type PlanLimits, type TwoFaEvent } from '@twofa-kit/core';
import { twoFaFrameworkErrors, twoFaPlugin } from '@twofa-kit/fastify';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type pg from 'pg';
import { dashboardPlugin, type SignInLimit } from './dashboard/plugin.js';
import { type DbKeyStore, dbKeyStore, type KeyStoreOptions } from './keys/store.js';
import { type UsageSink, usageSink } from './usage/sink.js';

export interface AppOptions extends KeyStoreOptions {
  readonly pool: pg.Pool;
  readonly plans?: Record<string, PlanLimits> | undefined;
  /** The limiter (Redis to share quotas between instances). Default: in memory. */
  readonly store?: LimiterStore | undefined;
  /** How often usage history is written, in ms. Default 5,000. */
  readonly usageFlushMs?: number | undefined;
  /** Failed sign-ins allowed per email and per address. Default 10 and 50 per 900 s. */
  readonly signInLimit?: SignInLimit | undefined;
  /** Another listener of the kit's events (metrics, logs), called after the usage history's. */
  readonly onEvent?: ((event: TwoFaEvent) => void) | undefined;
  /**
   * Fastify's `trustProxy`: set it behind a TLS-terminating proxy, so `X-Forwarded-Proto: https`
   * marks the Dashboard's cookies `Secure` (and the client address is the proxy's `X-Forwarded-For`).
   */
  readonly trustProxy?: FastifyServerOptions['trustProxy'] | undefined;
  /** Where Fastify's request log goes (one JSON line per entry). Default: no log. */
  readonly logStream?: { write(line: string): void } | undefined;
}

export interface PaidApp {
  readonly app: FastifyInstance;
  /** Its key cache: `clear()` on a change notification. */
  readonly keys: DbKeyStore;
  /** The usage history's accumulator: flushed every few seconds and when the app closes. */
  readonly usage: UsageSink;
}

export function buildApp(options: AppOptions): PaidApp {
  const keys = dbKeyStore(options.pool, options);
  const usage = usageSink(options.pool, { flushMs: options.usageFlushMs, clock: options.clock });
  // The store is made here (not by the kit) so the Dashboard reads the very counters the kit keeps.
  const store = options.store ?? new MemoryStore({ clock: options.clock });
  const twoFa = createTwoFa({
    resolveKey: keys.resolveKey,
    plans: options.plans,
    store,
    onEvent:
      options.onEvent === undefined
        ? usage.onEvent
        : (event) => {
            usage.onEvent(event);
            options.onEvent?.(event);
          },
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const app = Fastify({
    frameworkErrors: twoFaFrameworkErrors(twoFa),
    trustProxy: options.trustProxy ?? false,
    ...(options.logStream === undefined ? {} : { logger: { stream: options.logStream } }),
  });
  app.get('/health', async () => ({ status: 'ok' }));
  app.register(twoFaPlugin, { twoFa });
  app.register(dashboardPlugin, {
    prefix: '/dashboard',
    pool: options.pool,
    twoFa,
    signInLimit: options.signInLimit,
    clock: options.clock,
  });
  app.addHook('onClose', async () => {
    await twoFa.close();
    await usage.close();
  });
  return { app, keys, usage };
}
