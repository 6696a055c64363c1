/**
 * The CSRF token of the forms shown before sign-in (sign-up, address confirmation, password
 * reset, the sign-in's code step): there is no session to bind them to, so the token is also in a
 * cookie (HttpOnly, SameSite=Strict) and the two must match — the sign-in form's own mechanism.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { cookie, cookies, LOGIN_CSRF_COOKIE, sameToken } from './http.js';

/** Sets a fresh token cookie and returns the token for the form. */
export function newFormToken(request: FastifyRequest, reply: FastifyReply): string {
  const token = randomBytes(24).toString('base64url');
  reply.header('set-cookie', cookie(request, LOGIN_CSRF_COOKIE, token, 3_600));
  return token;
}

/** Whether the form's token matches the cookie's. */
export function formTokenOk(request: FastifyRequest, token: string | undefined): boolean {
  return sameToken(token, cookies(request)[LOGIN_CSRF_COOKIE]);
}
