/**
 * Sign-up (`DASHBOARD_SIGNUP=open`) and the link that confirms an address. The answer to a
 * sign-up is the same whether or not the address already has an account: the mail differs (a
 * confirmation link, or a note that the account exists).
 */
import type { FastifyInstance } from 'fastify';
import { linkAccount } from '../accounts/links.js';
import { signUp, verifyEmail } from '../accounts/signup.js';
import type { DashboardContext } from './context.js';
import { form, formTokenOk, html, newFormToken } from './http.js';
import { attemptLimiter, tooMany } from './throttle.js';
import { messagePage } from './views/layout.js';
import { checkMailPage, confirmAddressPage, inviteOnlyPage, mailSentPage, signUpPage } from './views/self-service.js';

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

export function signUpRoutes(app: FastifyInstance, ctx: DashboardContext): void {
  const { pool, self } = ctx;
  const attempts = attemptLimiter('signup', self.mailLimit, ctx.clock);
  const plan = Object.keys(ctx.twoFa.config.plans)[0] as string;

  app.get('/signup', async (request, reply) => {
    if (self.signup !== 'open') return html(reply, 200, inviteOnlyPage());
    return html(reply, 200, signUpPage(newFormToken(request, reply)));
  });

  app.post('/signup', async (request, reply) => {
    if (self.signup !== 'open') return html(reply, 403, inviteOnlyPage());
    const { email = '', password = '', csrf } = form(request);
    const again = (status: number, error: string) =>
      html(reply, status, signUpPage(newFormToken(request, reply), { error, email }));
    if (!formTokenOk(request, csrf)) return again(403, 'The form expired: please send it again.');
    if (!EMAIL.test(email.trim())) return again(400, 'Enter an email address.');
    if (password.length < 8) return again(400, 'A password needs at least 8 characters.');
    // Every request counts (each may send a mail).
    const tried = await attempts.run(
      request,
      email,
      () => signUp(pool, ctx.twoFa.config.plans, plan, email, password),
      () => true,
    );
    if (!tried.done) return again(429, tooMany(reply, tried.retryAfter));
    const result = tried.result;
    const base = self.publicUrl();
    if (result.kind === 'verify') {
      self.send(
        {
          to: result.email,
          subject: 'Confirm your address',
          text: `Confirm the address of your 2FA API account by opening this link (it works for 24 hours):\n\n${base}/dashboard/verify/${result.link}\n\nIf you did not sign up, ignore this mail.\n`,
        },
        request.log,
      );
    } else {
      self.send(
        {
          to: result.email,
          subject: 'Your account already exists',
          text: `Someone (you, perhaps) tried to sign up with this address, which already has an account.\n\nSign in: ${base}/dashboard/login\nForgot your password: ${base}/dashboard/reset\n`,
        },
        request.log,
      );
    }
    return html(
      reply,
      200,
      mailSentPage(`A mail is on its way to ${email.trim()}: follow its link to confirm the address.`),
    );
  });

  const gone = () => messagePage('Link', 'This link is used or expired.');

  app.get<{ Params: { token: string } }>('/verify/:token', async (request, reply) => {
    const account = await linkAccount(pool, request.params.token, 'verify');
    if (account === undefined) return html(reply, 404, gone());
    return html(reply, 200, confirmAddressPage(request.params.token, newFormToken(request, reply), account.email));
  });

  app.post<{ Params: { token: string } }>('/verify/:token', async (request, reply) => {
    if (!formTokenOk(request, form(request).csrf)) {
      return html(reply, 403, messagePage('Form expired', 'Open the link in the mail again.'));
    }
    const id = await verifyEmail(pool, request.params.token);
    if (id === undefined) return html(reply, 404, gone());
    return html(reply, 200, checkMailPage('Address confirmed', 'Your address is confirmed: you can sign in.'));
  });
}
