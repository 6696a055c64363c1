/**
 * `DATABASE_URL` through `pg`, or, when it is unset, PGlite: PostgreSQL in this process, in memory
 * (nothing to install; its data is gone when the process ends).
 */
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { Sql } from './postgres-keys.js';

export interface Database {
  readonly sql: Sql;
  /** Calls `onChange` on each notification on `channel`, and after each (re)connection. */
  listen(channel: string, onChange: () => void): Promise<void>;
  close(): Promise<void>;
}

export async function openDatabase(url = process.env.DATABASE_URL): Promise<Database> {
  if (url === undefined || url === '') {
    const db = await PGlite.create();
    return {
      sql: db,
      listen: async (channel, onChange) => void (await db.listen(channel, onChange)),
      close: () => db.close(),
    };
  }
  const pool = new pg.Pool({ connectionString: url });
  pool.on('error', () => {}); // an idle connection dropped: the pool replaces it
  let listener: pg.Client | undefined;
  let closed = false;
  const listen = async (channel: string, onChange: () => void): Promise<void> => {
    const client = new pg.Client({ connectionString: url });
    const retry = () => {
      client.end().catch(() => {});
      if (!closed) setTimeout(() => listen(channel, onChange).catch(() => {}), 1_000).unref();
    };
    client.on('notification', onChange).on('error', retry);
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
      listener = client;
      onChange(); // changes made while nobody listened were not heard: start afresh
    } catch (error) {
      retry();
      throw error;
    }
  };
  return {
    sql: pool,
    listen,
    close: async () => {
      closed = true;
      await listener?.end();
      await pool.end();
    },
  };
}
