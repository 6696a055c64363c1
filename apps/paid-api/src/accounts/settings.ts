/** The operators' settings of the Dashboard, one row each in `dashboard_settings`. */
import type pg from 'pg';

const OPERATORS_TWO_FACTOR = 'operators_require_two_factor';

/** Whether every operator must sign in with a second factor. Default: no. */
export async function operatorsNeedTwoFactor(pool: Pick<pg.Pool, 'query'>): Promise<boolean> {
  const { rows } = await pool.query<{ value: boolean }>('SELECT value FROM dashboard_settings WHERE name = $1', [
    OPERATORS_TWO_FACTOR,
  ]);
  return rows[0]?.value === true;
}

export async function setOperatorsNeedTwoFactor(client: Pick<pg.Pool, 'query'>, required: boolean): Promise<void> {
  await client.query(
    `INSERT INTO dashboard_settings (name, value) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`,
    [OPERATORS_TWO_FACTOR, JSON.stringify(required)],
  );
}
