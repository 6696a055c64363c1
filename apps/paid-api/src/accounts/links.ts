/**
 * The links given to a person: verifying an address, resetting a password (both mailed), and
 * invitations (printed by the CLI). A link is a
 * random 256-bit token; the database keeps only its SHA-256 digest, what it is for, its expiry and
 * when it was used. One rule for all of them, each step in one transaction: a new link cancels the
 * older ones of the same kind, and using one cancels the rest.
 */
import type pg from 'pg';
import { transaction } from '../db/pool.js';
import { digest, token } from './tokens.js';

export type LinkPurpose = 'verify' | 'reset' | 'invite';

/** How long a link works: a reset link 30 minutes, an address-verification link a day, an invitation 7 days. */
export const LINK_TTL_SECONDS: Readonly<Record<LinkPurpose, number>> = Object.freeze({
  verify: 86_400,
  reset: 1_800,
  invite: 7 * 86_400,
});

/** Makes a link for an account, cancelling its older unused ones; returns the token (for the mail only). */
export async function createLink(pool: pg.Pool, customerId: string, purpose: LinkPurpose): Promise<string> {
  const t = token();
  await transaction(pool, async (client) => {
    // One change of an account's links at a time, so two new links at once cannot both stay working.
    await client.query('SELECT 1 FROM customers WHERE id = $1 FOR UPDATE', [customerId]);
    await cancelLinksOf(client, customerId, purpose);
    await client.query(
      `INSERT INTO account_links (digest, customer_id, purpose, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
      [digest(t), customerId, purpose, LINK_TTL_SECONDS[purpose]],
    );
  });
  return t;
}

/** The account a link is for, while it can be used (unused, unexpired, the account active). */
export async function linkAccount(
  pool: Pick<pg.Pool, 'query'>,
  link: string,
  purpose: LinkPurpose,
): Promise<{ customerId: string; email: string } | undefined> {
  const { rows } = await pool.query<{ customer_id: string; email: string }>(
    `SELECT l.customer_id, c.email FROM account_links l JOIN customers c ON c.id = l.customer_id
      WHERE l.digest = $1 AND l.purpose = $2 AND l.used_at IS NULL AND l.expires_at > now() AND c.status = 'active'`,
    [digest(link), purpose],
  );
  const row = rows[0];
  return row === undefined ? undefined : { customerId: row.customer_id, email: row.email };
}

/**
 * Uses a link inside the caller's transaction: marks it used and cancels the account's other
 * links of that kind. Returns the account's id, or undefined when the link cannot be used.
 */
export async function useLink(client: pg.PoolClient, link: string, purpose: LinkPurpose): Promise<string | undefined> {
  // The account's row first, as `createLink` does: two of its links used at once take turns, and
  // the second finds itself cancelled.
  await client.query(
    `SELECT 1 FROM customers c JOIN account_links l ON l.customer_id = c.id
      WHERE l.digest = $1 AND l.purpose = $2 FOR UPDATE OF c`,
    [digest(link), purpose],
  );
  const { rows } = await client.query<{ customer_id: string }>(
    `UPDATE account_links l SET used_at = now() FROM customers c
      WHERE l.digest = $1 AND l.purpose = $2 AND l.used_at IS NULL AND l.expires_at > now()
        AND c.id = l.customer_id AND c.status = 'active'
      RETURNING l.customer_id`,
    [digest(link), purpose],
  );
  const id = rows[0]?.customer_id;
  if (id !== undefined) await cancelLinksOf(client, id, purpose);
  return id;
}

/** Cancels an account's working links of one kind; returns how many. */
export async function cancelLinksOf(
  client: Pick<pg.Pool, 'query'>,
  customerId: string,
  purpose: LinkPurpose,
): Promise<number> {
  const { rowCount } = await client.query(
    `UPDATE account_links SET used_at = now()
      WHERE customer_id = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()`,
    [customerId, purpose],
  );
  return rowCount ?? 0;
}

/** Cancels one link by its token; returns 1, or 0 when it was not working. */
export async function cancelLink(client: Pick<pg.Pool, 'query'>, link: string, purpose: LinkPurpose): Promise<number> {
  const { rowCount } = await client.query(
    `UPDATE account_links SET used_at = now()
      WHERE digest = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()`,
    [digest(link), purpose],
  );
  return rowCount ?? 0;
}
