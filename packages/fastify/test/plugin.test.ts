import {
  contractOptions,
  expectEnvelope,
  GENERATE,
  KEYS,
  mountingSuite,
  rawRequest,
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

/** Closing the app runs its onClose hooks: the plugin closes a core only when it made it. */
async function started(app: FastifyInstance) {
  return { url: await listen(app), close: () => app.close() };
}

mountingSuite({
  name: '@twofa-kit/fastify',
  async serve(source) {
    const app = Fastify();
    await app.register(twoFaPlugin, source);
    return started(app);
  },
  async serveUnderV1(twoFa) {
    const app = Fastify();
    await app.register(async (v1) => v1.register(twoFaPlugin, { twoFa }), { prefix: '/v1' });
    return started(app);
  },
  getBody: 'none',
  postBody: 'parsed',
  expectHostNotFound: (res) => expect(JSON.parse(res.text)).toMatchObject({ statusCode: 404 }), // Fastify's own 404
});

describe('@twofa-kit/fastify', () => {
  it('is a fastify-plugin named @twofa-kit/fastify for Fastify 5', () => {
    const meta = (twoFaPlugin as unknown as Record<symbol, { name: string; fastify: string }>)[
      Symbol.for('plugin-meta')
    ];
    expect(meta).toMatchObject({ name: '@twofa-kit/fastify', fastify: '5.x' });
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

describe('unknown options', () => {
  it('a misspelt option is a TwoFaConfigError naming it and the closest known one', async () => {
    const options = { ...contractOptions(new TestClock()), prefx: '/v2/otp' };
    const app = Fastify();
    await expect(app.register(twoFaPlugin, options as never).ready()).rejects.toMatchObject({
      name: 'TwoFaConfigError',
      code: 'ERR_TWOFA_UNKNOWN_OPTION',
      message: 'twofa-kit: unknown option "prefx" in twoFaPlugin (did you mean "prefix"?)',
    });
    await app.close();
  });

  it("Fastify's own register options (logLevel, logSerializers) go to Fastify, not to the kit", async () => {
    const lines: string[] = [];
    const app = Fastify({ logger: { level: 'info', stream: { write: (line: string) => lines.push(line) } } });
    await app.register(twoFaPlugin, { ...contractOptions(new TestClock()), logLevel: 'silent' });
    const res = await app.inject({ method: 'GET', url: '/api/2fa/usage' });
    expect(res.statusCode).toBe(401);
    expect(lines.filter((l) => l.includes('/api/2fa/usage'))).toEqual([]);
    await app.close();
  });

  it('with a shared core, every other option is unknown', async () => {
    const twoFa = createTwoFa(contractOptions(new TestClock()));
    const app = Fastify();
    await expect(app.register(twoFaPlugin, { twoFa, prefix: '/x' } as never).ready()).rejects.toThrow(
      /unknown option "prefix" in twoFaPlugin/,
    );
    await app.close();
    await twoFa.close();
  });
});
