/**
 * The connection to PostgreSQL: `DATABASE_URL`, or an embedded PostgreSQL in a local data directory
 * when it is unset (see `embedded.ts`). Everything else talks to the database through the `pg` pool
 * this returns, whichever it is.
 */
import pg from 'pg';
import { openEmbedded } from './embedded.js';
import { MIGRATIONS } from './migrations.js';

/** What the key and customer functions need: something that runs a query (a pool or a client). */
export type Queryable = Pick<pg.Pool, 'query'>;

export interface Database {
  readonly pool: pg.Pool;
  /** A connection string for this database (an extra client such as the change listener uses it). */
  readonly url: string;
  /** True on the embedded PostgreSQL: one connection at a time, no LISTEN/NOTIFY between clients. */
  readonly embedded: boolean;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** `DATABASE_URL`; undefined or empty for the embedded PostgreSQL. */
  readonly url?: string | undefined;
  /** Where the embedded PostgreSQL keeps its data. */
  readonly dataDir: string;
  /** Most pooled connections to a real PostgreSQL. Default 10. */
  readonly maxConnections?: number;
  /** Timeouts and the wait queue's bound (`DEFAULT_LIMITS`): a hung database answers 503, not never. */
  readonly limits?: Partial<DatabaseLimits>;
}

export interface DatabaseLimits {
  /** How long to wait for a connection (a new one, or a free one of the pool), in ms. */
  readonly connectMs: number;
  /** A statement's longest run, in ms: `statement_timeout` on the server, and a client-side bound a little above it. */
  readonly statementMs: number;
  /** Requests waiting for a connection at once; past it the next one fails at once (`DatabaseBusyError`). */
  readonly maxWaiting: number;
}

export const DEFAULT_LIMITS: DatabaseLimits = Object.freeze({ connectMs: 3_000, statementMs: 5_000, maxWaiting: 100 });

/** More requests than `maxWaiting` wait for a connection: the next one is refused at once. */
export class DatabaseBusyError extends Error {
  override readonly name = 'DatabaseBusyError';
  constructor() {
    super('too many requests waiting for a database connection');
  }
}

/** Errors that mean the database is unreachable, hung or saturated (a 503), not a bug (a 500). */
export function databaseUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseBusyError) return true;
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (
    typeof code === 'string' &&
    /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|08...|57P0[13]|53300|57014)$/.test(code)
  ) {
    return true;
  }
  return (
    typeof message === 'string' &&
    /^(timeout exceeded when trying to connect|Connection terminated|Query read timeout|Client was closed)/.test(
      message,
    )
  );
}

/** A `pg` pool whose wait queue is bounded: past `maxWaiting` waiting, `connect` (and so `query`) fails at once. */
class BoundedPool extends pg.Pool {
  readonly #maxWaiting: number;

  constructor(config: pg.PoolConfig, maxWaiting: number) {
    super(config);
    this.#maxWaiting = maxWaiting;
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(
    callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void,
  ): void;
  override connect(
    callback?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void,
  ): Promise<pg.PoolClient> | undefined {
    if (this.waitingCount >= this.#maxWaiting) {
      const error = new DatabaseBusyError();
      if (callback === undefined) return Promise.reject(error);
      queueMicrotask(() => callback(error, undefined, () => {}));
      return undefined;
    }
    if (callback === undefined) return super.connect();
    super.connect(callback);
    return undefined;
  }
}

function poolConfig(url: string, max: number, limits: DatabaseLimits): pg.PoolConfig {
  return {
    connectionString: url,
    max,
    connectionTimeoutMillis: limits.connectMs,
    statement_timeout: limits.statementMs,
    // The client's own bound, for a server that does not answer at all (hung, or its host gone).
    query_timeout: limits.statementMs + 1_000,
    idle_in_transaction_session_timeout: limits.statementMs * 2,
  };
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  if (options.url !== undefined && options.url.trim() !== '') {
    const url = options.url.trim();
    const pool = new BoundedPool(poolConfig(url, options.maxConnections ?? 10, limits), limits.maxWaiting);
    pool.on('error', () => {}); // an idle client's connection dropped: the pool replaces it
    return { pool, url, embedded: false, close: () => pool.end() };
  }
  const embedded = await openEmbedded(options.dataDir);
  // The embedded server runs one statement stream at a time: a second pooled connection could only
  // wait behind an open transaction of the first.
  const pool = new BoundedPool(poolConfig(embedded.url, 1, limits), limits.maxWaiting);
  pool.on('error', () => {});
  return {
    pool,
    url: embedded.url,
    embedded: true,
    close: async () => {
      await pool.end();
      await embedded.close();
    },
  };
}

/** Any number for `pg_advisory_xact_lock`, so concurrent starts migrate one after the other. */
const MIGRATION_LOCK = 7_202_613;

/**
 * Applies the migrations not yet applied, in one transaction, under an advisory lock: idempotent,
 * and safe when several instances start at once. Returns the versions it applied.
 */
export async function migrate(pool: pg.Pool): Promise<number[]> {
  return transaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(done.rows.map((r) => r.version));
    const now: number[] = [];
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      now.push(m.version);
    }
    return now;
  });
}

/** Runs `fn` in a transaction on one connection of the pool. */
export async function transaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
