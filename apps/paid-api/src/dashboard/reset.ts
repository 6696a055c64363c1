/**
 * Password reset: ask for a link by email (the answer is the same whether or not an account has
 * the address), then choose a new password from the link, once, within 30 minutes. Every session of
 * the account ends; the person signs in again with the new password (and the second factor).
 */
import type { FastifyInstance } from 'fastify';
import { linkAccount } from '../accounts/links.js';
import { finishReset, startReset } from '../accounts/reset.js';
import type { DashboardContext } from './context.js';
import { clearCookie, form, formTokenOk, html, newFormToken, SESSION_COOKIE } from './http.js';
import { attemptLimiter, tooMany } from './throttle.js';
import { messagePage } from './views/layout.js';
import { checkMailPage, mailSentPage, newPasswordPage, resetRequestPage } from './views/self-service.js';

export function resetRoutes(app: FastifyInstance, ctx: DashboardContext): void {
  const { pool, self } = ctx;
  const attempts = attemptLimiter('reset', self.mailLimit, ctx.clock);
  const gone = () => messagePage('Reset link', 'This link is used or expired: ask for a new one.');

  app.get('/reset', async (request, reply) => html(reply, 200, resetRequestPage(newFormToken(request, reply))));

  app.post('/reset', async (request, reply) => {
    const { email = '', csrf } = form(request);
    const again = (status: number, error: string) =>
      html(reply, status, resetRequestPage(newFormToken(request, reply), { error, email }));
    if (!formTokenOk(request, csrf)) return again(403, 'The form expired: please send it again.');
    if (email.trim() === '' || email.length > 320) return again(400, 'Enter an email address.');
    // Every request counts (each may send a mail).
    const tried = await attempts.run(
      request,
      email,
      () => startReset(pool, email),
      () => true,
    );
    if (!tried.done) return again(429, tooMany(reply, tried.retryAfter));
    const found = tried.result;
    if (found !== undefined) {
      self.send(
        {
          to: found.email,
          subject: 'Reset your password',
          text: `To choose a new password for your 2FA API account, open this link (it works once, for 30 minutes):\n\n${self.publicUrl()}/dashboard/reset/${found.link}\n\nIf you did not ask for it, ignore this mail: your password stays as it is.\n`,
        },
        request.log,
      );
    }
    return html(
      reply,
      200,
      mailSentPage(
        `If an account uses ${email.trim()}, a mail with a link is on its way. The link works once, for 30 minutes.`,
      ),
    );
  });

  app.get<{ Params: { token: string } }>('/reset/:token', async (request, reply) => {
    const account = await linkAccount(pool, request.params.token, 'reset');
    if (account === undefined) return html(reply, 404, gone());
    return html(reply, 200, newPasswordPage(request.params.token, newFormToken(request, reply), account.email));
  });

  app.post<{ Params: { token: string } }>('/reset/:token', async (request, reply) => {
    const { password = '', csrf } = form(request);
    const account = await linkAccount(pool, request.params.token, 'reset');
    if (account === undefined) return html(reply, 404, gone());
    if (!formTokenOk(request, csrf)) return html(reply, 403, messagePage('Form expired', 'Open the link again.'));
    if (password.length < 8) {
      const fresh = newFormToken(request, reply);
      return html(
        reply,
        400,
        newPasswordPage(request.params.token, fresh, account.email, 'A password needs at least 8 characters.'),
      );
    }
    const id = await finishReset(pool, request.params.token, password);
    if (id === undefined) return html(reply, 404, gone());
    clearCookie(request, reply, SESSION_COOKIE);
    return html(
      reply,
      200,
      checkMailPage('Password changed', 'Your password is changed and every session is signed out: sign in again.'),
    );
  });
}
