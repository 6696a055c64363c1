import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import {
  contractOptions,
  expectEnvelope,
  GENERATE,
  KEYS,
  MESSAGES,
  recordingTwoFa,
  SEED_SECRET,
  TestClock,
} from '@twofa-kit/contract';
import { createTwoFa, twoFaRouter } from '@twofa-kit/koa';
import Koa from 'koa';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';

const servers: http.Server[] = [];
async function listen(app: Koa): Promise<string> {
  const server = http.createServer(app.callback());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

const generate = (url: string, path = GENERATE, key: string = KEYS.big) =>
  request(url).post(`${path}?x=1`).set('X-API-Key', key).type('form').send(`secret=${SEED_SECRET}`);

function mount(app: Koa, router: Router): Koa {
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

describe('@twofa-kit/koa', () => {
  it('serves under the prefix option, and leaves the default prefix to the host', async () => {
    const url = await listen(mount(new Koa(), twoFaRouter(contractOptions(new TestClock(), { prefix: '/v2/otp' }))));
    expectEnvelope(await generate(url, '/v2/otp/generate'), 200, MESSAGES.generated);
    expectEnvelope(await request(url).get('/v2/otp/nope'), 404);
    const host = await generate(url);
    expect(host.status).toBe(404);
    expect(host.headers['content-type']).not.toBe('application/json; charset=utf-8');
  });

  it('nests in a host router, passing the path below the prefix and the full basePath', async () => {
    const { twoFa, seen } = recordingTwoFa(contractOptions(new TestClock()));
    const outer = new Router({ prefix: '/v1' });
    outer.use(twoFaRouter({ twoFa }).routes());
    const url = await listen(mount(new Koa(), outer));
    expectEnvelope(await generate(url, `/v1${GENERATE}`), 200, MESSAGES.generated);
    expectEnvelope(await request(url).get('/v1/api/2fa/a/b?q=2'), 404);
    expect(seen).toEqual([
      {
        method: 'POST',
        path: '/generate',
        rawQuery: 'x=1',
        basePath: '/v1/api/2fa',
        ip: '127.0.0.1',
        body: 'stream',
        apiKeyHeader: true,
      },
      {
        method: 'GET',
        path: '/a/b',
        rawQuery: 'q=2',
        basePath: '/v1/api/2fa',
        ip: '127.0.0.1',
        body: 'stream',
        apiKeyHeader: false,
      },
    ]);
    expect((await request(url).get(GENERATE)).status).toBe(404); // not mounted at the root
  });

  it('lets several apps share one core (and one set of limits)', async () => {
    const twoFa = createTwoFa(contractOptions(new TestClock()));
    const urlA = await listen(mount(new Koa(), twoFaRouter({ twoFa })));
    const urlB = await listen(mount(new Koa(), twoFaRouter({ twoFa })));
    for (let i = 0; i < 3; i++) expectEnvelope(await generate(urlA, GENERATE, KEYS.free), 200);
    for (let i = 0; i < 2; i++) expectEnvelope(await generate(urlB, GENERATE, KEYS.free), 200);
    expectEnvelope(await generate(urlA, GENERATE, KEYS.free), 429, MESSAGES.rateLimited);
    expectEnvelope(await generate(urlB, GENERATE, KEYS.free), 429, MESSAGES.rateLimited);
  });

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
