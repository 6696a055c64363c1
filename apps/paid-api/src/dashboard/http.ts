/**
 * What every Dashboard route shares on the HTTP side: cookies (read and written through
 * `@fastify/cookie`), the CSRF token of the forms shown before sign-in, HTML answers.
 *
 * Cookies: over HTTPS (the request's protocol, so `X-Forwarded-Proto` counts only with
 * `trustProxy`) their names carry the `__Host-` prefix, which a browser accepts only from this
 * host, with `Secure` and `Path=/`: a sibling subdomain cannot set or shadow them. Over plain HTTP
 * (development) they are named without it and scoped to `/dashboard`. Of duplicate cookies the
 * first wins (`@fastify/cookie`'s parser), and a malformed `%` escape is kept as it is, not an error.
 */
import { timingSafeEqual } from 'node:crypto';
import CSRF from '@fastify/csrf';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'twofa_session';
export const LOGIN_CSRF_COOKIE = 'twofa_login_csrf';

/** A parsed form body: every field a string. */
export type Form = Record<string, string>;

const https = (request: FastifyRequest) => request.protocol === 'https';

/** The cookie's name for this request: `__Host-` + name over HTTPS. */
export const cookieName = (request: FastifyRequest, name: string): string => (https(request) ? `__Host-${name}` : name);

export function readCookie(request: FastifyRequest, name: string): string | undefined {
  return request.cookies[cookieName(request, name)];
}

export function setCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  name: string,
  value: string,
  maxAge: number,
  options: { signed?: boolean } = {},
): void {
  reply.setCookie(cookieName(request, name), value, {
    path: https(request) ? '/' : '/dashboard',
    httpOnly: true,
    sameSite: 'strict',
    secure: https(request),
    maxAge,
    signed: options.signed === true,
  });
}

export function clearCookie(request: FastifyRequest, reply: FastifyReply, name: string): void {
  setCookie(request, reply, name, '', 0);
}

/**
 * Before sign-in there is no session to bind a form to: the sign-in and invitation forms carry a
 * token of `@fastify/csrf` whose secret is in a cookie signed by this server (so a cookie set by
 * anyone else does not verify). `@fastify/csrf-protection` is not used because its cookie name is
 * fixed when it is registered, while this one depends on the request (`__Host-` over HTTPS).
 */
const tokens = CSRF();

/** Sets a fresh secret cookie and returns the token for the form. */
export function newFormToken(request: FastifyRequest, reply: FastifyReply): string {
  const secret = tokens.secretSync();
  setCookie(request, reply, LOGIN_CSRF_COOKIE, secret, 3_600, { signed: true });
  return tokens.create(secret);
}

export function formTokenOk(request: FastifyRequest, token: string | undefined): boolean {
  const raw = readCookie(request, LOGIN_CSRF_COOKIE);
  if (raw === undefined || raw === '' || token === undefined || token === '') return false;
  const secret = request.unsignCookie(raw);
  return secret.valid && secret.value !== null && tokens.verify(secret.value, token);
}

/** Compares two tokens in constant time (the session's CSRF token against the form's). */
export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined || a === '' || b === '') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** An HTML answer; the security headers come from `@fastify/helmet` (registered in `plugin.ts`). */
export function html(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(body);
}

export const seeOther = (reply: FastifyReply, to: string) => reply.code(303).header('location', to).send();

/**
 * The form's fields as strings: a field sent twice (`a=1&a=2`, which the parser gives as an
 * array) counts as its first value, so no handler ever sees anything but a string.
 */
export function form(request: FastifyRequest): Form {
  const body = request.body;
  if (typeof body !== 'object' || body === null) return {};
  const out: Form = {};
  for (const [name, value] of Object.entries(body)) {
    const first: unknown = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') out[name] = first;
  }
  return out;
}
