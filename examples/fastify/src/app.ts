import { createTwoFa, type TwoFaOptions, twoFaFrameworkErrors, twoFaPlugin } from '@twofa-kit/fastify';
import Fastify from 'fastify';

/** A host app with a route of its own, serving the 2FA API under /api/2fa. */
export function buildApp(options: TwoFaOptions) {
  const twoFa = createTwoFa(options);
  // Requests Fastify rejects before routing (an undecodable URL) still get the envelope under the prefix.
  const app = Fastify({ frameworkErrors: twoFaFrameworkErrors(twoFa) });
  app.get('/health', async () => ({ status: 'ok' }));
  app.register(twoFaPlugin, { twoFa });
  app.addHook('onClose', () => twoFa.close());
  return app;
}
