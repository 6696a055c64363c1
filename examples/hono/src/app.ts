import { type TwoFaOptions, twoFaApp } from '@twofa-kit/hono';
import { Hono } from 'hono';

/**
 * A host app with a route of its own, serving the 2FA API under /api/2fa, on Node.js, Bun or Deno.
 * `trustProxy`: the number of reverse proxies in front; the client address is the one the nearest
 * of them appended (without proxies, the peer address the server gives Hono).
 */
export function buildApp(options: TwoFaOptions, { trustProxy = 0 }: { trustProxy?: number } = {}) {
  const app = new Hono();
  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.route('/', twoFaApp({ ...options, trustProxy }));
  return app;
}
