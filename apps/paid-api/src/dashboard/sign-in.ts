/**
 * Signing in and out. Failed sign-ins are limited per client address and per email with the kit's
 * limiter machinery (`MemoryStore` and `clientBucket`, as its failed-auth guard).
 */
import { randomBytes } from 'node:crypto';
import { clientBucket, MemoryStore, type WindowSpec } from '@twofa-kit/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkPassword } from '../accounts/passwords.js';
import { openSession, revokeSession, SESSION_TTL_SECONDS } from '../accounts/sessions.js';
import type { DashboardContext } from './context.js';
import { cookie, cookies, form, html, LOGIN_CSRF_COOKIE, SESSION_COOKIE, sameToken, seeOther } from './http.js';
import { loginPage } from './views/sign-in.js';

export interface SignInLimit {
  /** Failed sign-ins allowed per email per window (guessing one account's password). Default 10. */
  readonly perEmail: number;
  /**
   * Failed sign-ins allowed per client address (IPv6: per /64) per window (trying many accounts
   * from one place). Default 50: higher, since many people may share an address.
   */
  readonly perAddress: number;
  /** The window, in seconds. Default 900. */
  readonly windowSeconds: number;
}

export const DEFAULT_SIGN_IN_LIMIT: SignInLimit = Object.freeze({ perEmail: 10, perAddress: 50, windowSeconds: 900 });

export function signInRoutes(app: FastifyInstance, ctx: DashboardContext, limit: SignInLimit): void {
  const { pool } = ctx;
  const failures = new MemoryStore({ clock: ctx.clock, maxIdentities: 10_000 });
  const windowsFor = (limitOf: number): WindowSpec[] => [
    { name: 'signin', seconds: limit.windowSeconds, limit: limitOf },
  ];
  const perAddress = windowsFor(limit.perAddress);
  const perEmail = windowsFor(limit.perEmail);

  function showLogin(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    opts: Parameters<typeof loginPage>[1],
  ) {
    const csrf = randomBytes(24).toString('base64url');
    reply.header('set-cookie', cookie(request, LOGIN_CSRF_COOKIE, csrf, 3_600));
    return html(reply, status, loginPage(csrf, opts));
  }

  app.get('/login', async (request, reply) => {
    if ((await ctx.sessionOf(request)) !== undefined) return seeOther(reply, '/dashboard');
    return showLogin(request, reply, 200, {});
  });

  app.post('/login', async (request, reply) => {
    const { email = '', password = '', csrf } = form(request);
    if (!sameToken(csrf, cookies(request)[LOGIN_CSRF_COOKIE])) {
      return showLogin(request, reply, 403, { error: 'The form expired: please sign in again.', email });
    }
    const buckets: [string, WindowSpec[]][] = [
      [`ip:${clientBucket(request.ip)}`, perAddress],
      [`email:${email.trim().toLowerCase()}`, perEmail],
    ];
    const states = buckets.map(([b, w]) => failures.peek(b, w));
    const blocked = states.find((s) => !s.allowed);
    if (blocked !== undefined) {
      const retry = Math.max(1, Math.ceil(blocked.retryAfterMs / 1000));
      reply.header('retry-after', String(retry));
      return showLogin(request, reply, 429, {
        error: `Too many failed sign-ins. Try again in ${Math.ceil(retry / 60)} min.`,
        email,
      });
    }
    const account = await checkPassword(pool, email, password);
    if (account === undefined) {
      for (const [b, w] of buckets) failures.consume(b, w);
      return showLogin(request, reply, 401, { error: 'Wrong email or password.', email });
    }
    const token = await openSession(pool, account.id);
    reply.header('set-cookie', [
      cookie(request, SESSION_COOKIE, token, SESSION_TTL_SECONDS),
      cookie(request, LOGIN_CSRF_COOKIE, '', 0),
    ]);
    return seeOther(reply, account.role === 'admin' ? '/dashboard/admin' : '/dashboard');
  });

  app.post('/logout', async (request, reply) => {
    const found = await ctx.requirePost(request, reply);
    if (found === undefined) return reply;
    await revokeSession(pool, found.token);
    reply.header('set-cookie', cookie(request, SESSION_COOKIE, '', 0));
    return seeOther(reply, '/dashboard/login');
  });
}
