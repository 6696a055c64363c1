/**
 * API keys: issued as `tfa_live_` + 32 random base64url characters (192 bits), shown once, and
 * stored only as their SHA-256 digest (the kit's `hashKey`) with a display prefix and last
 * characters. A key belongs to a customer; all of a customer's keys share its plan and limits.
 *
 * A key works while it is not revoked, not past `expires_at`, not past the end of a rotation's
 * grace period, and its customer is active. Every change is announced (`changes.ts`).
 */
import { randomBytes } from 'node:crypto';
import { hashKey, type Identity } from '@twofa-kit/core';
import type pg from 'pg';
import { transaction } from '../db/pool.js';
import { PaidApiError } from '../errors.js';
import { announce } from './changes.js';

export const KEY_PREFIX = 'tfa_live_';
/** Working keys (active or in a rotation's grace period) a customer may hold at once. */
export const MAX_KEYS_PER_CUSTOMER = 20;

/** Runs in the transaction of a key change, after it (the audit log's line, so both commit or neither). */
export type AlsoForKey = (client: pg.PoolClient, record: KeyRecord) => Promise<void>;
/** Characters of the key kept for display: the first (after the prefix) and the last. */
const SHOWN = 4;
/** Default grace period of a rotation: a day for deployments to pick up the new key. */
export const DEFAULT_GRACE_SECONDS = 86_400;

export type KeyStatus = 'active' | 'rotating' | 'expired' | 'revoked';

export interface KeyRecord {
  readonly id: string;
  readonly customerId: string;
  /** `tfa_live_AbCd…wXyZ`: enough to recognise a key, never enough to use it. */
  readonly display: string;
  readonly status: KeyStatus;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  /** During a rotation: the key that replaces this one, and when this one stops working. */
  readonly replacedBy: string | null;
  readonly graceEndsAt: Date | null;
  /** When a server last looked the key up in the database (so at most one key-cache TTL stale). */
  readonly lastUsedAt: Date | null;
}

export interface IssuedKey {
  /** The key itself: give it to the customer now, it cannot be shown again. */
  readonly key: string;
  readonly record: KeyRecord;
}

interface KeyRow {
  id: string;
  customer_id: string;
  prefix: string;
  last_chars: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  replaced_by: string | null;
  grace_ends_at: Date | null;
  last_used_at: Date | null;
  status: KeyStatus;
}

/** The key's status by the database's clock. */
const STATUS = `CASE
  WHEN revoked_at IS NOT NULL THEN 'revoked'
  WHEN expires_at IS NOT NULL AND expires_at <= now() THEN 'expired'
  WHEN grace_ends_at IS NOT NULL AND grace_ends_at <= now() THEN 'expired'
  WHEN grace_ends_at IS NOT NULL THEN 'rotating'
  ELSE 'active' END AS status`;

function toRecord(row: KeyRow): KeyRecord {
  return {
    id: row.id,
    customerId: row.customer_id,
    display: `${row.prefix}…${row.last_chars}`,
    status: row.status,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    replacedBy: row.replaced_by,
    graceEndsAt: row.grace_ends_at,
    lastUsedAt: row.last_used_at,
  };
}

/** A new random key, e.g. `tfa_live_3fQ…` (41 characters). */
export function generateKey(): string {
  return `${KEY_PREFIX}${randomBytes(24).toString('base64url')}`;
}

function newKeyId(): string {
  return `key_${randomBytes(8).toString('hex')}`;
}

async function insertKey(
  client: Pick<pg.ClientBase, 'query'>,
  customerId: string,
  expiresAt: Date | null,
): Promise<IssuedKey> {
  // The customer's row is locked for the transaction, so concurrent issues count one after the other.
  await client.query('SELECT 1 FROM customers WHERE id = $1 FOR UPDATE', [customerId]);
  const working = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM api_keys WHERE customer_id = $1 AND revoked_at IS NULL
        AND (expires_at IS NULL OR expires_at > now()) AND (grace_ends_at IS NULL OR grace_ends_at > now())`,
    [customerId],
  );
  if ((working.rows[0]?.n ?? 0) >= MAX_KEYS_PER_CUSTOMER) {
    throw new PaidApiError(`a customer holds at most ${MAX_KEYS_PER_CUSTOMER} working keys: revoke one first`);
  }
  const key = generateKey();
  const { rows } = await client.query<KeyRow>(
    `INSERT INTO api_keys (id, customer_id, digest, prefix, last_chars, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING *, ${STATUS}`,
    [newKeyId(), customerId, hashKey(key), key.slice(0, KEY_PREFIX.length + SHOWN), key.slice(-SHOWN), expiresAt],
  );
  return { key, record: toRecord(rows[0] as KeyRow) };
}

function checkDate(name: string, date: Date): Date {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new PaidApiError(`${name} is not a valid date`);
  return date;
}

/** Issues a key for a customer, optionally expiring at `expiresAt` (which must be in the future). */
export async function createKey(
  pool: pg.Pool,
  customerId: string,
  options: { expiresAt?: Date | undefined; also?: AlsoForKey | undefined } = {},
): Promise<IssuedKey> {
  const expiresAt = options.expiresAt === undefined ? null : checkDate('expires', options.expiresAt);
  return transaction(pool, async (client) => {
    const customer = await client.query('SELECT 1 FROM customers WHERE id = $1', [customerId]);
    if (customer.rowCount === 0) throw new PaidApiError(`no customer ${JSON.stringify(customerId)}`);
    if (expiresAt !== null) {
      const { rows } = await client.query<{ past: boolean }>('SELECT $1::timestamptz <= now() AS past', [expiresAt]);
      if (rows[0]?.past) throw new PaidApiError(`expires ${expiresAt.toISOString()} is not in the future`);
    }
    const issued = await insertKey(client, customerId, expiresAt);
    await announce(client, customerId);
    await options.also?.(client, issued.record);
    return issued;
  });
}

/** The customer's keys, newest first. */
export async function listKeys(pool: pg.Pool, customerId: string): Promise<KeyRecord[]> {
  const customer = await pool.query('SELECT 1 FROM customers WHERE id = $1', [customerId]);
  if (customer.rowCount === 0) throw new PaidApiError(`no customer ${JSON.stringify(customerId)}`);
  const { rows } = await pool.query<KeyRow>(
    `SELECT *, ${STATUS} FROM api_keys WHERE customer_id = $1 ORDER BY created_at DESC, id`,
    [customerId],
  );
  return rows.map(toRecord);
}

export async function getKey(pool: pg.Pool, keyId: string): Promise<KeyRecord> {
  const { rows } = await pool.query<KeyRow>(`SELECT *, ${STATUS} FROM api_keys WHERE id = $1`, [keyId]);
  if (rows[0] === undefined) throw new PaidApiError(`no key ${JSON.stringify(keyId)}`);
  return toRecord(rows[0]);
}

async function change(
  pool: pg.Pool,
  keyId: string,
  set: string,
  values: unknown[],
  also: AlsoForKey | undefined,
): Promise<KeyRecord> {
  return transaction(pool, async (client) => {
    const { rows } = await client.query<KeyRow>(`UPDATE api_keys SET ${set} WHERE id = $1 RETURNING *, ${STATUS}`, [
      keyId,
      ...values,
    ]);
    if (rows[0] === undefined) throw new PaidApiError(`no key ${JSON.stringify(keyId)}`);
    await announce(client, rows[0].customer_id);
    const record = toRecord(rows[0]);
    await also?.(client, record);
    return record;
  });
}

/** Revokes a key at once (a second revocation keeps the first time). */
export async function revokeKey(pool: pg.Pool, keyId: string, also?: AlsoForKey): Promise<KeyRecord> {
  return change(pool, keyId, 'revoked_at = coalesce(revoked_at, now())', [], also);
}

/** Sets (or, with null, removes) the moment the key stops working; a past date expires it now. */
export async function expireKey(pool: pg.Pool, keyId: string, at: Date | null, also?: AlsoForKey): Promise<KeyRecord> {
  return change(pool, keyId, 'expires_at = $2', [at === null ? null : checkDate('expires', at)], also);
}

/**
 * Replaces a key: issues a new one for the same customer (with the same expiry) and lets the old one
 * work for `graceSeconds` more (0 = it stops now). Both share the customer's quota meanwhile.
 * Only a working key that is not already being rotated can be rotated.
 */
export async function rotateKey(
  pool: pg.Pool,
  keyId: string,
  options: {
    graceSeconds?: number | undefined;
    also?: (client: pg.PoolClient, old: KeyRecord, issued: KeyRecord) => Promise<void>;
  } = {},
): Promise<IssuedKey> {
  const grace = options.graceSeconds ?? DEFAULT_GRACE_SECONDS;
  if (!Number.isSafeInteger(grace) || grace < 0) throw new PaidApiError('grace must be a whole number of seconds ≥ 0');
  return transaction(pool, async (client) => {
    const { rows } = await client.query<KeyRow>(`SELECT *, ${STATUS} FROM api_keys WHERE id = $1 FOR UPDATE`, [keyId]);
    const old = rows[0];
    if (old === undefined) throw new PaidApiError(`no key ${JSON.stringify(keyId)}`);
    if (old.status !== 'active') throw new PaidApiError(`key ${keyId} is ${old.status}: only an active key rotates`);
    const issued = await insertKey(client, old.customer_id, old.expires_at);
    await client.query(
      `UPDATE api_keys SET replaced_by = $2, grace_ends_at = now() + make_interval(secs => $3) WHERE id = $1`,
      [keyId, issued.record.id, grace],
    );
    await announce(client, old.customer_id);
    await options.also?.(client, toRecord(old), issued.record);
    return issued;
  });
}

/** What a key resolves to, with the moment it stops working (null: not before a change). */
export interface KeyIdentity extends Identity {
  readonly validUntil: number | null;
  /** Unix ms since the customer's subscription is past due (billing), or null. */
  readonly pastDueSince: number | null;
}

interface LookupRow {
  customer_id: string;
  plan: string;
  limits: Identity['limits'];
  expires_at: Date | null;
  grace_ends_at: Date | null;
  past_due_since: Date | null;
}

/**
 * Looks a key up by its SHA-256 hex digest: the customer's identity when the key works now, else
 * null. Records the use (`last_used_at`). One statement, one round trip.
 */
export async function lookupKey(pool: Pick<pg.Pool, 'query'>, digest: string): Promise<KeyIdentity | null> {
  const { rows } = await pool.query<LookupRow>(
    `UPDATE api_keys k SET last_used_at = now()
       FROM customers c
      WHERE k.digest = $1 AND c.id = k.customer_id AND c.status = 'active' AND k.revoked_at IS NULL
        AND (k.expires_at IS NULL OR k.expires_at > now())
        AND (k.grace_ends_at IS NULL OR k.grace_ends_at > now())
     RETURNING c.id AS customer_id, c.plan, c.limits, k.expires_at, k.grace_ends_at, c.past_due_since`,
    [digest],
  );
  const row = rows[0];
  if (row === undefined) return null;
  const ends = [row.expires_at, row.grace_ends_at].filter((d): d is Date => d !== null).map((d) => d.getTime());
  return {
    id: row.customer_id,
    plan: row.plan,
    limits: row.limits,
    validUntil: ends.length === 0 ? null : Math.min(...ends),
    pastDueSince: row.past_due_since === null ? null : row.past_due_since.getTime(),
  };
}
