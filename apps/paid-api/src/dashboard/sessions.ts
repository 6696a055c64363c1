/** The sessions a person has: the list (opened, last seen, browser), signing one out, or all of them. */
import type { FastifyInstance } from 'fastify';
import { listSessions, revokeSessionById, revokeSessionsOf } from '../accounts/sessions.js';
import type { DashboardContext } from './context.js';
import { clearCookie, html, SESSION_COOKIE, seeOther } from './http.js';
import { sessionsPage } from './views/account.js';
import { messagePage } from './views/layout.js';

export function sessionRoutes(app: FastifyInstance, ctx: DashboardContext): void {
  const { pool } = ctx;

  app.get('/sessions', async (request, reply) => {
    const found = await ctx.requirePage(request, reply);
    if (found === undefined) return reply;
    const sessions = await listSessions(pool, found.session.customerId);
    return html(reply, 200, sessionsPage(found.session, found.session.id, sessions));
  });

  app.post<{ Params: { id: string } }>('/sessions/:id/revoke', async (request, reply) => {
    const found = await ctx.requirePost(request, reply);
    if (found === undefined) return reply;
    // Another person's session is "not found", like a missing one.
    if (!(await revokeSessionById(pool, found.session.customerId, request.params.id))) {
      return html(reply, 404, messagePage('Not found', 'No such session.'));
    }
    return seeOther(reply, '/dashboard/sessions');
  });

  app.post('/sessions/revoke-all', async (request, reply) => {
    const found = await ctx.requirePost(request, reply);
    if (found === undefined) return reply;
    await revokeSessionsOf(pool, found.session.customerId);
    clearCookie(request, reply, SESSION_COOKIE);
    return seeOther(reply, '/dashboard/login');
  });
}
