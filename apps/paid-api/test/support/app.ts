/**
 * The paid API's app for the enclosing `describe`, on the database of `useDatabase`: built in a
 * `beforeAll` (so after the hooks registered before this call, which may seed the database or
 * start what `options()` needs) and listening on a free port of 127.0.0.1; closed after the tests.
 * Usage history is written when a test flushes it (`usageFlushMs` is 600,000 unless given).
 */
import { beforeAllValue, readers } from '@twofa-kit/testing/lifecycle';
import { type AppOptions, buildApp, type PaidApp } from '../../src/index.js';
import type { Database } from './database.js';
import { listen } from './http.js';

export interface RunningApp {
  readonly paid: PaidApp;
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
}

export function usePaidApp(db: Database, options: () => Omit<AppOptions, 'pool'> = () => ({})): RunningApp {
  const build = () => buildApp({ pool: db.pool, usageFlushMs: 600_000, ...options() });
  const paid = beforeAllValue('the app', build, (p) => p.app.close());
  const base = beforeAllValue('the app', () => listen(paid().app));
  return readers({ paid, base });
}
