/**
 * The Dashboard: server-rendered pages under /dashboard, beside the kit, on the same Fastify app.
 *
 * Customers sign in with email and password, see their plan and usage (the kit's own limiter
 * `peek`, so the numbers of `GET /api/2fa/usage`), their request history, and create, rotate and
 * revoke keys. Operators (role `admin`) list customers, change plans and limits, suspend; every
 * change goes to `audit_log`.
 *
 * Security: sessions are random tokens in HttpOnly, SameSite=Strict cookies (`__Host-` and
 * `Secure` when the request came over TLS), stored as digests and revocable; every form carries a
 * CSRF token (the session's, or before sign-in a token whose secret is in a signed cookie);
 * sign-in attempts are counted before the password is checked, with the kit's failed-auth guard;
 * a new key appears once, in the answer to the POST that made it (`Cache-Control: no-store`), and
 * never again.
 *
 * The ecosystem's plugins do the HTTP plumbing, registered in this scope only (the kit's routes
 * beside it are untouched): `@fastify/cookie` (parsing, signing), `@fastify/formbody` (the only
 * body parser here: a JSON body answers 415), `@fastify/helmet` (CSP, nosniff, framing, referrer).
 *
 * Self-service: sign-up with address confirmation (`signup.ts`), password reset (`reset.ts`),
 * two-factor sign-in with TOTP and recovery codes (`two-factor.ts`), a person's sessions
 * (`sessions.ts`) and the usage history as CSV (`usage-csv.ts`); mails leave through
 * `accounts/mail.ts`.
 *
 * One file per group of routes: `sign-in.ts`, `invitations.ts`, `keys.ts` (a customer's overview
 * and keys), `operators.ts` and the self-service ones above; their pages in `views/`.
 */
import { randomBytes } from 'node:crypto';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import type { TwoFa } from '@twofa-kit/core';
import type { FastifyError, FastifyInstance } from 'fastify';
import type pg from 'pg';
import { databaseUnavailable } from '../db/pool.js';
import { billingRoutes, type DashboardBilling } from './billing.js';
import { dashboardContext } from './context.js';
import { html } from './http.js';
import { invitationRoutes } from './invitations.js';
import { keyRoutes } from './keys.js';
import { operatorRoutes } from './operators.js';
import { resetRoutes } from './reset.js';
import { type SelfServiceOptions, selfService } from './self-service.js';
import { sessionRoutes } from './sessions.js';
import { DEFAULT_SIGN_IN_LIMIT, type SignInLimit, signInRoutes } from './sign-in.js';
import { signUpRoutes } from './signup.js';
import { twoFactorRoutes } from './two-factor.js';
import { usageCsvRoutes } from './usage-csv.js';
import { messagePage, SCRIPT_HASH } from './views/layout.js';

export { LOGIN_CSRF_COOKIE, SESSION_COOKIE } from './http.js';
export { DEFAULT_SIGN_IN_LIMIT, type SignInLimit } from './sign-in.js';
export { customerUsage, customerWindows } from './usage.js';

export interface DashboardOptions {
  readonly pool: pg.Pool;
  /** The kit instance: its plan table and its limiter store (for the usage numbers). */
  readonly twoFa: TwoFa;
  readonly signInLimit?: SignInLimit | undefined;
  /**
   * The key that signs the Dashboard's CSRF cookie. Every instance behind one address needs the
   * same. Default: random per process (a form shown by one instance fails on another).
   */
  readonly cookieSecret?: string | undefined;
  /** Unix ms. Default `Date.now`. */
  readonly clock?: (() => number) | undefined;
  /** Sign-up, mails, two-factor sign-in, throttling of both. */
  readonly selfService?: SelfServiceOptions | undefined;
  /** Stripe, for the billing page's purchases (`billing.ts`). Default: none offered. */
  readonly billing?: DashboardBilling | undefined;
}

/** Where the billing page's forms send a customer: Stripe Checkout and Stripe's customer portal. */
const STRIPE_PAGES = ['https://checkout.stripe.com', 'https://billing.stripe.com'];

/** Seconds a client is told to wait when the database or the password checks are saturated. */
export const BUSY_RETRY_AFTER_SECONDS = 5;

export async function dashboardPlugin(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  await app.register(cookie, { secret: options.cookieSecret ?? randomBytes(32).toString('base64url') });
  // The kit's JSON parser stays on its own routes; here forms are all there is.
  app.removeAllContentTypeParsers();
  await app.register(formbody, { bodyLimit: 16_384 });
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        // Inline style attributes draw the usage bars; no script can run from them.
        styleSrc: ["'unsafe-inline'"],
        scriptSrc: [`'${SCRIPT_HASH}'`],
        imgSrc: ["'self'", 'data:'],
        // Chromium applies form-action to the redirect after a form too: the billing page's forms
        // answer with Stripe's Checkout and customer portal.
        formAction: ["'self'", ...(options.billing === undefined ? [] : STRIPE_PAGES)],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // Strict-Transport-Security is the TLS-terminating proxy's to send: it knows the domain's policy.
    strictTransportSecurity: false,
  });

  // A generic page for every error; what went wrong goes to the log only.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const client = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500;
    const busy = !client && databaseUnavailable(error);
    const status = client ? (error.statusCode as number) : busy ? 503 : 500;
    if (status >= 500) request.log.error({ err: error }, 'dashboard request failed');
    if (busy) reply.header('retry-after', String(BUSY_RETRY_AFTER_SECONDS));
    const [title, message] = client
      ? ['Not accepted', 'This request could not be handled. Go back and try again.']
      : busy
        ? ['Busy', 'The Dashboard is busy or cannot reach its database. Try again in a moment.']
        : ['Something went wrong', 'The error has been logged. Try again in a moment.'];
    return html(reply, status, messagePage(title, message));
  });
  app.setNotFoundHandler((_request, reply) => html(reply, 404, messagePage('Not found', 'There is no such page.')));

  const self = selfService(options.selfService);
  const ctx = dashboardContext(options.pool, options.twoFa, options.clock ?? Date.now, self);
  signInRoutes(app, ctx, options.signInLimit ?? DEFAULT_SIGN_IN_LIMIT);
  invitationRoutes(app, ctx);
  keyRoutes(app, ctx);
  operatorRoutes(app, ctx);
  signUpRoutes(app, ctx);
  resetRoutes(app, ctx);
  twoFactorRoutes(app, ctx);
  sessionRoutes(app, ctx);
  usageCsvRoutes(app, ctx);
  billingRoutes(app, ctx, options.billing);
}
