/**
 * Customers: who pays, on which plan, with which limits. A customer's keys share its limits: the
 * identity the kit counts quotas for is the customer. Every change is announced on the
 * `twofa_keys` channel (`keys/changes.ts`) so running servers drop their cached keys at once.
 */
import { randomBytes } from 'node:crypto';
import { type PlanLimits, type PlanTable, WINDOWS } from '@twofa-kit/core';
import type pg from 'pg';
import { transaction } from '../db/pool.js';
import { PaidApiError } from '../errors.js';
import { announce } from '../keys/changes.js';
import { hashPassword } from './passwords.js';

export type CustomerStatus = 'active' | 'suspended';
export type Limits = Partial<PlanLimits>;

export interface Customer {
  readonly id: string;
  readonly email: string;
  readonly plan: string;
  /** Per-customer overrides of the plan's windows (`null` = unlimited); `{}` when none. */
  readonly limits: Limits;
  readonly status: CustomerStatus;
  readonly hasPassword: boolean;
  readonly createdAt: Date;
}

interface CustomerRow {
  id: string;
  email: string;
  plan: string;
  limits: Limits;
  status: CustomerStatus;
  password_hash: string | null;
  created_at: Date;
}

function toCustomer(row: CustomerRow): Customer {
  return {
    id: row.id,
    email: row.email,
    plan: row.plan,
    limits: row.limits,
    status: row.status,
    hasPassword: row.password_hash !== null,
    createdAt: row.created_at,
  };
}

/** `cus_` and 16 random hex digits. */
export function newCustomerId(): string {
  return `cus_${randomBytes(8).toString('hex')}`;
}

// --- checks -----------------------------------------------------------------------------------

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

export function checkPlanName(plans: PlanTable, plan: string): string {
  if (!Object.hasOwn(plans, plan)) {
    throw new PaidApiError(`unknown plan ${JSON.stringify(plan)} (plans: ${Object.keys(plans).join(', ')})`);
  }
  return plan;
}

/** Validates overrides: only the kit's windows, each a non-negative integer or null (unlimited). */
export function checkLimits(limits: Readonly<Record<string, unknown>>): Limits {
  const out: Record<string, number | null> = {};
  for (const [name, value] of Object.entries(limits)) {
    if (!WINDOWS.some((w) => w.name === name)) {
      throw new PaidApiError(
        `unknown window ${JSON.stringify(name)} (windows: ${WINDOWS.map((w) => w.name).join(', ')})`,
      );
    }
    if (value !== null && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)) {
      throw new PaidApiError(`the ${name} limit must be a whole number ≥ 0 or unlimited, got ${String(value)}`);
    }
    out[name] = value;
  }
  return out as Limits;
}

// --- functions a host calls ---------------------------------------------------------------------

export interface NewCustomer {
  readonly email: string;
  readonly plan: string;
  readonly password?: string | undefined;
  readonly limits?: Limits | undefined;
}

/** Creates a customer; the plan must be one of `plans`. Returns it (its id is what the CLI prints). */
export async function createCustomer(pool: pg.Pool, plans: PlanTable, input: NewCustomer): Promise<Customer> {
  const email = input.email.trim();
  if (!EMAIL.test(email)) throw new PaidApiError(`not an email address: ${JSON.stringify(input.email)}`);
  checkPlanName(plans, input.plan);
  const limits = checkLimits(input.limits ?? {});
  const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
  try {
    const { rows } = await pool.query<CustomerRow>(
      `INSERT INTO customers (id, email, password_hash, plan, limits) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [newCustomerId(), email, passwordHash, input.plan, JSON.stringify(limits)],
    );
    return toCustomer(rows[0] as CustomerRow);
  } catch (error) {
    if ((error as { code?: string }).code === '23505') {
      throw new PaidApiError(`a customer with the email ${email} already exists`);
    }
    throw error;
  }
}

export async function getCustomer(pool: pg.Pool, id: string): Promise<Customer> {
  const { rows } = await pool.query<CustomerRow>('SELECT * FROM customers WHERE id = $1', [id]);
  if (rows[0] === undefined) throw new PaidApiError(`no customer ${JSON.stringify(id)}`);
  return toCustomer(rows[0]);
}

export async function findCustomerByEmail(pool: pg.Pool, email: string): Promise<Customer | undefined> {
  const { rows } = await pool.query<CustomerRow>('SELECT * FROM customers WHERE lower(email) = lower($1)', [
    email.trim(),
  ]);
  return rows[0] === undefined ? undefined : toCustomer(rows[0]);
}

/**
 * Runs in the transaction of a change, after it: `before` and `after` are the customer's rows. The
 * Dashboard writes its audit log here, so a change and its log line commit together or not at all.
 */
export type AlsoInTransaction = (client: pg.PoolClient, before: Customer, after: Customer) => Promise<void>;

async function update(
  pool: pg.Pool,
  id: string,
  set: string,
  values: unknown[],
  also?: AlsoInTransaction,
): Promise<Customer> {
  return transaction(pool, async (client) => {
    const old = await client.query<CustomerRow>('SELECT * FROM customers WHERE id = $1 FOR UPDATE', [id]);
    if (old.rows[0] === undefined) throw new PaidApiError(`no customer ${JSON.stringify(id)}`);
    const { rows } = await client.query<CustomerRow>(
      `UPDATE customers SET ${set}, updated_at = now() WHERE id = $1 RETURNING *`,
      [id, ...values],
    );
    const after = toCustomer(rows[0] as CustomerRow);
    await announce(client, id);
    await also?.(client, toCustomer(old.rows[0]), after);
    return after;
  });
}

/** Moves a customer (and so all its keys) to another plan. */
export async function setPlan(
  pool: pg.Pool,
  plans: PlanTable,
  id: string,
  plan: string,
  also?: AlsoInTransaction,
): Promise<Customer> {
  checkPlanName(plans, plan);
  return update(pool, id, 'plan = $2', [plan], also);
}

/** Replaces the customer's overrides (`{}` = the plan's limits alone). */
export async function setLimits(
  pool: pg.Pool,
  id: string,
  limits: Limits,
  also?: AlsoInTransaction,
): Promise<Customer> {
  return update(pool, id, 'limits = $2', [JSON.stringify(checkLimits(limits))], also);
}

/** A suspended customer's keys all answer 401 until it is active again. */
export async function setStatus(
  pool: pg.Pool,
  id: string,
  status: CustomerStatus,
  also?: AlsoInTransaction,
): Promise<Customer> {
  if (status !== 'active' && status !== 'suspended') throw new PaidApiError('status is active or suspended');
  return update(pool, id, 'status = $2', [status], also);
}
