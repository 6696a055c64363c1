import { staticKeys, twoFaRouter } from '@twofa-kit/express';
import express from 'express';

export function buildApp(keys: Record<string, string>) {
  const app = express();
  // Behind one reverse proxy: take the client address from X-Forwarded-For. Without this, every
  // client shares the proxy's address and one guesser locks everybody out.
  app.set('trust proxy', 1);
  app.use(
    twoFaRouter({
      resolveKey: staticKeys(keys),
      // The default: 20 failed keys per address per minute, then 429 until the minute ends.
      authFailureLimit: { max: 20, windowSeconds: 60 },
    }),
  );
  return app;
}
