/**
 * Totals across all customers for the operators' page, read from the daily roll-ups that the
 * database keeps beside the hourly history (migration 3): a few hundred rows, whatever the size of
 * the history.
 */
import type pg from 'pg';

export interface DayTotal {
  /** `YYYY-MM-DD`, UTC. */
  readonly day: string;
  readonly admitted: number;
  readonly refused: number;
}

export interface TopCustomer {
  readonly id: string;
  readonly email: string;
  readonly admitted: number;
  readonly refused: number;
}

export interface UsageTotals {
  /** The last `days` UTC days, oldest first, each present (0 when nothing was counted). */
  readonly days: readonly DayTotal[];
  /** The customers with the most admitted requests over those days, most first. */
  readonly top: readonly TopCustomer[];
}

const DAY_MS = 86_400_000;

export async function usageTotals(
  pool: Pick<pg.Pool, 'query'>,
  options: { days?: number; top?: number; now?: number } = {},
): Promise<UsageTotals> {
  const count = options.days ?? 30;
  const today = Math.floor((options.now ?? Date.now()) / DAY_MS) * DAY_MS;
  const since = new Date(today - (count - 1) * DAY_MS).toISOString().slice(0, 10);
  const [perDay, top] = await Promise.all([
    pool.query<{ day: string; admitted: string; refused: string }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, admitted, refused FROM usage_days WHERE day >= $1::date`,
      [since],
    ),
    pool.query<{ id: string; email: string; admitted: string; refused: string }>(
      `SELECT u.customer_id AS id, c.email, u.admitted, u.refused
         FROM (SELECT customer_id, sum(admitted) AS admitted, sum(refused) AS refused
                 FROM usage_daily WHERE day >= $1::date GROUP BY customer_id
                ORDER BY sum(admitted) DESC, customer_id LIMIT $2) u
         JOIN customers c ON c.id = u.customer_id
        ORDER BY u.admitted DESC, u.customer_id`,
      [since, options.top ?? 10],
    ),
  ]);
  const byDay = new Map(perDay.rows.map((r) => [r.day, r]));
  const days: DayTotal[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const day = new Date(today - i * DAY_MS).toISOString().slice(0, 10);
    const row = byDay.get(day);
    days.push({ day, admitted: Number(row?.admitted ?? 0), refused: Number(row?.refused ?? 0) });
  }
  return {
    days,
    top: top.rows.map((r) => ({ id: r.id, email: r.email, admitted: Number(r.admitted), refused: Number(r.refused) })),
  };
}
