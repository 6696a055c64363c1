/** An invitation link: the customer sets a password, once, and is signed in. */
import type { FastifyInstance } from 'fastify';
import { acceptInvitation, invitationEmail } from '../accounts/invitations.js';
import type { DashboardContext } from './context.js';
import { form, formTokenOk, html, newFormToken } from './http.js';
import { finishPassword } from './two-factor.js';
import { messagePage } from './views/layout.js';
import { invitePage } from './views/sign-in.js';

export function invitationRoutes(app: FastifyInstance, ctx: DashboardContext): void {
  const { pool } = ctx;

  app.get<{ Params: { token: string } }>('/invite/:token', async (request, reply) => {
    const email = await invitationEmail(pool, request.params.token);
    if (email === undefined) return html(reply, 404, messagePage('Invitation', 'This invitation is used or expired.'));
    return html(reply, 200, invitePage(request.params.token, newFormToken(request, reply), email));
  });

  app.post<{ Params: { token: string } }>('/invite/:token', async (request, reply) => {
    const { password = '', csrf } = form(request);
    const email = await invitationEmail(pool, request.params.token);
    if (email === undefined) return html(reply, 404, messagePage('Invitation', 'This invitation is used or expired.'));
    if (!formTokenOk(request, csrf)) {
      return html(reply, 403, messagePage('Form expired', 'Open the invitation link again.'));
    }
    if (password.length < 8) {
      const fresh = newFormToken(request, reply);
      return html(
        reply,
        400,
        invitePage(request.params.token, fresh, email, 'A password needs at least 8 characters.'),
      );
    }
    const id = await acceptInvitation(pool, request.params.token, password);
    if (id === undefined) return html(reply, 404, messagePage('Invitation', 'This invitation is used or expired.'));
    // As after a sign-in's password: an account with two-factor sign-in still needs its code.
    return finishPassword(ctx, request, reply, id);
  });
}
