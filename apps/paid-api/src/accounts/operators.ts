/** Operators: Dashboard accounts with the role `admin`. */
import type { PlanTable } from '@twofa-kit/core';
import type pg from 'pg';
import { createCustomer, findCustomerByEmail } from './customers.js';

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
