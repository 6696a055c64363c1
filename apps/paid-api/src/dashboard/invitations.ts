/** An invitation link: the customer sets a password, once, and is signed in. */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { acceptInvitation, invitationEmail } from '../accounts/invitations.js';
import { openSession, SESSION_TTL_SECONDS } from '../accounts/sessions.js';
import type { DashboardContext } from './context.js';
import { cookie, cookies, form, html, LOGIN_CSRF_COOKIE, SESSION_COOKIE, sameToken, seeOther } from './http.js';
import { messagePage } from './views/layout.js';
import { invitePage } from './views/sign-in.js';

export function invitationRoutes(app: FastifyInstance, ctx: DashboardContext): void {
  const { pool } = ctx;

  app.get<{ Params: { token: string } }>('/invite/:token', async (request, reply) => {
    const email = await invitationEmail(pool, request.params.token);
    if (email === undefined) return html(reply, 404, messagePage('Invitation', 'This invitation is used or expired.'));
    const csrf = randomBytes(24).toString('base64url');
    reply.header('set-cookie', cookie(request, LOGIN_CSRF_COOKIE, csrf, 3_600));
    return html(reply, 200, invitePage(request.params.token, csrf, email));
  });

  app.post<{ Params: { token: string } }>('/invite/:token', async (request, reply) => {
    const { password = '', csrf } = form(request);
    const email = await invitationEmail(pool, request.params.token);
    if (email === undefined) return html(reply, 404, messagePage('Invitation', 'This invitation is used or expired.'));
    if (!sameToken(csrf, cookies(request)[LOGIN_CSRF_COOKIE])) {
      return html(reply, 403, messagePage('Form expired', 'Open the invitation link again.'));
    }
    if (password.length < 8) {
      const fresh = randomBytes(24).toString('base64url');
      reply.header('set-cookie', cookie(request, LOGIN_CSRF_COOKIE, fresh, 3_600));
      return html(
        reply,
        400,
        invitePage(request.params.token, fresh, email, 'A password needs at least 8 characters.'),
      );
    }
    const id = await acceptInvitation(pool, request.params.token, password);
    if (id === undefined) return html(reply, 404, messagePage('Invitation', 'This invitation is used or expired.'));
    const token = await openSession(pool, id);
    reply.header('set-cookie', [
      cookie(request, SESSION_COOKIE, token, SESSION_TTL_SECONDS),
      cookie(request, LOGIN_CSRF_COOKIE, '', 0),
    ]);
    return seeOther(reply, '/dashboard');
  });
}
