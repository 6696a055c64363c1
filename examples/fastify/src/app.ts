import { createTwoFa, type TwoFaOptions, twoFaFrameworkErrors, twoFaPlugin } from '@twofa-kit/fastify';
import Fastify from 'fastify';

/**
 * A host app with a route of its own, serving the 2FA API under /api/2fa. `trustProxy`: the number
 * of reverse proxies in front; the client address is the one the nearest of them appended (Fastify
 * 5 refuses a bare hop count, so it is given as a trust function of the hop).
 */
export function buildApp(options: TwoFaOptions, { trustProxy = 0 }: { trustProxy?: number } = {}) {
  const twoFa = createTwoFa(options);
  // Requests Fastify rejects before routing (an undecodable URL) still get the envelope under the prefix.
  const app = Fastify({
    frameworkErrors: twoFaFrameworkErrors(twoFa),
    ...(trustProxy > 0 ? { trustProxy: (_address: string, hop: number) => hop < trustProxy } : {}),
  });
  app.get('/health', async () => ({ status: 'ok' }));
  app.register(twoFaPlugin, { twoFa });
  app.addHook('onClose', () => twoFa.close());
  return app;
}
