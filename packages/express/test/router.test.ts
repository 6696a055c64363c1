import http from 'node:http';
import type { AddressInfo } from 'node:net';
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
import { createTwoFa, twoFaRouter } from '@twofa-kit/express';
import express from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';

const servers: http.Server[] = [];
async function listen(app: express.Express): Promise<string> {
  const server = http.createServer(app);
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

describe('@twofa-kit/express', () => {
  it('serves under the prefix option, and leaves the default prefix to the host', async () => {
    const app = express();
    app.use(twoFaRouter(contractOptions(new TestClock(), { prefix: '/v2/otp/' })));
    const url = await listen(app);
    expectEnvelope(await generate(url, '/v2/otp/generate'), 200, MESSAGES.generated);
    expectEnvelope(await request(url).get('/v2/otp/nope'), 404);
    const host = await generate(url);
    expect(host.status).toBe(404);
    expect(host.headers['content-type']).not.toBe('application/json; charset=utf-8');
  });

  it('mounts under a host path, passing the path below the prefix and the full basePath', async () => {
    const { twoFa, seen } = recordingTwoFa(contractOptions(new TestClock()));
    const app = express();
    app.use('/v1', twoFaRouter({ twoFa }));
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
        body: 'stream',
        apiKeyHeader: false,
      },
    ]);
    expect((await request(url).get(GENERATE)).status).toBe(404); // not mounted at the root
  });

  it('hands over a body the host parser already read as parsed, and an unread one as the stream', async () => {
    const { twoFa, seen } = recordingTwoFa(contractOptions(new TestClock()));
    const app = express();
    app.use(express.json());
    app.use(twoFaRouter({ twoFa }));
    const url = await listen(app);
    const json = await request(url).post(GENERATE).set('X-API-Key', KEYS.big).send({ secret: SEED_SECRET });
    expectEnvelope(json, 200, MESSAGES.generated);
    expectEnvelope(await generate(url), 200, MESSAGES.generated); // form: express.json leaves it unread
    expect(seen.map((s) => s.body)).toEqual(['parsed', 'stream']);
  });

  it('lets several apps share one core (and one set of limits)', async () => {
    const clock = new TestClock();
    const twoFa = createTwoFa(contractOptions(clock));
    const a = express().use(twoFaRouter({ twoFa }));
    const b = express().use(twoFaRouter({ twoFa }));
    const [urlA, urlB] = [await listen(a), await listen(b)];
    for (let i = 0; i < 3; i++) expectEnvelope(await generate(urlA, GENERATE, KEYS.free), 200);
    for (let i = 0; i < 2; i++) expectEnvelope(await generate(urlB, GENERATE, KEYS.free), 200);
    expectEnvelope(await generate(urlA, GENERATE, KEYS.free), 429, MESSAGES.rateLimited);
    expectEnvelope(await generate(urlB, GENERATE, KEYS.free), 429, MESSAGES.rateLimited);
  });

  it('writes the core’s response verbatim: no ETag, no 304', async () => {
    const app = express();
    app.use(twoFaRouter(contractOptions(new TestClock())));
    const url = await listen(app);
    const res = await request(url).get(`${GENERATE}?secret=${SEED_SECRET}`).set('X-API-Key', KEYS.big);
    expectEnvelope(res, 200);
    expect(res.headers.etag).toBeUndefined();
    const again = await request(url)
      .get(`${GENERATE}?secret=${SEED_SECRET}`)
      .set('X-API-Key', KEYS.big)
      .set('If-None-Match', '*');
    expectEnvelope(again, 200);
  });

  it('passes errors on host paths to the host, also with the kit’s error handler mounted', async () => {
    const app = express();
    const router = twoFaRouter(contractOptions(new TestClock()));
    app.use(express.json());
    app.use(router);
    app.post('/api/2fa-like', (req, res) => {
      res.json(req.body);
    });
    app.use(router.errorHandler);
    app.use((error: { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(418).json({ host: error.status });
    });
    const url = await listen(app);
    const host = await request(url).post('/api/2fa-like').type('json').send('{"a":');
    expect(host.status).toBe(418);
    expect(JSON.parse(host.text)).toEqual({ host: 400 });
    // Under the prefix the kit answers: the key first (401), then the parser's error (400).
    expectEnvelope(await request(url).post(GENERATE).type('json').send('{"a":'), 401);
    const keyed = (path: string) => request(url).post(path).set('X-API-Key', KEYS.big).type('json').send('{"a":');
    expectEnvelope(await keyed(GENERATE), 400);
    // The path below the prefix is the core's to match, as for any request there.
    const upper = await generate(url, '/API/2FA/GENERATE');
    expect((await keyed('/API/2FA/GENERATE')).status).toBe(upper.status);
    expectEnvelope(await keyed('/api/2fa/nope?x=1'), 404);
  });
});
