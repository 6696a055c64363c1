/**
 * What the Dashboard's route groups share: the pool, the kit, the clock, and the session checks
 * every page and form post goes through.
 */
import type { TwoFa } from '@twofa-kit/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { findSession, type Session } from '../accounts/sessions.js';
import { operatorsNeedTwoFactor } from '../accounts/settings.js';
import { form, html, readCookie, SESSION_COOKIE, sameToken, seeOther } from './http.js';
import type { SelfService } from './self-service.js';
import { messagePage } from './views/layout.js';

export interface SignedIn {
  readonly session: Session;
  /** The session cookie's token. */
  readonly token: string;
}

export interface DashboardContext {
  readonly pool: pg.Pool;
  readonly twoFa: TwoFa;
  readonly clock: () => number;
  /** Sign-up, mails, the two-factor key and limits. */
  readonly self: SelfService;
  /** The session of the request's cookie, when it is live. */
  sessionOf(request: FastifyRequest): Promise<SignedIn | undefined>;
  /** The signed-in session for a page (else a redirect to the sign-in page), with a role check. */
  requirePage(request: FastifyRequest, reply: FastifyReply, role?: 'admin'): Promise<SignedIn | undefined>;
  /** The session for a form post, with its CSRF token checked (403 otherwise). */
  requirePost(request: FastifyRequest, reply: FastifyReply, role?: 'admin'): Promise<SignedIn | undefined>;
}

export function dashboardContext(
  pool: pg.Pool,
  twoFa: TwoFa,
  clock: () => number,
  self: SelfService,
): DashboardContext {
  async function sessionOf(request: FastifyRequest): Promise<SignedIn | undefined> {
    const token = readCookie(request, SESSION_COOKIE);
    if (token === undefined || token === '') return undefined;
    const session = await findSession(pool, token);
    return session === undefined ? undefined : { session, token };
  }

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
    // The operators' setting: an operator without a second factor enrols before anything else.
    if (role === 'admin' && !found.session.twoFactor && (await operatorsNeedTwoFactor(pool))) {
      await seeOther(reply, '/dashboard/two-factor');
      return undefined;
    }
    return found;
  }

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

  return { pool, twoFa, clock, self, sessionOf, requirePage, requirePost };
}
