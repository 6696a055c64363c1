/**
 * One benchmark server per child process: `node servers.mjs <name>`. It listens on a free port and
 * tells the parent `{ ready: port }` over IPC (or `{ unavailable: reason }` when the row cannot be
 * built yet, e.g. an adapter or the Redis store has not landed). Every server answers
 * POST /api/2fa/generate with a form body `secret=…` and an `X-API-Key` header.
 */
import { DIAGNOSTIC_SERVERS } from './diagnostic-servers.mjs';
import { fastifyApp, kitOptions, otplibRoute, rawFormParser, Unavailable } from './lib/apps.mjs';
import { kitRedisApp, rlflexRedisApp } from './lib/redis-apps.mjs';
import { FIXED_ENVELOPE, PATH } from './lib/workload.mjs';

/** Reads the raw body (the bare Koa and Express routes do this much, like Fastify's parser). */
function readBody(stream) {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (c) => {
      text += c;
    });
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
}

/**
 * A Nest app on @nestjs/platform-fastify with this module metadata, initialised: its Fastify
 * instance, which `start` listens on like the other Fastify rows.
 */
async function nestFastifyApp(metadata) {
  const { Module } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  class AppModule {}
  Module(metadata)(AppModule);
  const app = await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
  await app.init();
  return app.getHttpAdapter().getInstance();
}

/** The bare Nest route: a controller answering the fixed envelope (Nest's own parser reads the form). */
async function fixedController() {
  const { Controller, HttpCode, Post } = await import('@nestjs/common');
  class Fixed {
    generate() {
      return FIXED_ENVELOPE;
    }
  }
  Controller()(Fixed);
  const generate = Object.getOwnPropertyDescriptor(Fixed.prototype, 'generate');
  Post(PATH)(Fixed.prototype, 'generate', generate);
  HttpCode(200)(Fixed.prototype, 'generate', generate);
  return Fixed;
}

/** The bare fetch-standard route (Bun.serve, Next.js): reads the body, answers the fixed envelope. */
async function bareFetch(request) {
  await request.text();
  return Response.json(FIXED_ENVELOPE);
}

/** The servers of the table rows (`ROWS` in lib/load.mjs). */
const TABLE_SERVERS = {
  async 'fastify-bare'() {
    const app = await fastifyApp();
    rawFormParser(app);
    app.post(PATH, async () => FIXED_ENVELOPE);
    return app;
  },
  async 'koa-bare'() {
    const { default: Koa } = await import('koa');
    const { default: Router } = await import('@koa/router');
    const app = new Koa();
    const router = new Router();
    router.post(PATH, async (ctx) => {
      await readBody(ctx.req);
      ctx.body = FIXED_ENVELOPE;
    });
    app.use(router.routes());
    return app;
  },
  async 'express-bare'() {
    const { default: express } = await import('express');
    const app = express();
    app.post(PATH, async (req, res) => {
      await readBody(req);
      res.json(FIXED_ENVELOPE);
    });
    return app;
  },
  async 'fastify-kit'() {
    const { twoFaPlugin } = await import('@twofa-kit/fastify');
    if (typeof twoFaPlugin !== 'function') throw new Unavailable('@twofa-kit/fastify has no twoFaPlugin yet');
    const app = await fastifyApp();
    await app.register(twoFaPlugin, await kitOptions());
    return app;
  },
  async 'koa-kit'() {
    const { twoFaRouter } = await import('@twofa-kit/koa');
    if (typeof twoFaRouter !== 'function') throw new Unavailable('@twofa-kit/koa has no twoFaRouter yet');
    const { default: Koa } = await import('koa');
    const app = new Koa();
    const router = twoFaRouter(await kitOptions());
    app.use(router.routes()).use(router.allowedMethods());
    return app;
  },
  async 'express-kit'() {
    const { twoFaRouter } = await import('@twofa-kit/express');
    if (typeof twoFaRouter !== 'function') throw new Unavailable('@twofa-kit/express has no twoFaRouter yet');
    const { default: express } = await import('express');
    const app = express();
    app.use(twoFaRouter(await kitOptions()));
    return app;
  },
  async 'nest-fastify-bare'() {
    return nestFastifyApp({ controllers: [await fixedController()] });
  },
  async 'nest-fastify-kit'() {
    const { TwoFaModule } = await import('@twofa-kit/nestjs');
    if (typeof TwoFaModule !== 'function') throw new Unavailable('@twofa-kit/nestjs has no TwoFaModule yet');
    return nestFastifyApp({ imports: [TwoFaModule.forRoot(await kitOptions())] });
  },
  async 'hono-bare'() {
    const { Hono } = await import('hono');
    const app = new Hono();
    app.post(PATH, async (c) => {
      await c.req.text();
      return c.json(FIXED_ENVELOPE);
    });
    return { honoFetch: app.fetch };
  },
  async 'hono-kit'() {
    const { twoFaApp } = await import('@twofa-kit/hono');
    const { Hono } = await import('hono');
    const app = new Hono();
    app.route('/', twoFaApp(await kitOptions()));
    return { honoFetch: app.fetch };
  },
  // Run by Bun (load.mjs starts the child with Bun for `runtime: 'bun'` rows).
  async 'bun-bare'() {
    return { bunFetch: bareFetch };
  },
  async 'bun-kit'() {
    const { twoFaFetch } = await import('@twofa-kit/fetch');
    const handler = twoFaFetch(await kitOptions());
    return { bunFetch: (request, server) => handler(request, { ip: server.requestIP(request)?.address }) };
  },
  // A production build of internal/next-host (`next build` when stale) served by Next.js's own
  // server in this process; its route under /api/2fa calls the function given here.
  async 'next-bare'() {
    return { nextFetch: bareFetch };
  },
  async 'next-kit'() {
    const { forwardedAddress, twoFaFetch } = await import('@twofa-kit/fetch');
    const handler = twoFaFetch(await kitOptions());
    // As the kit's Next.js route reads it: the address the proxy in front appended.
    return {
      nextFetch: (request) =>
        handler(request, { ip: forwardedAddress(request.headers.get('x-forwarded-for'), undefined, 1) }),
    };
  },
  async 'fastify-kit-redis'() {
    return kitRedisApp({ autoPipelining: false });
  },
  async 'peer-fastify-rate-limit'() {
    const app = await fastifyApp();
    await app.register((await import('@fastify/rate-limit')).default, {
      max: 1e9,
      timeWindow: 60_000,
      keyGenerator: (req) => String(req.headers['x-api-key'] ?? req.ip),
    });
    otplibRoute(app);
    return app;
  },
  async 'peer-rlflex-redis'() {
    return rlflexRedisApp({ autoPipelining: false });
  },
};

/** Every server `node servers.mjs <name>` starts: the table rows' and the diagnostic ones. */
export const SERVERS = { ...TABLE_SERVERS, ...DIAGNOSTIC_SERVERS };

/** Starts `name` on 127.0.0.1 and a free port; resolves to `{ port, close }`. */
export async function start(name) {
  const make = SERVERS[name];
  if (make === undefined) throw new Error(`unknown server ${name}`);
  const app = await make();
  if (app.bunFetch !== undefined) {
    if (globalThis.Bun === undefined) throw new Unavailable(`${name} runs on Bun only`);
    const server = globalThis.Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: app.bunFetch });
    return { port: server.port, close: () => server.stop(true) };
  }
  if (app.nextFetch !== undefined) {
    const { serveNext } = await import('@twofa-kit/next-host');
    const server = await serveNext(app.nextFetch);
    server.server.keepAliveTimeout = 60_000;
    return { port: server.port, close: server.close };
  }
  if (app.honoFetch !== undefined) {
    const { serve } = await import('@hono/node-server');
    return new Promise((resolve) => {
      const server = serve({ fetch: app.honoFetch, port: 0, hostname: '127.0.0.1' }, (info) =>
        resolve({ port: info.port, close: () => new Promise((r) => server.close(r)) }),
      );
    });
  }
  if (typeof app.listen === 'function' && typeof app.ready === 'function') {
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { port: app.server.address().port, close: () => app.close() };
  }
  const handler = typeof app.callback === 'function' ? app.callback() : app;
  const { createServer } = await import('node:http');
  const server = createServer(handler);
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: server.address().port, close: () => new Promise((r) => server.close(r)) };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const name = process.argv[2];
  start(name).then(
    ({ port, close }) => {
      process.send?.({ ready: port });
      process.on('message', async (msg) => {
        if (msg === 'cpu') {
          const c = process.cpuUsage();
          process.send?.({ cpu: c.user + c.system, user: c.user, system: c.system });
        } else if (msg === 'heap') {
          globalThis.gc?.();
          const m = process.memoryUsage();
          process.send?.({ heap: m.heapUsed, rss: m.rss });
        } else if (msg === 'close') {
          await close();
          process.exit(0);
        }
      });
      process.on('disconnect', () => process.exit(0));
    },
    (error) => {
      const unavailable =
        error instanceof Unavailable ||
        error?.code === 'ERR_MODULE_NOT_FOUND' ||
        error?.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED';
      process.send?.(unavailable ? { unavailable: error.message } : { failed: String(error?.stack ?? error) });
      process.exit(unavailable ? 0 : 1);
    },
  );
}
