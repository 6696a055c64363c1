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
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { clientBucket, MemoryStore, type TwoFa, WINDOWS, type WindowSpec } from '@twofa-kit/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import {
  acceptInvitation,
  audit,
  checkPassword,
  findSession,
  invitationEmail,
  openSession,
  recentAudit,
  revokeSession,
  revokeSessionsOf,
  SESSION_TTL_SECONDS,
  type Session,
} from './accounts.js';
import {
  type AlsoInTransaction,
  type Customer,
  getCustomer,
  type Limits,
  PaidApiError,
  setLimits,
  setPlan,
  setStatus,
} from './customers.js';
import {
  adminPage,
  invitePage,
  loginPage,
  messagePage,
  type NewKey,
  overviewPage,
  type WindowUsage,
} from './dashboard-views.js';
import { createKey, getKey, listKeys, revokeKey, rotateKey } from './keys.js';
import { usageHistory } from './usage-sink.js';

export const SESSION_COOKIE = 'twofa_session';
export const LOGIN_CSRF_COOKIE = 'twofa_login_csrf';

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

export interface DashboardOptions {
  readonly pool: pg.Pool;
  /** The kit instance: its plan table and its limiter store (for the usage numbers). */
  readonly twoFa: TwoFa;
  readonly signInLimit?: SignInLimit | undefined;
  /** Unix ms. Default `Date.now`. */
  readonly clock?: (() => number) | undefined;
}

type Form = Record<string, string>;

function cookies(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    out[part.slice(0, at).trim()] = decodeURIComponent(part.slice(at + 1).trim());
  }
  return out;
}

function cookie(request: FastifyRequest, name: string, value: string, maxAge: number): string {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `${name}=${encodeURIComponent(value)}; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure}`;
}

function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined || a === '' || b === '') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function html(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header(
      'content-security-policy',
      "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    )
    .send(body);
}

const seeOther = (reply: FastifyReply, to: string) => reply.code(303).header('location', to).send();

/** The limited windows of a customer, as the kit computes them: the plan with the overrides applied. */
export function customerWindows(twoFa: TwoFa, customer: Pick<Customer, 'plan' | 'limits'>): WindowUsageSpec[] {
  const plan = twoFa.config.plans[customer.plan];
  return WINDOWS.map((w) => {
    const override = customer.limits[w.name];
    const limit = override === undefined ? (plan?.[w.name] ?? null) : override;
    return { name: w.name, seconds: w.seconds, limit };
  });
}

interface WindowUsageSpec {
  readonly name: string;
  readonly seconds: number;
  readonly limit: number | null;
}

/** Used / limit / reset per window: the kit's store `peek` on the customer's id (what `/usage` reads). */
export async function customerUsage(twoFa: TwoFa, customer: Customer): Promise<WindowUsage[]> {
  const all = customerWindows(twoFa, customer);
  const limited = all.filter((w): w is WindowSpec => w.limit !== null);
  const peeked = limited.length === 0 ? [] : (await twoFa.config.store.peek(customer.id, limited)).windows;
  return all.map((w) => {
    const state = peeked.find((s) => s.name === w.name);
    if (w.limit === null || state === undefined) return { name: w.name, limit: null, used: null, reset: null };
    return {
      name: w.name,
      limit: state.limit,
      used: state.limit - state.remaining,
      reset: Math.max(1, Math.ceil(state.resetMs / 1000)),
    };
  });
}

async function listCustomers(pool: pg.Pool): Promise<Customer[]> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT id FROM customers WHERE role = 'customer' ORDER BY created_at DESC, id LIMIT 500`,
  );
  return Promise.all(rows.map((r) => getCustomer(pool, r.id)));
}

export async function dashboardPlugin(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  const { pool, twoFa } = options;
  const clock = options.clock ?? Date.now;
  const limit = options.signInLimit ?? DEFAULT_SIGN_IN_LIMIT;
  const failures = new MemoryStore({ clock, maxIdentities: 10_000 });
  const windowsFor = (limitOf: number): WindowSpec[] => [
    { name: 'signin', seconds: limit.windowSeconds, limit: limitOf },
  ];
  const perAddress = windowsFor(limit.perAddress);
  const perEmail = windowsFor(limit.perEmail);

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 16_384 },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );

  const form = (request: FastifyRequest): Form =>
    typeof request.body === 'object' && request.body !== null ? (request.body as Form) : {};

  async function sessionOf(request: FastifyRequest): Promise<{ session: Session; token: string } | undefined> {
    const token = cookies(request)[SESSION_COOKIE];
    if (token === undefined || token === '') return undefined;
    const session = await findSession(pool, token);
    return session === undefined ? undefined : { session, token };
  }

  /** The signed-in session for a page (else a redirect to the sign-in page), with a role check. */
  async function requirePage(request: FastifyRequest, reply: FastifyReply, role?: 'admin') {
    const found = await sessionOf(request);
    if (found === undefined) {
      await seeOther(reply, '/dashboard/login');
      return undefined;
    }
    if (role === 'admin' && found.session.role !== 'admin') {
      await html(reply, 403, messagePage('Not allowed', 'This page is for operators.'));
      return undefined;
    }
    return found;
  }

  /** The session for a form post, with its CSRF token checked (403 otherwise). */
  async function requirePost(request: FastifyRequest, reply: FastifyReply, role?: 'admin') {
    const found = await requirePage(request, reply, role);
    if (found === undefined) return undefined;
    if (!sameToken(form(request).csrf, found.session.csrf)) {
      await html(
        reply,
        403,
        messagePage('Form expired', 'The form was not sent by this Dashboard: reload it and retry.'),
      );
      return undefined;
    }
    return found;
  }

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

  // --- sign-in --------------------------------------------------------------------------------

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
    if ((await sessionOf(request)) !== undefined) return seeOther(reply, '/dashboard');
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
    const found = await requirePost(request, reply);
    if (found === undefined) return reply;
    await revokeSession(pool, found.token);
    reply.header('set-cookie', cookie(request, SESSION_COOKIE, '', 0));
    return seeOther(reply, '/dashboard/login');
  });

  // --- invitations ----------------------------------------------------------------------------

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

  // --- the customer's pages -------------------------------------------------------------------

  app.get('/', async (request, reply) => {
    const found = await requirePage(request, reply);
    if (found === undefined) return reply;
    if (found.session.role === 'admin') return seeOther(reply, '/dashboard/admin');
    return renderOverview(request, reply, found.session);
  });

  app.post('/keys', async (request, reply) => {
    const found = await requirePost(request, reply);
    if (found === undefined) return reply;
    const issued = await createKey(pool, found.session.customerId);
    return renderOverview(request, reply, found.session, {
      newKey: { key: issued.key, what: `New key ${issued.record.display}` },
    });
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
    const found = await requirePost(request, reply);
    if (found === undefined) return reply;
    const key = await ownKey(found.session, request.params.id);
    if (key === undefined) return html(reply, 404, messagePage('Not found', 'No such key.'));
    const graceText = form(request).grace ?? '86400';
    const grace = /^\d{1,7}$/.test(graceText) ? Number(graceText) : Number.NaN;
    if (!Number.isSafeInteger(grace) || grace > 30 * 86_400) {
      return html(reply, 400, messagePage('Rotate', 'The grace period must be 0 to 30 days, in seconds.'));
    }
    try {
      const issued = await rotateKey(pool, key.id, { graceSeconds: grace });
      return renderOverview(request, reply, found.session, {
        newKey: { key: issued.key, what: `New key ${issued.record.display}, replacing ${key.display}` },
      });
    } catch (error) {
      if (!(error instanceof PaidApiError)) throw error;
      return renderOverview(request, reply, found.session, { notice: error.message, status: 409 });
    }
  });

  app.post<{ Params: { id: string } }>('/keys/:id/revoke', async (request, reply) => {
    const found = await requirePost(request, reply);
    if (found === undefined) return reply;
    const key = await ownKey(found.session, request.params.id);
    if (key === undefined) return html(reply, 404, messagePage('Not found', 'No such key.'));
    await revokeKey(pool, key.id);
    return seeOther(reply, '/dashboard');
  });

  // --- operators ------------------------------------------------------------------------------

  app.get('/admin', async (request, reply) => {
    const found = await requirePage(request, reply, 'admin');
    if (found === undefined) return reply;
    const [customers, log] = await Promise.all([listCustomers(pool), recentAudit(pool)]);
    return html(reply, 200, adminPage(found.session, customers, Object.keys(twoFa.config.plans), log));
  });

  /**
   * POST /admin/customers/:id/<what>, an operator's change: made and written to the audit log
   * (`action`, `details`) in one transaction, then back to the list.
   */
  function operatorChange(
    what: string,
    step: {
      change: (id: string, body: Form, also: AlsoInTransaction) => Promise<unknown>;
      action: (before: Customer, after: Customer) => string;
      details: (before: Customer, after: Customer, client: pg.PoolClient) => Promise<Record<string, unknown>>;
    },
  ): void {
    app.post<{ Params: { id: string } }>(`/admin/customers/:id/${what}`, async (request, reply) => {
      const found = await requirePost(request, reply, 'admin');
      if (found === undefined) return reply;
      const actor = found.session.customerId;
      const target = await pool.query(`SELECT 1 FROM customers WHERE id = $1 AND role = 'customer'`, [
        request.params.id,
      ]);
      if (target.rowCount === 0) return html(reply, 404, messagePage('Not found', 'No such customer.'));
      try {
        await step.change(request.params.id, form(request), async (client, before, after) => {
          await audit(client, actor, step.action(before, after), after.id, await step.details(before, after, client));
        });
      } catch (error) {
        if (!(error instanceof PaidApiError)) throw error;
        return html(reply, 400, messagePage('Not changed', error.message));
      }
      return seeOther(reply, '/dashboard/admin');
    });
  }

  operatorChange('plan', {
    change: (id, body, also) => setPlan(pool, twoFa.config.plans, id, body.plan ?? '', also),
    action: () => 'plan.set',
    details: async (before, after) => ({ from: before.plan, to: after.plan }),
  });

  operatorChange('limits', {
    change: (id, body, also) => {
      const limits: Record<string, number | null> = {};
      for (const w of WINDOWS) {
        const text = (body[w.name] ?? '').trim();
        if (text === '') continue;
        if (text !== 'unlimited' && !/^\d{1,12}$/.test(text)) {
          throw new PaidApiError(`the ${w.name} limit must be a whole number or "unlimited"`);
        }
        limits[w.name] = text === 'unlimited' ? null : Number(text);
      }
      return setLimits(pool, id, limits as Limits, also);
    },
    action: () => 'limits.set',
    details: async (before, after) => ({ from: before.limits, to: after.limits }),
  });

  operatorChange('status', {
    change: (id, body, also) => setStatus(pool, id, body.status === 'active' ? 'active' : 'suspended', also),
    action: (_before, after) => `customer.${after.status === 'active' ? 'reactivate' : 'suspend'}`,
    details: async (_before, after, client) => ({
      sessionsRevoked: after.status === 'suspended' ? await revokeSessionsOf(client, after.id) : 0,
    }),
  });
}
