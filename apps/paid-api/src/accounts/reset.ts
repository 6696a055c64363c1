/**
 * Password reset: a single-use link valid 30 minutes (`links.ts`). Setting the new password ends
 * every session of the account, and proves the mailbox, so the address counts as verified.
 */
import type pg from 'pg';
import { transaction } from '../db/pool.js';
import { createLink, useLink } from './links.js';
import { hashPassword } from './passwords.js';
import { revokeSessionsOf } from './sessions.js';

/** The account and a fresh reset link for an email, when an active account has it; else undefined. */
export async function startReset(
  pool: pg.Pool,
  email: string,
): Promise<{ customerId: string; email: string; link: string } | undefined> {
  const { rows } = await pool.query<{ id: string; email: string }>(
    `SELECT id, email FROM customers WHERE lower(email) = lower($1) AND status = 'active'`,
    [email.trim()],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  return { customerId: row.id, email: row.email, link: await createLink(pool, row.id, 'reset') };
}

/**
 * Uses a reset link: sets the password and ends every session and pending sign-in of the account,
 * in one transaction. Returns the account's id, or undefined when the link cannot be used.
 */
export async function finishReset(pool: pg.Pool, link: string, password: string): Promise<string | undefined> {
  const hash = await hashPassword(password);
  return transaction(pool, async (client) => {
    const id = await useLink(client, link, 'reset');
    if (id !== undefined) await setPasswordFromLink(client, id, hash);
    return id;
  });
}

/**
 * In the transaction that used a link (reset or invitation): sets the password, counts the address
 * as verified (the link came through it), and ends every session and pending sign-in.
 */
export async function setPasswordFromLink(client: pg.PoolClient, customerId: string, hash: string): Promise<void> {
  await client.query(
    'UPDATE customers SET password_hash = $2, email_verified = true, updated_at = now() WHERE id = $1',
    [customerId, hash],
  );
  await revokeSessionsOf(client, customerId);
  await client.query('UPDATE sign_in_steps SET used_at = now() WHERE customer_id = $1 AND used_at IS NULL', [
    customerId,
  ]);
}
