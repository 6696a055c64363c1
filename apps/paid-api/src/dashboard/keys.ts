/**
 * A customer's overview page and the actions on its keys: create, rotate, revoke, each written to
 * the audit log (the customer as the actor) in the transaction of the change.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { audit } from '../accounts/audit.js';
import { getCustomer } from '../accounts/customers.js';
import type { Session } from '../accounts/sessions.js';
import { PaidApiError } from '../errors.js';
import { createKey, getKey, listKeys, revokeKey, rotateKey } from '../keys/service.js';
import { usageHistory } from '../usage/sink.js';
import type { DashboardContext } from './context.js';
import { form, html, seeOther } from './http.js';
import { customerUsage } from './usage.js';
import { messagePage } from './views/layout.js';
import { type NewKey, overviewPage } from './views/overview.js';

export function keyRoutes(app: FastifyInstance, ctx: DashboardContext): void {
  const { pool, twoFa, clock } = ctx;

  const apiBase = (request: FastifyRequest) => `${request.protocol}://${request.host}`;

  async function renderOverview(
    request: FastifyRequest,
    reply: FastifyReply,
    session: Session,
    extra: { newKey?: NewKey; notice?: string; status?: number } = {},
  ) {
    const customer = await getCustomer(pool, session.customerId);
    const now = clock();
    const [windows, daily, hourly, keys] = await Promise.all([
      customerUsage(twoFa, customer),
      usageHistory(pool, customer.id, 86_400_000, 30, now),
      usageHistory(pool, customer.id, 3_600_000, 48, now),
      listKeys(pool, customer.id),
    ]);
    return html(
      reply,
      extra.status ?? 200,
      overviewPage(session, {
        customer,
        windows,
        daily,
        hourly,
        keys,
        apiBase: apiBase(request),
        newKey: extra.newKey,
        notice: extra.notice,
      }),
    );
  }

  app.get('/', async (request, reply) => {
    const found = await ctx.requirePage(request, reply);
    if (found === undefined) return reply;
    if (found.session.role === 'admin') return seeOther(reply, '/dashboard/admin');
    return renderOverview(request, reply, found.session);
  });

  app.post('/keys', async (request, reply) => {
    const found = await ctx.requirePost(request, reply);
    if (found === undefined) return reply;
    const actor = found.session.customerId;
    try {
      const issued = await createKey(pool, actor, {
        also: (client, record) => audit(client, actor, 'key.create', actor, { key: record.id }),
      });
      return renderOverview(request, reply, found.session, {
        newKey: { key: issued.key, what: `New key ${issued.record.display}` },
      });
    } catch (error) {
      if (!(error instanceof PaidApiError)) throw error;
      return renderOverview(request, reply, found.session, { notice: error.message, status: 409 });
    }
  });

  /** The key, when it is this customer's (another customer's key is "not found", like a missing one). */
  async function ownKey(session: Session, id: string) {
    try {
      const key = await getKey(pool, id);
      return key.customerId === session.customerId ? key : undefined;
    } catch (error) {
      if (error instanceof PaidApiError) return undefined;
      throw error;
    }
  }

  app.post<{ Params: { id: string } }>('/keys/:id/rotate', async (request, reply) => {
    const found = await ctx.requirePost(request, reply);
    if (found === undefined) return reply;
    const key = await ownKey(found.session, request.params.id);
    if (key === undefined) return html(reply, 404, messagePage('Not found', 'No such key.'));
    const graceText = form(request).grace ?? '86400';
    const grace = /^\d{1,7}$/.test(graceText) ? Number(graceText) : Number.NaN;
    if (!Number.isSafeInteger(grace) || grace > 30 * 86_400) {
      return html(reply, 400, messagePage('Rotate', 'The grace period must be 0 to 30 days, in seconds.'));
    }
    try {
      const actor = found.session.customerId;
      const issued = await rotateKey(pool, key.id, {
        graceSeconds: grace,
        also: (client, old, fresh) =>
          audit(client, actor, 'key.rotate', actor, { key: old.id, newKey: fresh.id, graceSeconds: grace }),
      });
      return renderOverview(request, reply, found.session, {
        newKey: { key: issued.key, what: `New key ${issued.record.display}, replacing ${key.display}` },
      });
    } catch (error) {
      if (!(error instanceof PaidApiError)) throw error;
      return renderOverview(request, reply, found.session, { notice: error.message, status: 409 });
    }
  });

  app.post<{ Params: { id: string } }>('/keys/:id/revoke', async (request, reply) => {
    const found = await ctx.requirePost(request, reply);
    if (found === undefined) return reply;
    const key = await ownKey(found.session, request.params.id);
    if (key === undefined) return html(reply, 404, messagePage('Not found', 'No such key.'));
    const actor = found.session.customerId;
    await revokeKey(pool, key.id, (client, record) => audit(client, actor, 'key.revoke', actor, { key: record.id }));
    return seeOther(reply, '/dashboard');
  });
}
