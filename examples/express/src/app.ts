import { type TwoFaOptions, twoFaRouter } from '@twofa-kit/express';
import express from 'express';

/** A host app with a route of its own, serving the 2FA API under /api/2fa. */
export function buildApp(options: TwoFaOptions) {
  const app = express();
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(twoFaRouter(options));
  return app;
}
