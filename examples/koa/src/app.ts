import Router from '@koa/router';
import { type TwoFaOptions, twoFaRouter } from '@twofa-kit/koa';
import Koa from 'koa';

/** A host app with a route of its own, serving the 2FA API under /api/2fa. */
export function buildApp(options: TwoFaOptions) {
  const app = new Koa();
  const host = new Router();
  host.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  const twoFa = twoFaRouter(options);
  app.use(host.routes()).use(twoFa.routes()).use(twoFa.allowedMethods());
  return app;
}
