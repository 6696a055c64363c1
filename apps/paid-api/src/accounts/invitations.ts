/**
 * Invitations: a random token in a link the CLI prints; the database keeps its digest. It lets the
 * customer set a password once, within its validity. A customer has at most one link that works:
 * a new one cancels the older ones, and using one cancels the rest, sets the password and ends
 * every session of the account, in one transaction. A link is cancelled by ending its validity now.
 */
import type pg from 'pg';
import { transaction } from '../db/pool.js';
import { PaidApiError } from '../errors.js';
import { hashPassword } from './passwords.js';
import { revokeSessionsOf } from './sessions.js';
import { digest, token } from './tokens.js';

/** How long an invitation link works. */
export const INVITATION_TTL_SECONDS = 7 * 86_400;

/** Cancels the links of a customer that still work; returns how many. */
async function cancelLinksOf(client: Pick<pg.Pool, 'query'>, customerId: string): Promise<number> {
  const { rowCount } = await client.query(
    `UPDATE invitations SET expires_at = now() WHERE customer_id = $1 AND used_at IS NULL AND expires_at > now()`,
    [customerId],
  );
  return rowCount ?? 0;
}

/** Creates an invitation for a customer, cancelling its older ones; returns its token (for the link, shown once). */
export async function createInvitation(pool: pg.Pool, customerId: string): Promise<string> {
  return transaction(pool, async (client) => {
    const customer = await client.query('SELECT 1 FROM customers WHERE id = $1 FOR UPDATE', [customerId]);
    if (customer.rowCount === 0) throw new PaidApiError(`no customer ${JSON.stringify(customerId)}`);
    await cancelLinksOf(client, customerId);
    const t = token();
    await client.query(
      `INSERT INTO invitations (digest, customer_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))`,
      [digest(t), customerId, INVITATION_TTL_SECONDS],
    );
    return t;
  });
}

/**
 * Cancels a link (its token, or the whole link as printed) or, with `customerId`, every working
 * link of that customer. Returns how many were cancelled.
 */
export async function revokeInvitations(
  pool: pg.Pool,
  which: { readonly link: string } | { readonly customerId: string },
): Promise<number> {
  if ('customerId' in which) return cancelLinksOf(pool, which.customerId);
  const tokenPart = which.link.slice(which.link.lastIndexOf('/') + 1);
  const { rowCount } = await pool.query(
    `UPDATE invitations SET expires_at = now() WHERE digest = $1 AND used_at IS NULL AND expires_at > now()`,
    [digest(tokenPart)],
  );
  return rowCount ?? 0;
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

/** Uses an invitation: cancels the others, sets the password, ends the sessions; returns the account id, or undefined when it cannot be used. */
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
    await cancelLinksOf(client, id);
    await client.query(`UPDATE customers SET password_hash = $2, updated_at = now() WHERE id = $1`, [id, hash]);
    // A new password ends every session that the old one (or anyone holding it) opened.
    await revokeSessionsOf(client, id);
    return id;
  });
}
