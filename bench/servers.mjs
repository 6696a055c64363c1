/**
 * One benchmark server per child process: `node servers.mjs <name>`. It listens on a free port and
 * tells the parent `{ ready: port }` over IPC (or `{ unavailable: reason }` when the row cannot be
 * built yet, e.g. an adapter or the Redis store has not landed). Every server answers
 * POST /api/2fa/generate with a form body `secret=…` and an `X-API-Key` header.
 */
import { generateSync } from 'otplib';
import { DIAGNOSTIC_SERVERS } from './diagnostic-servers.mjs';
import { fastifyApp, kitOptions, rawFormParser } from './lib/apps.mjs';
import { apiKeys, FIXED_ENVELOPE, PATH } from './lib/workload.mjs';

const KEYS = new Set(apiKeys());
const UNAUTHORIZED = { code: 401, message: 'Invalid or missing API key', data: null };
const BAD_SECRET = { code: 400, message: 'Invalid or missing secret', data: null };

/** The seed's success envelope for a code made now (what the peer stacks answer). */
function generated(code) {
  const timestamp = Math.floor(Date.now() / 1000);
  const remaining = 30 - (timestamp % 30);
  return {
    code: 200,
    message: 'Code generated successfully',
    data: { code, remaining_time: remaining, timestamp, valid_until: timestamp + remaining },
  };
}

/** Fastify + otplib: the handler both peer stacks share; the limiter runs before it. */
function otplibRoute(app, limit) {
  rawFormParser(app);
  app.post(PATH, async (req, reply) => {
    const key = req.headers['x-api-key'];
    if (typeof key !== 'string' || !KEYS.has(key)) return reply.code(401).send(UNAUTHORIZED);
    if (limit !== undefined) {
      try {
        await limit(key);
      } catch {
        return reply.code(429).send({ code: 429, message: 'Rate limit exceeded', data: null });
      }
    }
    const secret = new URLSearchParams(req.body).get('secret');
    if (secret === null) return reply.code(400).send(BAD_SECRET);
    return generated(generateSync({ secret }));
  });
}

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
  async 'fastify-kit-redis'() {
    const core = await import('@twofa-kit/core');
    if (typeof core.RedisStore !== 'function') throw new Unavailable('@twofa-kit/core has no RedisStore yet');
    const { twoFaPlugin } = await import('@twofa-kit/fastify');
    if (typeof twoFaPlugin !== 'function') throw new Unavailable('@twofa-kit/fastify has no twoFaPlugin yet');
    const { Redis } = await import('ioredis');
    const client = new Redis(redisUrl());
    await new Promise((resolve) => client.once('ready', resolve));
    const store = new core.RedisStore({ client, keyPrefix: 'bench-kit:' });
    const app = await fastifyApp();
    await app.register(twoFaPlugin, await kitOptions({ store }));
    app.addHook('onClose', async () => {
      await store.close?.();
      client.disconnect();
    });
    return app;
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
    const { RateLimiterRedis, RateLimiterUnion } = await import('rate-limiter-flexible');
    const { Redis } = await import('ioredis');
    const client = new Redis(redisUrl(), { enableOfflineQueue: false });
    await new Promise((resolve) => client.once('ready', resolve));
    const windows = [
      ['minute', 60],
      ['hour', 3600],
      ['day', 86400],
    ].map(
      ([name, duration]) =>
        new RateLimiterRedis({ storeClient: client, keyPrefix: `bench-rlf-${name}`, points: 1e9, duration }),
    );
    const union = new RateLimiterUnion(...windows);
    const app = await fastifyApp();
    otplibRoute(app, (key) => union.consume(key));
    app.addHook('onClose', async () => client.disconnect());
    return app;
  },
};

/** Every server `node servers.mjs <name>` starts: the table rows' and the diagnostic ones. */
export const SERVERS = { ...TABLE_SERVERS, ...DIAGNOSTIC_SERVERS };

class Unavailable extends Error {}

function redisUrl() {
  const url = process.env.BENCH_REDIS_URL;
  if (!url) throw new Unavailable('no Redis (BENCH_REDIS_URL unset)');
  return url;
}

/** Starts `name` on 127.0.0.1 and a free port; resolves to `{ port, close }`. */
export async function start(name) {
  const make = SERVERS[name];
  if (make === undefined) throw new Error(`unknown server ${name}`);
  const app = await make();
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
