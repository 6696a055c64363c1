/**
 * The diagnostic servers (`DIAGNOSTIC_ROWS` in lib/load.mjs; never table rows: run them with
 * `--rows diag-…` or `node profile.mjs diag-…`): where the kit's per-request cost goes, measured by
 * taking one piece away at a time. Kept apart from the table rows' servers; `servers.mjs` starts
 * both the same way (`node servers.mjs diag-…`).
 */
import { fastifyApp, kitOptions, rawFormParser } from './lib/apps.mjs';
import { kitRedisApp, rlflexRedisApp } from './lib/redis-apps.mjs';
import { FIXED_ENVELOPE, keyTable, PATH } from './lib/workload.mjs';

/** The bare route that also computes ten HOTP values per request over rotating secrets. */
async function hmacRoute(mac, hotp) {
  const { decodeSecret } = await import('@twofa-kit/core');
  const keys = (await import('./lib/workload.mjs')).secrets().map((s) => decodeSecret(s));
  const msg = Buffer.alloc(8);
  let n = 0;
  const app = await fastifyApp();
  rawFormParser(app);
  app.post(PATH, async () => {
    for (let j = 0; j < 10; j++, n++) {
      const key = keys[n % keys.length];
      if (hotp) hotp(key, n, 6, 'SHA1');
      else {
        msg.writeUInt32BE(n, 4);
        mac(key, msg);
      }
    }
    return FIXED_ENVELOPE;
  });
  return app;
}

/**
 * A plain Fastify route whose own parser reads the body as a Buffer, calling the core's handle()
 * in-process; `answer(res, reply)` makes the reply from handle()'s answer.
 */
async function handleRoute(answer) {
  const { createTwoFa } = await import('@twofa-kit/core');
  const twoFa = createTwoFa(await kitOptions());
  const app = await fastifyApp();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (_req, body, done) =>
    done(null, body),
  );
  app.post(PATH, async (req, reply) => {
    const res = await twoFa.handle({
      method: 'POST',
      path: '/generate',
      rawQuery: '',
      headers: req.headers,
      body: { kind: 'parsed', value: req.body },
      ip: req.ip,
      basePath: '/api/2fa',
    });
    return answer(res, reply);
  });
  return app;
}

export const DIAGNOSTIC_SERVERS = {
  /** Fastify + kit (Redis), `RedisStore({ batch: false })`: one script run per call, as before batching. */
  async 'diag-fastify-kit-redis-nobatch'() {
    return kitRedisApp({ autoPipelining: false, batch: false });
  },
  /** The same on an ioredis client with `enableAutoPipelining`: ioredis batches instead of the store. */
  async 'diag-fastify-kit-redis-autopipe'() {
    return kitRedisApp({ autoPipelining: true, batch: false });
  },
  /** The rate-limiter-flexible stack on an auto-pipelining client: what that option gives the peer. */
  async 'diag-peer-rlflex-redis-autopipe'() {
    return rlflexRedisApp({ autoPipelining: true });
  },
  async 'diag-fastify-kit-noguard'() {
    const { twoFaPlugin } = await import('@twofa-kit/fastify');
    const app = await fastifyApp();
    await app.register(twoFaPlugin, await kitOptions({ authFailureLimit: false }));
    return app;
  },
  /** The kit with a `staticKeys` twin that hashes with one-shot `crypto.hash` (a keys.ts proposal). */
  async 'diag-fastify-kit-hashonce'() {
    const { hash, timingSafeEqual } = await import('node:crypto');
    const byHash = new Map(Object.entries(keyTable()).map(([k, identity]) => [hash('sha256', k, 'hex'), identity]));
    const resolveKey = (apiKey) => {
      const hex = hash('sha256', apiKey, 'hex');
      const hit = byHash.get(hex);
      return hit !== undefined && timingSafeEqual(Buffer.from(hex), Buffer.from(hex)) ? hit : null;
    };
    const { twoFaPlugin } = await import('@twofa-kit/fastify');
    const app = await fastifyApp();
    await app.register(twoFaPlugin, { ...(await kitOptions()), resolveKey });
    return app;
  },
  /** The core's handle() behind a plain Fastify route whose own parser reads the body as a Buffer. */
  async 'diag-fastify-handle-buffer'() {
    return handleRoute(async (res, reply) => reply.code(res.status).headers(res.headers).send(res.body));
  },
  /** The bare route plus the kit's response headers (two RateLimit strings), body pre-serialised. */
  async 'diag-fastify-bare-headers'() {
    const app = await fastifyApp();
    rawFormParser(app);
    const body = JSON.stringify(FIXED_ENVELOPE);
    const headers = {
      'ratelimit-policy': '"minute";q=1000000000;w=60, "hour";q=1000000000;w=3600, "day";q=1000000000;w=86400',
      ratelimit: '"minute";r=999999999;t=60, "hour";r=999999999;t=2160, "day";r=999999999;t=5760',
      'content-type': 'application/json; charset=utf-8',
    };
    app.post(PATH, async (_req, reply) => reply.code(200).headers(headers).send(body));
    return app;
  },
  /** The core's handle() called in-process but its answer thrown away: the bare route's reply. */
  async 'diag-fastify-handle-discard'() {
    return handleRoute(async () => FIXED_ENVELOPE);
  },
  /** The bare route plus ten HMAC-SHA1 codes per request: createHmac objects (the old hotp). */
  async 'diag-fastify-createhmac-x10'() {
    const { createHmac } = await import('node:crypto');
    return hmacRoute((key, msg) => createHmac('sha1', key).update(msg).digest());
  },
  /** The same ten codes through the core's hotp (two one-shot crypto.hash calls each). */
  async 'diag-fastify-hotp-x10'() {
    const { hotp } = await import('@twofa-kit/core');
    return hmacRoute(null, hotp);
  },
};
