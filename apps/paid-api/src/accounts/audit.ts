/** The audit log: who changed what, written in the transaction of the change. */
import type pg from 'pg';

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
