/**
 * A PostgreSQL with the app's schema for the enclosing `describe`: started and migrated before its
 * tests, with a pool of `max` connections (default 4); the pool ended and the server stopped after
 * them, also when the start failed halfway.
 */
import { beforeAllValue, readers } from '@twofa-kit/testing/lifecycle';
import pg from 'pg';
import { beforeAll } from 'vitest';
import { migrate } from '../../src/index.js';
import { type PostgresServer, startPostgres } from './postgres.js';

export interface Database {
  readonly server: PostgresServer;
  readonly pool: pg.Pool;
}

export function useDatabase(options: { max?: number } = {}): Database {
  const server = beforeAllValue('PostgreSQL', startPostgres, (s) => s.stop());
  const connectionString = () => server().url;
  const pool = beforeAllValue(
    'the pool',
    () => new pg.Pool({ connectionString: connectionString(), max: options.max ?? 4 }),
    (p) => p.end(),
  );
  beforeAll(async () => {
    await migrate(pool());
  });
  return readers({ server, pool });
}
