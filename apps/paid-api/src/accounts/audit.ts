/**
 * The audit log: who changed what, written in the transaction of the change: operators' changes,
 * a customer's own key changes, and every change made from the CLI (no account: `actor_id` null).
 */
import type pg from 'pg';

/** One line of the audit log. */
export interface AuditEntry {
  readonly at: Date;
  /** The account's email, or `CLI` for a change made from the command line. */
  readonly actorEmail: string;
  readonly action: string;
  readonly targetId: string | null;
  readonly details: Record<string, unknown>;
}

/** The actor of a change made from the CLI. */
export const CLI_ACTOR = null;

export async function audit(
  client: Pick<pg.Pool, 'query'>,
  actorId: string | typeof CLI_ACTOR,
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
    email: string | null;
    action: string;
    target_id: string | null;
    details: Record<string, unknown>;
  }>(
    `SELECT a.at, c.email, a.action, a.target_id, a.details FROM audit_log a LEFT JOIN customers c ON c.id = a.actor_id
      ORDER BY a.id DESC LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    at: r.at,
    actorEmail: r.email ?? 'CLI',
    action: r.action,
    targetId: r.target_id,
    details: r.details,
  }));
}
