/**
 * Dashboard sign-in sessions. A session is a random 256-bit token in an HttpOnly, SameSite=Strict
 * cookie; the database keeps only its SHA-256 digest, with the session's CSRF token, its expiry and
 * when it was revoked. Signing out revokes it; suspending a customer revokes all of its sessions.
 */
import type pg from 'pg';
import { digest, token } from './tokens.js';

export type Role = 'customer' | 'admin';

/** How long a session lasts after sign-in. */
export const SESSION_TTL_SECONDS = 12 * 3_600;
export interface Session {
  readonly customerId: string;
  readonly email: string;
  readonly role: Role;
  readonly csrf: string;
}

/**
 * Opens a session; returns the cookie's token (shown to the browser only). Sessions that ended
 * (expired or revoked) more than a day ago are deleted on the way, so the table stays small.
 */
export async function openSession(pool: pg.Pool, customerId: string): Promise<string> {
  await pool.query(
    `DELETE FROM dashboard_sessions
      WHERE least(expires_at, coalesce(revoked_at, expires_at)) < now() - interval '1 day'`,
  );
  const t = token();
  await pool.query(
    `INSERT INTO dashboard_sessions (digest, customer_id, csrf, expires_at)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
    [digest(t), customerId, token(), SESSION_TTL_SECONDS],
  );
  return t;
}

/** The session of a cookie's token, when it is live and its account active. */
export async function findSession(pool: pg.Pool, sessionToken: string): Promise<Session | undefined> {
  const { rows } = await pool.query<{ customer_id: string; email: string; role: Role; csrf: string }>(
    `SELECT s.customer_id, c.email, c.role, s.csrf
       FROM dashboard_sessions s JOIN customers c ON c.id = s.customer_id
      WHERE s.digest = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND c.status = 'active'`,
    [digest(sessionToken)],
  );
  const row = rows[0];
  return row === undefined
    ? undefined
    : { customerId: row.customer_id, email: row.email, role: row.role, csrf: row.csrf };
}

export async function revokeSession(pool: pg.Pool, sessionToken: string): Promise<void> {
  await pool.query('UPDATE dashboard_sessions SET revoked_at = now() WHERE digest = $1 AND revoked_at IS NULL', [
    digest(sessionToken),
  ]);
}

/** Revokes every session of an account (on suspension). Returns how many were live. */
export async function revokeSessionsOf(client: Pick<pg.Pool, 'query'>, customerId: string): Promise<number> {
  const { rowCount } = await client.query(
    'UPDATE dashboard_sessions SET revoked_at = now() WHERE customer_id = $1 AND revoked_at IS NULL',
    [customerId],
  );
  return rowCount ?? 0;
}
