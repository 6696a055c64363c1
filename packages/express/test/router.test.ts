import {
  contractOptions,
  expectEnvelope,
  GENERATE,
  generateForm,
  JSON_UTF8,
  KEYS,
  MESSAGES,
  mountingSuite,
  recordingTwoFa,
  SEED_SECRET,
  serverPool,
  TestClock,
  unknownOptionsSuite,
} from '@twofa-kit/contract';
import { twoFaRouter } from '@twofa-kit/express';
import express from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';

const pool = serverPool();
const listen = (app: express.Express) => pool.listen(app);
afterEach(() => pool.closeAll());

mountingSuite({
  name: '@twofa-kit/express',
  serve: (source) => pool.start(express().use(twoFaRouter(source))),
  serveUnderV1: (twoFa) => pool.start(express().use('/v1', twoFaRouter({ twoFa }))),
  getBody: 'stream',
  postBody: 'stream',
  expectHostNotFound: (res) => expect(res.headers['content-type']).not.toBe(JSON_UTF8),
});

describe('@twofa-kit/express', () => {
  it('hands over a body the host parser already read as parsed, and an unread one as the stream', async () => {
    const { twoFa, seen } = recordingTwoFa(contractOptions(new TestClock()));
    const app = express();
    app.use(express.json());
    app.use(twoFaRouter({ twoFa }));
    const url = await listen(app);
    const json = await request(url).post(GENERATE).set('X-API-Key', KEYS.big).send({ secret: SEED_SECRET });
    expectEnvelope(json, 200, MESSAGES.generated);
    expectEnvelope(await generateForm(url), 200, MESSAGES.generated); // form: express.json leaves it unread
    expect(seen.map((s) => s.body)).toEqual(['parsed', 'stream']);
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
    const upper = await generateForm(url, '/API/2FA/GENERATE');
    expect((await keyed('/API/2FA/GENERATE')).status).toBe(upper.status);
    expectEnvelope(await keyed('/api/2fa/nope?x=1'), 404);
  });
});

unknownOptionsSuite('twoFaRouter', twoFaRouter);
