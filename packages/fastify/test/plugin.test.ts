import {
  contractOptions,
  expectEnvelope,
  GENERATE,
  KEYS,
  MESSAGES,
  rawRequest,
  recordingTwoFa,
  SEED_SECRET,
  TestClock,
} from '@twofa-kit/contract';
import { createTwoFa, twoFaFrameworkErrors, twoFaPlugin } from '@twofa-kit/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';

const apps: FastifyInstance[] = [];
async function listen(app: FastifyInstance): Promise<string> {
  apps.push(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

const generate = (url: string, path = GENERATE, key: string = KEYS.big) =>
  request(url).post(`${path}?x=1`).set('X-API-Key', key).type('form').send(`secret=${SEED_SECRET}`);

describe('@twofa-kit/fastify', () => {
  it('is a fastify-plugin named @twofa-kit/fastify for Fastify 5', () => {
    const meta = (twoFaPlugin as unknown as Record<symbol, { name: string; fastify: string }>)[
      Symbol.for('plugin-meta')
    ];
    expect(meta).toMatchObject({ name: '@twofa-kit/fastify', fastify: '5.x' });
  });

  it('serves under the prefix option, and leaves the default prefix to the host', async () => {
    const app = Fastify();
    await app.register(twoFaPlugin, contractOptions(new TestClock(), { prefix: '/v2/otp' }));
    const url = await listen(app);
    expectEnvelope(await generate(url, '/v2/otp/generate'), 200, MESSAGES.generated);
    expectEnvelope(await request(url).get('/v2/otp/nope'), 404);
    const host = await generate(url);
    expect(host.status).toBe(404);
    expect(JSON.parse(host.text)).toMatchObject({ statusCode: 404 }); // Fastify's own 404
  });

  it('nests in a host plugin with a prefix, passing the path below the prefix and the full basePath', async () => {
    const { twoFa, seen } = recordingTwoFa(contractOptions(new TestClock()));
    const app = Fastify();
    await app.register(
      async (v1) => {
        await v1.register(twoFaPlugin, { twoFa });
      },
      { prefix: '/v1' },
    );
    const url = await listen(app);
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
        body: 'none',
        apiKeyHeader: false,
      },
    ]);
    expect((await request(url).get(GENERATE)).status).toBe(404); // not mounted at the root
  });

  it('lets several apps share one core (and one set of limits), closing it only when it made it', async () => {
    const twoFa = createTwoFa(contractOptions(new TestClock()));
    const a = Fastify();
    const b = Fastify();
    await a.register(twoFaPlugin, { twoFa });
    await b.register(twoFaPlugin, { twoFa });
    const [urlA, urlB] = [await listen(a), await listen(b)];
    for (let i = 0; i < 3; i++) expectEnvelope(await generate(urlA, GENERATE, KEYS.free), 200);
    for (let i = 0; i < 2; i++) expectEnvelope(await generate(urlB, GENERATE, KEYS.free), 200);
    expectEnvelope(await generate(urlA, GENERATE, KEYS.free), 429, MESSAGES.rateLimited);
    await a.close();
    expectEnvelope(await generate(urlB, GENERATE, KEYS.free), 429, MESSAGES.rateLimited);
    expectEnvelope(await generate(urlB, GENERATE, KEYS.free2), 200);
  });

  it('leaves the host’s parsers, validation, 404 and error handler alone', async () => {
    const app = Fastify();
    app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => done(null, `host:${body}`));
    app.setNotFoundHandler((_request, reply) => reply.code(404).send({ host404: true }));
    app.setErrorHandler((error, _request, reply) => reply.code(499).send({ hostError: (error as Error).message }));
    app.post('/text', async (request) => ({ body: request.body }));
    app.post(
      '/validated',
      { schema: { body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } } },
      async (request) => ({ body: request.body }),
    );
    await app.register(twoFaPlugin, contractOptions(new TestClock()));
    const url = await listen(app);

    expect(JSON.parse((await request(url).post('/text').type('text').send('hi')).text)).toEqual({ body: 'host:hi' });
    expect(JSON.parse((await request(url).post('/validated').send({ n: 1 })).text)).toEqual({ body: { n: 1 } });
    const invalid = await request(url).post('/validated').send({ n: 'x' });
    expect(invalid.status).toBe(499); // the host's validator ran and its error went to the host's handler
    expect(JSON.parse(invalid.text).hostError).toMatch(/body\/n must be integer/);
    const malformed = await request(url).post('/validated').type('json').send('{"n":');
    expect(malformed.status).toBe(499);
    expect(JSON.parse((await request(url).get('/nope')).text)).toEqual({ host404: true });

    // Under the prefix, the kit reads the body itself: text/plain is its 415, not the host's parser.
    expectEnvelope(await request(url).post(GENERATE).set('X-API-Key', KEYS.big).type('text').send('x'), 415);
    expectEnvelope(await request(url).post(GENERATE).set('X-API-Key', KEYS.big).type('json').send('{"a":'), 400);
  });

  it('answers a request whose Content-Type Fastify cannot parse in the envelope', async () => {
    const app = Fastify();
    await app.register(twoFaPlugin, contractOptions(new TestClock()));
    const url = await listen(app);
    const res = await request(url).post(GENERATE).set('X-API-Key', KEYS.big).set('Content-Type', '/;;').send('x');
    expectEnvelope(res, 415);
  });

  it('answers a URL Fastify cannot decode under the prefix in the envelope (frameworkErrors), elsewhere as before', async () => {
    const twoFa = createTwoFa(contractOptions(new TestClock()));
    const plain = Fastify({ frameworkErrors: twoFaFrameworkErrors(twoFa) });
    await plain.register(twoFaPlugin, { twoFa });
    const url = await listen(plain);
    expectEnvelope(await rawRequest(url, { method: 'GET', path: '/api/2fa/%E0%A4%A' }), 404);
    expectEnvelope(await rawRequest(url, { method: 'GET', path: '/api/2fa/generate%' }), 404);
    expect((await rawRequest(url, { method: 'GET', path: '/api/2fa%ZZ' })).status).toBe(400); // not under it
    const outside = await rawRequest(url, { method: 'GET', path: '/elsewhere/%E0%A4%A' });
    expect(outside.status).toBe(400);
    expect(JSON.parse(outside.text)).toMatchObject({ code: 'FST_ERR_BAD_URL' });

    const nested = Fastify({
      frameworkErrors: twoFaFrameworkErrors(twoFa, (_error, _request, reply) => {
        reply.code(400).send({ host: 'bad url' });
      }),
    });
    await nested.register(async (v1) => v1.register(twoFaPlugin, { twoFa }), { prefix: '/v1' });
    const nestedUrl = await listen(nested);
    expectEnvelope(await rawRequest(nestedUrl, { method: 'POST', path: '/v1/api/2fa/%ZZ' }), 404);
    const other = await rawRequest(nestedUrl, { method: 'GET', path: '/v1/%ZZ' });
    expect(JSON.parse(other.text)).toEqual({ host: 'bad url' });
  });
});
