/** The operators' page: customers, their plan, limits and access, each change in the audit log. */
import { WINDOWS } from '@twofa-kit/core';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { audit, recentAudit } from '../accounts/audit.js';
import { searchCustomers } from '../accounts/customer-search.js';
import {
  type AlsoInTransaction,
  type Customer,
  type Limits,
  setLimits,
  setPlan,
  setStatus,
} from '../accounts/customers.js';
import { revokeSessionsOf } from '../accounts/sessions.js';
import { PaidApiError } from '../errors.js';
import { usageTotals } from '../usage/totals.js';
import type { DashboardContext } from './context.js';
import { type Form, form, html, seeOther } from './http.js';
import { messagePage } from './views/layout.js';
import { adminPage } from './views/operators.js';

/** One query-string value: a repeated or missing parameter is none. */
const single = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export function operatorRoutes(app: FastifyInstance, ctx: DashboardContext): void {
  const { pool, twoFa } = ctx;

  app.get<{ Querystring: Record<string, unknown> }>('/admin', async (request, reply) => {
    const found = await ctx.requirePage(request, reply, 'admin');
    if (found === undefined) return reply;
    const pageText = single(request.query.page);
    const [list, totals, log] = await Promise.all([
      searchCustomers(pool, {
        query: single(request.query.q),
        page: pageText !== undefined && /^\d{1,9}$/.test(pageText) ? Number(pageText) : 1,
      }),
      usageTotals(pool),
      recentAudit(pool),
    ]);
    return html(reply, 200, adminPage(found.session, list, totals, Object.keys(twoFa.config.plans), log));
  });

  /**
   * POST /admin/customers/:id/<what>, an operator's change: made and written to the audit log
   * (`action`, `details`) in one transaction, then back to the list.
   */
  function operatorChange(
    what: string,
    step: {
      change: (id: string, body: Form, also: AlsoInTransaction) => Promise<unknown>;
      action: (before: Customer, after: Customer) => string;
      details: (before: Customer, after: Customer, client: pg.PoolClient) => Promise<Record<string, unknown>>;
    },
  ): void {
    app.post<{ Params: { id: string } }>(`/admin/customers/:id/${what}`, async (request, reply) => {
      const found = await ctx.requirePost(request, reply, 'admin');
      if (found === undefined) return reply;
      const actor = found.session.customerId;
      const target = await pool.query(`SELECT 1 FROM customers WHERE id = $1 AND role = 'customer'`, [
        request.params.id,
      ]);
      if (target.rowCount === 0) return html(reply, 404, messagePage('Not found', 'No such customer.'));
      try {
        await step.change(request.params.id, form(request), async (client, before, after) => {
          await audit(client, actor, step.action(before, after), after.id, await step.details(before, after, client));
        });
      } catch (error) {
        if (!(error instanceof PaidApiError)) throw error;
        return html(reply, 400, messagePage('Not changed', error.message));
      }
      return seeOther(reply, '/dashboard/admin');
    });
  }

  operatorChange('plan', {
    change: (id, body, also) => setPlan(pool, twoFa.config.plans, id, body.plan ?? '', also),
    action: () => 'plan.set',
    details: async (before, after) => ({ from: before.plan, to: after.plan }),
  });

  operatorChange('limits', {
    change: (id, body, also) => {
      const limits: Record<string, number | null> = {};
      for (const w of WINDOWS) {
        const text = (body[w.name] ?? '').trim();
        if (text === '') continue;
        if (text !== 'unlimited' && !/^\d{1,12}$/.test(text)) {
          throw new PaidApiError(`the ${w.name} limit must be a whole number or "unlimited"`);
        }
        limits[w.name] = text === 'unlimited' ? null : Number(text);
      }
      return setLimits(pool, id, limits as Limits, also);
    },
    action: () => 'limits.set',
    details: async (before, after) => ({ from: before.limits, to: after.limits }),
  });

  operatorChange('status', {
    change: (id, body, also) => setStatus(pool, id, body.status === 'active' ? 'active' : 'suspended', also),
    action: (_before, after) => `customer.${after.status === 'active' ? 'reactivate' : 'suspend'}`,
    details: async (_before, after, client) => ({
      sessionsRevoked: after.status === 'suspended' ? await revokeSessionsOf(client, after.id) : 0,
    }),
  });
}
