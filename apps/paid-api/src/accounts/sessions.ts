/**
 * Dashboard sign-in sessions. A session is a random 256-bit token in an HttpOnly, SameSite=Strict
 * cookie; the database keeps only its SHA-256 digest, with the session's CSRF token, its expiry and
 * when it was revoked. Signing out revokes it; suspending a customer revokes all of its sessions.
 * Each session also keeps when it was opened, when it was last seen (to the minute) and the
 * browser's user agent, for the list of a person's sessions and "sign out everywhere".
 */
import type pg from 'pg';
import { digest, token } from './tokens.js';

export type Role = 'customer' | 'admin';

/** How long a session lasts after sign-in. */
export const SESSION_TTL_SECONDS = 12 * 3_600;
export interface Session {
  /** The session's number (not its token): what the sessions page names it by. */
  readonly id: string;
  readonly customerId: string;
  readonly email: string;
  readonly role: Role;
  readonly csrf: string;
  /** Whether the account signs in with a second factor. */
  readonly twoFactor: boolean;
}

/** A session as the sessions page lists it. */
export interface SessionInfo {
  readonly id: string;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  readonly userAgent: string | null;
}

/** User agents are kept to this many characters. */
const USER_AGENT_CHARS = 200;

/**
 * Opens a session; returns the cookie's token (shown to the browser only). Sessions that ended
 * (expired or revoked) more than a day ago are deleted on the way, so the table stays small.
 */
export async function openSession(
  pool: Pick<pg.Pool, 'query'>,
  customerId: string,
  userAgent?: string | undefined,
): Promise<string> {
  await pool.query(
    `DELETE FROM dashboard_sessions
      WHERE least(expires_at, coalesce(revoked_at, expires_at)) < now() - interval '1 day'`,
  );
  const t = token();
  await pool.query(
    `INSERT INTO dashboard_sessions (digest, customer_id, csrf, expires_at, user_agent)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5)`,
    [digest(t), customerId, token(), SESSION_TTL_SECONDS, userAgent?.slice(0, USER_AGENT_CHARS) ?? null],
  );
  return t;
}

/**
 * The session of a cookie's token, when it is live and its account active. Its "last seen" moves
 * on, at most once a minute (so a busy page costs no write per request).
 */
export async function findSession(pool: pg.Pool, sessionToken: string): Promise<Session | undefined> {
  const { rows } = await pool.query<{
    id: string;
    customer_id: string;
    email: string;
    role: Role;
    csrf: string;
    two_factor: boolean;
    stale: boolean;
  }>(
    `SELECT s.id::text AS id, s.customer_id, c.email, c.role, s.csrf, c.totp_secret IS NOT NULL AS two_factor,
            s.last_seen_at < now() - interval '1 minute' AS stale
       FROM dashboard_sessions s JOIN customers c ON c.id = s.customer_id
      WHERE s.digest = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND c.status = 'active'`,
    [digest(sessionToken)],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  if (row.stale) await pool.query('UPDATE dashboard_sessions SET last_seen_at = now() WHERE id = $1', [row.id]);
  return {
    id: row.id,
    customerId: row.customer_id,
    email: row.email,
    role: row.role,
    csrf: row.csrf,
    twoFactor: row.two_factor,
  };
}

/** An account's live sessions, the most recently seen first. */
export async function listSessions(pool: pg.Pool, customerId: string): Promise<SessionInfo[]> {
  const { rows } = await pool.query<{ id: string; created_at: Date; last_seen_at: Date; user_agent: string | null }>(
    `SELECT id::text AS id, created_at, last_seen_at, user_agent FROM dashboard_sessions
      WHERE customer_id = $1 AND revoked_at IS NULL AND expires_at > now()
      ORDER BY last_seen_at DESC, id DESC`,
    [customerId],
  );
  return rows.map((r) => ({ id: r.id, createdAt: r.created_at, lastSeenAt: r.last_seen_at, userAgent: r.user_agent }));
}

/** Revokes one of an account's sessions by its number; false when the account has no such live session. */
export async function revokeSessionById(pool: pg.Pool, customerId: string, id: string): Promise<boolean> {
  if (!/^\d{1,18}$/.test(id)) return false;
  const { rowCount } = await pool.query(
    'UPDATE dashboard_sessions SET revoked_at = now() WHERE id = $1 AND customer_id = $2 AND revoked_at IS NULL',
    [id, customerId],
  );
  return (rowCount ?? 0) > 0;
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
