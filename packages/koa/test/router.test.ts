import Router from '@koa/router';
import {
  contractOptions,
  expectEnvelope,
  JSON_UTF8,
  KEYS,
  mountingSuite,
  serverPool,
  TestClock,
  unknownOptionsSuite,
} from '@twofa-kit/contract';
import { twoFaRouter } from '@twofa-kit/koa';
import Koa from 'koa';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';

const pool = serverPool();
const listen = (app: Koa) => pool.listen(app.callback());
afterEach(() => pool.closeAll());

function mount(app: Koa, router: Router): Koa {
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

mountingSuite({
  name: '@twofa-kit/koa',
  serve: (source) => pool.start(mount(new Koa(), twoFaRouter(source)).callback()),
  serveUnderV1: (twoFa) => {
    const outer = new Router({ prefix: '/v1' });
    outer.use(twoFaRouter({ twoFa }).routes());
    return pool.start(mount(new Koa(), outer).callback());
  },
  getBody: 'stream',
  postBody: 'stream',
  expectHostNotFound: (res) => expect(res.headers['content-type']).not.toBe(JSON_UTF8),
});

describe('@twofa-kit/koa', () => {
  it('leaves the host routers’ own 405/501 answers alone', async () => {
    const host = new Router();
    host.get('/things', (ctx) => {
      ctx.body = { things: [] };
    });
    const app = mount(mount(new Koa(), twoFaRouter(contractOptions(new TestClock()))), host);
    const url = await listen(app);
    expect((await request(url).get('/things')).status).toBe(200);
    const put = await request(url).put('/things');
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('HEAD, GET');
    // Under the prefix, OPTIONS on an unknown path is the kit's 404 (allowedMethods never sees it).
    expectEnvelope(await request(url).options('/api/2fa/nope'), 404);
  });

  it('its error boundary passes errors on other paths to the host', async () => {
    const app = new Koa();
    const router = twoFaRouter(contractOptions(new TestClock()));
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch {
        ctx.status = 418;
        ctx.body = { host: true };
      }
    });
    app.use(router.errorHandler);
    app.use(async (ctx, next) => {
      if (ctx.path.endsWith('/boom') || ctx.get('x-boom')) throw Object.assign(new Error('boom'), { status: 400 });
      await next();
    });
    mount(app, router);
    const url = await listen(app);
    const host = await request(url).get('/elsewhere/boom');
    expect(host.status).toBe(418);
    // Under the prefix the kit answers such an error like a body it could not read: the path and
    // the key first (404, 401), then the error's status (400).
    expectEnvelope(await request(url).get('/api/2fa/boom'), 404);
    expectEnvelope(await request(url).post('/api/2fa/generate/boom'), 404);
    expectEnvelope(await request(url).post('/api/2fa/verify').set('X-Boom', '1'), 401);
    expectEnvelope(await request(url).post('/api/2fa/verify').set('X-Boom', '1').set('X-API-Key', KEYS.big), 400);
  });
});

unknownOptionsSuite('twoFaRouter', twoFaRouter);
