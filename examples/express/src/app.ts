import { type TwoFaOptions, twoFaRouter } from '@twofa-kit/express';
import express from 'express';

/**
 * A host app with a route of its own, serving the 2FA API under /api/2fa. `trustProxy`: the number
 * of reverse proxies in front; the client address is the one the nearest of them appended.
 */
export function buildApp(options: TwoFaOptions, { trustProxy = 0 }: { trustProxy?: number } = {}) {
  const app = express();
  if (trustProxy > 0) app.set('trust proxy', trustProxy); // a hop count; `true` would trust what the client wrote
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(twoFaRouter(options));
  return app;
}
