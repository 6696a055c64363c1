/**
 * Invitations: a random token in a link the CLI prints; the database keeps its digest. It lets the
 * customer set a password once, within its validity.
 */
import type pg from 'pg';
import { transaction } from '../db/pool.js';
import { PaidApiError } from '../errors.js';
import { hashPassword } from './passwords.js';
import { digest, token } from './tokens.js';

/** How long an invitation link works. */
export const INVITATION_TTL_SECONDS = 7 * 86_400;

/** Creates an invitation for a customer; returns its token (for the link, shown once). */
export async function createInvitation(pool: pg.Pool, customerId: string): Promise<string> {
  const customer = await pool.query('SELECT 1 FROM customers WHERE id = $1', [customerId]);
  if (customer.rowCount === 0) throw new PaidApiError(`no customer ${JSON.stringify(customerId)}`);
  const t = token();
  await pool.query(
    `INSERT INTO invitations (digest, customer_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))`,
    [digest(t), customerId, INVITATION_TTL_SECONDS],
  );
  return t;
}

/** The email an invitation is for, while it can be used. */
export async function invitationEmail(pool: pg.Pool, invitation: string): Promise<string | undefined> {
  const { rows } = await pool.query<{ email: string }>(
    `SELECT c.email FROM invitations i JOIN customers c ON c.id = i.customer_id
      WHERE i.digest = $1 AND i.used_at IS NULL AND i.expires_at > now() AND c.status = 'active'`,
    [digest(invitation)],
  );
  return rows[0]?.email;
}

/** Uses an invitation: sets the password; returns the account id, or undefined when it cannot be used. */
export async function acceptInvitation(
  pool: pg.Pool,
  invitation: string,
  password: string,
): Promise<string | undefined> {
  const hash = await hashPassword(password);
  return transaction(pool, async (client) => {
    const { rows } = await client.query<{ customer_id: string }>(
      `UPDATE invitations SET used_at = now()
        WHERE digest = $1 AND used_at IS NULL AND expires_at > now() RETURNING customer_id`,
      [digest(invitation)],
    );
    const id = rows[0]?.customer_id;
    if (id === undefined) return undefined;
    await client.query(`UPDATE customers SET password_hash = $2, updated_at = now() WHERE id = $1`, [id, hash]);
    return id;
  });
}
