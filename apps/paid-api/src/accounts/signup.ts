/**
 * Sign-up: an account with a password whose address is not verified yet, and the link that
 * verifies it (`links.ts`). An unverified account cannot sign in. Signing up again with the same
 * address makes a new link (the older ones stop working) and changes nothing else.
 */
import type { PlanTable } from '@twofa-kit/core';
import type pg from 'pg';
import { transaction } from '../db/pool.js';
import { PaidApiError } from '../errors.js';
import { createCustomer } from './customers.js';
import { createLink, useLink } from './links.js';
import { hashPassword } from './passwords.js';

export type SignUp =
  /** A new account, or one still unverified: `link` verifies the address. */
  | { readonly kind: 'verify'; readonly customerId: string; readonly email: string; readonly link: string }
  /** The address already has a verified account (or a suspended one): nothing was changed. */
  | { readonly kind: 'exists'; readonly customerId: string; readonly email: string };

/** Signs up `email` on `plan` (a `PaidApiError` for a bad address or a short password). */
export async function signUp(
  pool: pg.Pool,
  plans: PlanTable,
  plan: string,
  email: string,
  password: string,
): Promise<SignUp> {
  const { rows } = await pool.query<{ id: string; email: string; email_verified: boolean; status: string }>(
    'SELECT id, email, email_verified, status FROM customers WHERE lower(email) = lower($1)',
    [email.trim()],
  );
  let row = rows[0];
  // The same scrypt work whether or not the address has an account, so the time does not tell.
  if (row !== undefined) await hashPassword(password);
  if (row === undefined) {
    try {
      const created = await createCustomer(pool, plans, { email, plan, password });
      await pool.query('UPDATE customers SET email_verified = false WHERE id = $1', [created.id]);
      row = { id: created.id, email: created.email, email_verified: false, status: 'active' };
    } catch (error) {
      // Two sign-ups of one address at once: the other one made the account.
      if (error instanceof PaidApiError && /already exists/.test(error.message)) {
        return signUp(pool, plans, plan, email, password);
      }
      throw error;
    }
  }
  if (row.email_verified || row.status !== 'active') return { kind: 'exists', customerId: row.id, email: row.email };
  return { kind: 'verify', customerId: row.id, email: row.email, link: await createLink(pool, row.id, 'verify') };
}

/** Uses a verification link; returns the account's id, or undefined when the link cannot be used. */
export async function verifyEmail(pool: pg.Pool, link: string): Promise<string | undefined> {
  return transaction(pool, async (client) => {
    const id = await useLink(client, link, 'verify');
    if (id !== undefined) {
      await client.query('UPDATE customers SET email_verified = true, updated_at = now() WHERE id = $1', [id]);
    }
    return id;
  });
}
