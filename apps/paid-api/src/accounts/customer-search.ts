/**
 * The operators' customer list at any size: one query per page (the rows and the total together),
 * searched by email (any part, case-insensitive) or by id (exact), newest first.
 */
import type pg from 'pg';
import type { Customer, CustomerStatus, Limits } from './customers.js';

export const CUSTOMERS_PER_PAGE = 50;
/** A search longer than any email or id finds nothing; cut it rather than send it to the database. */
const MAX_QUERY = 320;

export interface CustomerPage {
  readonly customers: readonly Customer[];
  /** How many customers match the search, on all pages. */
  readonly total: number;
  /** 1-based; clamped to the last page. */
  readonly page: number;
  readonly pages: number;
  readonly query: string;
}

/** `%`, `_` and `\` stand for themselves in the search, never as LIKE wildcards. */
const likeEscape = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

interface Row {
  id: string;
  email: string;
  plan: string;
  limits: Limits;
  status: CustomerStatus;
  has_password: boolean;
  created_at: Date;
}

export async function searchCustomers(
  pool: Pick<pg.Pool, 'query'>,
  options: { query?: string | undefined; page?: number | undefined; perPage?: number | undefined } = {},
): Promise<CustomerPage> {
  const query = (options.query ?? '').trim().slice(0, MAX_QUERY);
  const perPage = options.perPage ?? CUSTOMERS_PER_PAGE;
  // PostgreSQL text cannot hold NUL, and no email or id does: such a search matches nothing.
  if (query.includes('\u0000'))
    return { customers: [], total: 0, page: 1, pages: 1, query: query.replaceAll('\u0000', '') };
  const where =
    query === '' ? `role = 'customer'` : `role = 'customer' AND (id = $1 OR lower(email) LIKE $2 ESCAPE '\\')`;
  const match = query === '' ? [] : [query, `%${likeEscape(query.toLowerCase())}%`];
  const counted = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM customers WHERE ${where}`, match);
  const total = Number(counted.rows[0]?.n ?? 0);
  const pages = Math.max(1, Math.ceil(total / perPage));
  const wanted = options.page ?? 1;
  const page = Number.isSafeInteger(wanted) && wanted > 0 ? Math.min(wanted, pages) : 1;
  const n = match.length;
  const { rows } = await pool.query<Row>(
    `SELECT id, email, plan, limits, status, password_hash IS NOT NULL AS has_password, created_at
       FROM customers WHERE ${where}
      ORDER BY created_at DESC, id LIMIT $${n + 1} OFFSET $${n + 2}`,
    [...match, perPage, (page - 1) * perPage],
  );
  return {
    customers: rows.map((r) => ({
      id: r.id,
      email: r.email,
      plan: r.plan,
      limits: r.limits,
      status: r.status,
      hasPassword: r.has_password,
      createdAt: r.created_at,
    })),
    total,
    page,
    pages,
    query,
  };
}
