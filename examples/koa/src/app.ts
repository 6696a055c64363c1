import Router from '@koa/router';
import { type TwoFaOptions, twoFaRouter } from '@twofa-kit/koa';
import Koa from 'koa';

/**
 * A host app with a route of its own, serving the 2FA API under /api/2fa. `trustProxy`: the number
 * of reverse proxies in front; the client address is the one the nearest of them appended.
 */
export function buildApp(options: TwoFaOptions, { trustProxy = 0 }: { trustProxy?: number } = {}) {
  const app = new Koa();
  if (trustProxy > 0) {
    app.proxy = true;
    app.maxIpsCount = trustProxy; // without it Koa takes the leftmost X-Forwarded-For entry: the client's own
  }
  const host = new Router();
  host.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  const twoFa = twoFaRouter(options);
  app.use(host.routes()).use(twoFa.routes()).use(twoFa.allowedMethods());
  return app;
}
