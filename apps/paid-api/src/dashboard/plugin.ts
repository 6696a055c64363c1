/**
 * The Dashboard: server-rendered pages under /dashboard, beside the kit, on the same Fastify app.
 *
 * Customers sign in with email and password, see their plan and usage (the kit's own limiter
 * `peek`, so the numbers of `GET /api/2fa/usage`), their request history, and create, rotate and
 * revoke keys. Operators (role `admin`) list customers, change plans and limits, suspend; every
 * change goes to `audit_log`.
 *
 * Security: sessions are random tokens in HttpOnly, SameSite=Strict cookies (`Secure` when the
 * request came over TLS), stored as digests and revocable; every form carries a CSRF token checked
 * in constant time (the session's, or before sign-in a double-submit cookie's); failed sign-ins are
 * limited per client address and per email with the kit's limiter machinery (`MemoryStore` and
 * `clientBucket`, as its failed-auth guard); a new key appears once, in the answer to the POST
 * that made it (`Cache-Control: no-store`), and never again.
 *
 * One file per group of routes: `sign-in.ts`, `invitations.ts`, `keys.ts` (a customer's overview
 * and keys), `operators.ts`; their pages in `views/`.
 */
import type { TwoFa } from '@twofa-kit/core';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { billingRoutes, type DashboardBilling } from './billing.js';
import { dashboardContext } from './context.js';
import { invitationRoutes } from './invitations.js';
import { keyRoutes } from './keys.js';
import { operatorRoutes } from './operators.js';
import { DEFAULT_SIGN_IN_LIMIT, type SignInLimit, signInRoutes } from './sign-in.js';

export { LOGIN_CSRF_COOKIE, SESSION_COOKIE } from './http.js';
export { DEFAULT_SIGN_IN_LIMIT, type SignInLimit } from './sign-in.js';
export { customerUsage, customerWindows } from './usage.js';

export interface DashboardOptions {
  readonly pool: pg.Pool;
  /** The kit instance: its plan table and its limiter store (for the usage numbers). */
  readonly twoFa: TwoFa;
  readonly signInLimit?: SignInLimit | undefined;
  /** Unix ms. Default `Date.now`. */
  readonly clock?: (() => number) | undefined;
  /** Stripe, for the billing page's purchases (`billing.ts`). Default: none offered. */
  readonly billing?: DashboardBilling | undefined;
}

export async function dashboardPlugin(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 16_384 },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );
  const ctx = dashboardContext(options.pool, options.twoFa, options.clock ?? Date.now);
  signInRoutes(app, ctx, options.signInLimit ?? DEFAULT_SIGN_IN_LIMIT);
  invitationRoutes(app, ctx);
  keyRoutes(app, ctx);
  operatorRoutes(app, ctx);
  billingRoutes(app, ctx, options.billing);
}
