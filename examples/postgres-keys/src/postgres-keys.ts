/**
 * API keys in PostgreSQL for the kit: the table keeps only the SHA-256 digest of each key, the
 * kit's `cachedKeys` answers repeated keys from memory, and a trigger's NOTIFY clears the cache of
 * every server as soon as a key changes, however it was changed (this code, SQL, another tool).
 */
import { randomBytes } from 'node:crypto';
import { type CachedKeyStore, type CachedKeysOptions, cachedKeys, hashedKeys, hashKey } from '@twofa-kit/fastify';

/** A `pg` pool or client, or PGlite: anything with `query(text, params)`. */
export interface Sql {
  query<Row>(text: string, params?: unknown[]): Promise<{ rows: Row[] }>;
}

export const CHANNEL = 'api_keys_changed';

export const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS api_keys (
     digest      text PRIMARY KEY,
     customer_id text NOT NULL,
     plan        text NOT NULL,
     revoked_at  timestamptz
   )`,
  `CREATE OR REPLACE FUNCTION api_keys_notify() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN PERFORM pg_notify('${CHANNEL}', ''); RETURN NULL; END $$`,
  `CREATE OR REPLACE TRIGGER api_keys_notify AFTER INSERT OR UPDATE OR DELETE ON api_keys
     FOR EACH STATEMENT EXECUTE FUNCTION api_keys_notify()`,
];

export async function createSchema(sql: Sql): Promise<void> {
  for (const statement of SCHEMA) await sql.query(statement);
}

/** The kit's `resolveKey`: one query per key per `ttlMs`, `clear()` on every notification. */
export function postgresKeys(sql: Sql, options: CachedKeysOptions = {}): CachedKeyStore {
  const lookup = hashedKeys(async (digest) => {
    const { rows } = await sql.query<{ customer_id: string; plan: string }>(
      'SELECT customer_id, plan FROM api_keys WHERE digest = $1 AND revoked_at IS NULL',
      [digest],
    );
    const row = rows[0];
    // The identity is the customer: all of a customer's keys share one quota.
    return row === undefined ? null : { id: row.customer_id, plan: row.plan };
  });
  // Notifications make a revocation immediate; the TTL is the bound while they cannot arrive.
  return cachedKeys(lookup, { ttlMs: 60_000, ...options });
}

/** Issues a key: the caller shows it once; the database keeps its digest only. */
export async function issueKey(sql: Sql, customerId: string, plan: string): Promise<string> {
  const key = `tfa_${randomBytes(24).toString('base64url')}`;
  await sql.query('INSERT INTO api_keys (digest, customer_id, plan) VALUES ($1, $2, $3)', [
    hashKey(key),
    customerId,
    plan,
  ]);
  return key;
}

export async function revokeKey(sql: Sql, key: string): Promise<void> {
  await sql.query('UPDATE api_keys SET revoked_at = now() WHERE digest = $1', [hashKey(key)]);
}
