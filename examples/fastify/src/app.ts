import type { TwoFaOptions } from '@twofa-kit/core';
import { twoFaPlugin } from '@twofa-kit/fastify';
import Fastify from 'fastify';

/** A host app with a route of its own, serving the 2FA API under /api/2fa. */
export function buildApp(options: TwoFaOptions) {
  const app = Fastify();
  app.get('/health', async () => ({ status: 'ok' }));
  app.register(twoFaPlugin, options);
  return app;
}
