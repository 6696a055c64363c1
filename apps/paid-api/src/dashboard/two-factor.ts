/**
 * Two-factor sign-in: what happens after a right password (`finishPassword`: the code step, or
 * the session), the code step at /login/code, enrolment at /two-factor (QR code, the key as text,
 * a code to confirm, 10 recovery codes shown once), and the operators' setting that requires it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { audit } from '../accounts/audit.js';
import { openSession, type Role, SESSION_TTL_SECONDS, type Session } from '../accounts/sessions.js';
import { operatorsNeedTwoFactor, setOperatorsNeedTwoFactor } from '../accounts/settings.js';
import {
  type CodeCheck,
  type CodeChecker,
  checkSecondFactor,
  confirmEnrolment,
  newRecoveryCodes,
  openSignInStep,
  otpauthUri,
  pendingSecret,
  recoveryCodesLeft,
  SIGN_IN_STEP_TTL_SECONDS,
  signInStep,
  turnOffTwoFactor,
  useSignInStep,
} from '../accounts/two-factor.js';
import { transaction } from '../db/pool.js';
import type { DashboardContext } from './context.js';
import {
  clearCookie,
  form,
  formTokenOk,
  html,
  LOGIN_CSRF_COOKIE,
  newFormToken,
  readCookie,
  SESSION_COOKIE,
  seeOther,
  setCookie,
} from './http.js';
import { attemptLimiter, tooMany } from './throttle.js';
import { recoveryCodesPage, type TwoFactorState, twoFactorPage } from './views/account.js';
import { messagePage } from './views/layout.js';
import { codeStepPage } from './views/self-service.js';

/** The cookie that carries a sign-in from the password to the code step. */
export const SIGN_IN_STEP_COOKIE = 'twofa_signin_step';
const ISSUER = '2FA API Dashboard';

const userAgent = (request: FastifyRequest) => request.headers['user-agent'];

async function openSessionFor(
  ctx: DashboardContext,
  request: FastifyRequest,
  reply: FastifyReply,
  account: { customerId: string; role: Role; userAgent: string | undefined },
) {
  const token = await openSession(ctx.pool, account.customerId, account.userAgent);
  setCookie(request, reply, SESSION_COOKIE, token, SESSION_TTL_SECONDS);
  clearCookie(request, reply, LOGIN_CSRF_COOKIE);
  clearCookie(request, reply, SIGN_IN_STEP_COOKIE);
  return seeOther(reply, account.role === 'admin' ? '/dashboard/admin' : '/dashboard');
}

/**
 * After a right password (at sign-in, or an invitation's new one): an unconfirmed address is
 * refused; an account with two-factor sign-in goes on to the code step; any other gets its session.
 */
export async function finishPassword(
  ctx: DashboardContext,
  request: FastifyRequest,
  reply: FastifyReply,
  accountId: string,
): Promise<FastifyReply> {
  const { rows } = await ctx.pool.query<{ email_verified: boolean; two_factor: boolean; role: Role }>(
    'SELECT email_verified, totp_secret IS NOT NULL AS two_factor, role FROM customers WHERE id = $1',
    [accountId],
  );
  const row = rows[0];
  if (row?.email_verified !== true) {
    return html(
      reply,
      403,
      messagePage(
        'Confirm your address',
        'Open the link in the mail sent to your address to confirm it, then sign in. No mail? Sign up again for a new link.',
      ),
    );
  }
  if (!row.two_factor) {
    return openSessionFor(ctx, request, reply, {
      customerId: accountId,
      role: row.role,
      userAgent: userAgent(request),
    });
  }
  const step = await openSignInStep(ctx.pool, accountId, userAgent(request));
  setCookie(request, reply, SIGN_IN_STEP_COOKIE, step, SIGN_IN_STEP_TTL_SECONDS);
  return seeOther(reply, '/dashboard/login/code');
}

/** A code that used up an attempt: wrong or replayed (a blocked one was not looked at). */
const wrong = (check: CodeCheck) => check.status === 'failed' || check.status === 'replayed';
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

function checkMessage(check: CodeCheck): string {
  return check.status === 'replayed'
    ? 'That code was already used: wait for the next one.'
    : 'That code did not work. Check the time on your device, or use a recovery code.';
}

export function twoFactorRoutes(app: FastifyInstance, ctx: DashboardContext): void {
  const { pool, self, twoFa } = ctx;
  const attempts = attemptLimiter('code', self.codeLimit, ctx.clock);
  const checker: CodeChecker = { pool, key: self.secretKey, twoFa };

  app.get('/login/code', async (request, reply) => {
    const step = readCookie(request, SIGN_IN_STEP_COOKIE);
    if (step === undefined || step === '' || (await signInStep(pool, step)) === undefined) {
      return seeOther(reply, '/dashboard/login');
    }
    return html(reply, 200, codeStepPage(newFormToken(request, reply)));
  });

  app.post('/login/code', async (request, reply) => {
    const { code = '', csrf } = form(request);
    const again = (status: number, error: string) =>
      html(reply, status, codeStepPage(newFormToken(request, reply), error));
    if (!formTokenOk(request, csrf)) return again(403, 'The form expired: please send it again.');
    const token = readCookie(request, SIGN_IN_STEP_COOKIE);
    const step = token === undefined || token === '' ? undefined : await signInStep(pool, token);
    if (token === undefined || step === undefined) return seeOther(reply, '/dashboard/login');
    const tried = await attempts.run(
      request,
      step.customerId,
      () => checkSecondFactor(checker, step.customerId, code.slice(0, 40), ctx.clock()),
      wrong,
    );
    if (!tried.done) return again(429, tooMany(reply, tried.retryAfter));
    const check = tried.result;
    if (check.status === 'blocked') return again(429, tooMany(reply, seconds(check.retryAfterMs)));
    if (wrong(check)) return again(401, checkMessage(check));
    if (!(await useSignInStep(pool, token))) return seeOther(reply, '/dashboard/login');
    return openSessionFor(ctx, request, reply, step);
  });

  async function state(customerId: string, role: Role, notice?: string): Promise<TwoFactorState> {
    const { rows } = await pool.query<{ totp_enabled_at: Date | null; two_factor: boolean }>(
      'SELECT totp_enabled_at, totp_secret IS NOT NULL AS two_factor FROM customers WHERE id = $1',
      [customerId],
    );
    return {
      enabledAt: rows[0]?.two_factor ? (rows[0].totp_enabled_at ?? null) : null,
      recoveryLeft: await recoveryCodesLeft(pool, customerId),
      operatorsRequired: role === 'admin' ? await operatorsNeedTwoFactor(pool) : undefined,
      notice,
    };
  }

  async function enrolment(customerId: string, email: string, error?: string) {
    const secret = await pendingSecret(pool, self.secretKey, customerId);
    const svg = await QRCode.toString(otpauthUri(ISSUER, email, secret), { type: 'svg', margin: 2, width: 200 });
    const qrSvg = svg.replace('<svg ', '<svg role="img" aria-label="QR code of the key below" ');
    return { secret, qrSvg, error };
  }

  app.get('/two-factor', async (request, reply) => {
    const found = await ctx.requirePage(request, reply);
    if (found === undefined) return reply;
    const { session } = found;
    const required = session.role === 'admin' && !session.twoFactor && (await operatorsNeedTwoFactor(pool));
    const notice = required ? 'Operators must sign in with two factors: turn it on to continue.' : undefined;
    const current = await state(session.customerId, session.role, notice);
    const enrol = session.twoFactor ? undefined : await enrolment(session.customerId, session.email);
    return html(reply, 200, twoFactorPage(session, current, enrol));
  });

  app.post('/two-factor', async (request, reply) => {
    const found = await ctx.requirePost(request, reply);
    if (found === undefined) return reply;
    const { session } = found;
    if (session.twoFactor) return seeOther(reply, '/dashboard/two-factor');
    const again = async (status: number, error: string) =>
      html(
        reply,
        status,
        twoFactorPage(
          session,
          await state(session.customerId, session.role),
          await enrolment(session.customerId, session.email, error),
        ),
      );
    const code = (form(request).code ?? '').trim();
    const tried = await attempts.run(
      request,
      session.customerId,
      () => confirmEnrolment(checker, session.customerId, code, ctx.clock()),
      (r) => wrong(r.check),
    );
    if (!tried.done) return again(429, tooMany(reply, tried.retryAfter));
    const { check, recoveryCodes } = tried.result;
    if (check.status === 'blocked') return again(429, tooMany(reply, seconds(check.retryAfterMs)));
    if (recoveryCodes === undefined) return again(400, checkMessage(check));
    return html(reply, 200, recoveryCodesPage(session, recoveryCodes));
  });

  /**
   * A change to a working second factor (new recovery codes, turning it off) needs a code of it: an
   * authenticator code or a recovery code, checked like a sign-in's and throttled with them.
   */
  function changeWithCode(
    path: string,
    change: (customerId: string) => Promise<string[] | undefined>,
    refused?: (session: Session) => Promise<string | undefined>,
  ): void {
    app.post(path, async (request, reply) => {
      const found = await ctx.requirePost(request, reply);
      if (found === undefined) return reply;
      const { session } = found;
      if (!session.twoFactor) return seeOther(reply, '/dashboard/two-factor');
      const refuse = async (status: number, error: string) =>
        html(reply, status, twoFactorPage(session, { ...(await state(session.customerId, session.role)), error }));
      const why = await refused?.(session);
      if (why !== undefined) return refuse(409, why);
      const code = (form(request).code ?? '').slice(0, 40);
      const tried = await attempts.run(
        request,
        session.customerId,
        () => checkSecondFactor(checker, session.customerId, code, ctx.clock()),
        wrong,
      );
      if (!tried.done) return refuse(429, tooMany(reply, tried.retryAfter));
      const check = tried.result;
      if (check.status === 'blocked') return refuse(429, tooMany(reply, seconds(check.retryAfterMs)));
      if (wrong(check)) return refuse(400, checkMessage(check));
      const codes = await change(session.customerId);
      return codes === undefined
        ? seeOther(reply, '/dashboard/two-factor')
        : html(reply, 200, recoveryCodesPage(session, codes));
    });
  }

  changeWithCode('/two-factor/recovery-codes', (customerId) => newRecoveryCodes(pool, customerId));
  changeWithCode(
    '/two-factor/off',
    async (customerId) => {
      await turnOffTwoFactor(pool, customerId);
      return undefined;
    },
    // An operator cannot turn it off while the operators' setting requires it.
    async (session) =>
      session.role === 'admin' && (await operatorsNeedTwoFactor(pool))
        ? 'Operators must sign in with two factors: it stays on.'
        : undefined,
  );

  app.post('/admin/settings', async (request, reply) => {
    const found = await ctx.requirePost(request, reply, 'admin');
    if (found === undefined) return reply;
    const required = form(request).require_two_factor === 'on';
    if (required && !found.session.twoFactor) {
      return html(
        reply,
        409,
        messagePage('Not changed', 'Turn on two-factor sign-in for yourself first, so this cannot lock you out.'),
      );
    }
    await transaction(pool, async (client) => {
      await setOperatorsNeedTwoFactor(client, required);
      await audit(client, found.session.customerId, 'settings.operators_two_factor', null, { required });
    });
    return seeOther(reply, '/dashboard/two-factor');
  });
}
