/**
 * The host app: Fastify with a route of its own and the kit under /api/2fa, its keys resolved
 * from PostgreSQL through `dbKeyStore`. (The Dashboard mounts beside it under /dashboard.)
 */
import { createTwoFa, type LimiterStore, type PlanLimits } from '@twofa-kit/core';
import { twoFaFrameworkErrors, twoFaPlugin } from '@twofa-kit/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import type pg from 'pg';
import { type DbKeyStore, dbKeyStore, type KeyStoreOptions } from './key-store.js';

export interface AppOptions extends KeyStoreOptions {
  readonly pool: Pick<pg.Pool, 'query'>;
  readonly plans?: Record<string, PlanLimits> | undefined;
  /** The limiter (Redis to share quotas between instances). Default: in memory. */
  readonly store?: LimiterStore | undefined;
}

export interface PaidApp {
  readonly app: FastifyInstance;
  /** Its key cache: `clear()` on a change notification. */
  readonly keys: DbKeyStore;
}

export function buildApp(options: AppOptions): PaidApp {
  const keys = dbKeyStore(options.pool, options);
  const twoFa = createTwoFa({
    resolveKey: keys.resolveKey,
    plans: options.plans,
    store: options.store,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const app = Fastify({ frameworkErrors: twoFaFrameworkErrors(twoFa) });
  app.get('/health', async () => ({ status: 'ok' }));
  app.register(twoFaPlugin, { twoFa });
  app.addHook('onClose', () => twoFa.close());
  return { app, keys };
}
