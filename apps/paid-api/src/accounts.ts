/**
 * Dashboard accounts: sign-in sessions, invitations, the first operator and the audit log.
 *
 * - A session is a random 256-bit token in an HttpOnly, SameSite=Strict cookie; the database keeps
 *   only its SHA-256 digest, with the session's CSRF token, its expiry and when it was revoked.
 *   Signing out revokes it; suspending a customer revokes all of its sessions.
 * - An invitation is a random token in a link the CLI prints; the database keeps its digest. It
 *   lets the customer set a password once, within its validity.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { PlanTable } from '@twofa-kit/core';
import type pg from 'pg';
import { createCustomer, findCustomerByEmail, hashPassword, PaidApiError, verifyPassword } from './customers.js';
import { transaction } from './db.js';

export type Role = 'customer' | 'admin';

/** How long a session lasts after sign-in. */
export const SESSION_TTL_SECONDS = 12 * 3_600;
/** How long an invitation link works. */
export const INVITATION_TTL_SECONDS = 7 * 86_400;

const digest = (token: string) => createHash('sha256').update(token).digest('hex');
const token = () => randomBytes(32).toString('base64url');

export interface Session {
  readonly customerId: string;
  readonly email: string;
  readonly role: Role;
  readonly csrf: string;
}

/** A fixed scrypt hash, checked when the email is unknown so both answers take as long. */
let dummyHash: Promise<string> | undefined;

/**
 * Checks an email and password: the account's id and role when they match an active account with
 * a password, else undefined (the same answer, after the same work, for every kind of mismatch).
 */
export async function checkPassword(
  pool: pg.Pool,
  email: string,
  password: string,
): Promise<{ id: string; role: Role } | undefined> {
  const { rows } = await pool.query<{ id: string; role: Role; status: string; password_hash: string | null }>(
    'SELECT id, role, status, password_hash FROM customers WHERE lower(email) = lower($1)',
    [email.trim()],
  );
  const row = rows[0];
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  const stored = row?.password_hash ?? (await dummyHash);
  const ok = await verifyPassword(password, stored);
  if (!ok || row === undefined || row.password_hash === null || row.status !== 'active') return undefined;
  return { id: row.id, role: row.role };
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

/**
 * Creates the operator named by `DASHBOARD_ADMIN_EMAIL` / `DASHBOARD_ADMIN_PASSWORD` when no
 * account has that email. An existing account is left as it is (its password is not reset).
 */
export async function ensureAdmin(
  pool: pg.Pool,
  plans: PlanTable,
  email: string,
  password: string,
): Promise<'created' | 'exists'> {
  if ((await findCustomerByEmail(pool, email)) !== undefined) return 'exists';
  const plan = Object.keys(plans)[0] as string;
  const admin = await createCustomer(pool, plans, { email, plan, password });
  await pool.query(`UPDATE customers SET role = 'admin' WHERE id = $1`, [admin.id]);
  return 'created';
}

/** One line of the audit log. */
export interface AuditEntry {
  readonly at: Date;
  readonly actorEmail: string;
  readonly action: string;
  readonly targetId: string | null;
  readonly details: Record<string, unknown>;
}

export async function audit(
  client: Pick<pg.Pool, 'query'>,
  actorId: string,
  action: string,
  targetId: string | null,
  details: Record<string, unknown>,
): Promise<void> {
  await client.query('INSERT INTO audit_log (actor_id, action, target_id, details) VALUES ($1, $2, $3, $4)', [
    actorId,
    action,
    targetId,
    JSON.stringify(details),
  ]);
}

export async function recentAudit(pool: pg.Pool, limit = 50): Promise<AuditEntry[]> {
  const { rows } = await pool.query<{
    at: Date;
    email: string;
    action: string;
    target_id: string | null;
    details: Record<string, unknown>;
  }>(
    `SELECT a.at, c.email, a.action, a.target_id, a.details FROM audit_log a JOIN customers c ON c.id = a.actor_id
      ORDER BY a.id DESC LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    at: r.at,
    actorEmail: r.email,
    action: r.action,
    targetId: r.target_id,
    details: r.details,
  }));
}
