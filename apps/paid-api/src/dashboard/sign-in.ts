/**
 * Signing in and out.
 *
 * Guessing is limited with the kit's failed-auth guard (`createAuthGuard`), one per email and one
 * per client address (IPv6: its /64, /56 and /48 budgets together), in fixed windows. An attempt
 * holds a place in both budgets BEFORE its password is checked, so attempts in flight count: a
 * burst of concurrent guesses gets at most as many checks as there are failures left, the rest
 * wait for those to settle and are then refused (429) — or 503 past the wait. The guard's table
 * never forgets a client that is counting. The scrypt checks themselves are bounded per process
 * (`PasswordChecks`): past the running and queued bound, 503 with `Retry-After`.
 */
import { randomBytes } from 'node:crypto';
import { createAuthGuard, TwoFaError } from '@twofa-kit/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkPassword, PasswordChecks, PasswordChecksBusyError } from '../accounts/passwords.js';
import { revokeSession } from '../accounts/sessions.js';
import type { DashboardContext } from './context.js';
import { clearCookie, form, formTokenOk, html, newFormToken, SESSION_COOKIE, seeOther } from './http.js';
import { finishPassword } from './two-factor.js';
import { loginPage } from './views/sign-in.js';

export interface SignInLimit {
  /** Failed sign-ins allowed per email per window (guessing one account's password). Default 10. */
  readonly perEmail: number;
  /**
   * Failed sign-ins allowed per client address per window (trying many accounts from one place).
   * Default 50: higher, since many people may share an address. IPv6: per /64, with 4 × as much
   * per /56 and 16 × per /48, as the kit's guard counts.
   */
  readonly perAddress: number;
  /** The window, in seconds. Default 900. */
  readonly windowSeconds: number;
  /** Password checks running at once in this process. Default 2. */
  readonly checksRunning?: number;
  /** Password checks waiting for a place; past it, 503. Default 32. */
  readonly checksQueued?: number;
}

export const DEFAULT_SIGN_IN_LIMIT: SignInLimit = Object.freeze({ perEmail: 10, perAddress: 50, windowSeconds: 900 });

/** How long an attempt may wait for a place in its budgets (other attempts in flight) and the check. */
const WAIT_MS = 10_000;
/** Clients (addresses, prefixes, emails) counted at once per guard. */
const MAX_CLIENTS = 100_000;
/** Seconds a client is told to wait when the password checks are saturated. */
const BUSY_RETRY_SECONDS = 5;

export function signInRoutes(app: FastifyInstance, ctx: DashboardContext, limit: SignInLimit): void {
  const { pool } = ctx;
  const window = { windowSeconds: limit.windowSeconds, maxClients: MAX_CLIENTS };
  const perAddress = createAuthGuard({ max: limit.perAddress, ...window }, ctx.clock);
  const perEmail = createAuthGuard({ max: limit.perEmail, ...window }, ctx.clock);
  const checks = new PasswordChecks(limit.checksRunning ?? 2, limit.checksQueued ?? 32);

  function showLogin(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    opts: Parameters<typeof loginPage>[1],
  ) {
    return html(reply, status, loginPage(newFormToken(request, reply), opts));
  }

  app.get('/login', async (request, reply) => {
    if ((await ctx.sessionOf(request)) !== undefined) return seeOther(reply, '/dashboard');
    return showLogin(request, reply, 200, {});
  });

  app.post('/login', async (request, reply) => {
    const { email = '', password = '', csrf } = form(request);
    if (!formTokenOk(request, csrf)) {
      return showLogin(request, reply, 403, { error: 'The form expired: please sign in again.', email });
    }
    // Each attempt is its own guess (an identical one in flight still costs a check): a unique token.
    const attempt = randomBytes(12).toString('base64url');
    const emailBucket = `email:${email.trim().toLowerCase()}`;
    let account: Awaited<ReturnType<typeof checkPassword>>;
    try {
      await perAddress.lookup(
        request.ip,
        attempt,
        () =>
          perEmail.lookup(
            emailBucket,
            attempt,
            async () => {
              account = await checkPassword(pool, email, password, checks);
              return account === undefined ? null : { id: account.id, plan: account.role };
            },
            WAIT_MS,
          ),
        WAIT_MS,
      );
    } catch (error) {
      if (error instanceof TwoFaError && error.kind === 'TOO_MANY_AUTH_FAILURES') {
        const retry = Number(error.headers['retry-after'] ?? 1);
        reply.header('retry-after', String(retry));
        return showLogin(request, reply, 429, {
          error: `Too many failed sign-ins. Try again in ${Math.ceil(retry / 60)} min.`,
          email,
        });
      }
      if ((error instanceof TwoFaError && error.kind === 'UNAVAILABLE') || error instanceof PasswordChecksBusyError) {
        reply.header('retry-after', String(BUSY_RETRY_SECONDS));
        return showLogin(request, reply, 503, { error: 'Too many sign-ins right now. Try again in a moment.', email });
      }
      throw error;
    }
    if (account === undefined) return showLogin(request, reply, 401, { error: 'Wrong email or password.', email });
    return finishPassword(ctx, request, reply, account.id);
  });

  app.post('/logout', async (request, reply) => {
    const found = await ctx.requirePost(request, reply);
    if (found === undefined) return reply;
    await revokeSession(pool, found.token);
    clearCookie(request, reply, SESSION_COOKIE);
    return seeOther(reply, '/dashboard/login');
  });
}
