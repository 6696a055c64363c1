import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { type AdapterHarness, HOST_ROUTES } from '../harness.js';
import {
  contractOptions,
  expectEnvelope,
  GENERATE,
  KEYS,
  MESSAGES,
  otplibCode,
  SEED_SECRET,
  serve,
  TestClock,
} from '../helpers.js';

/** The routes work beside the host's own parsers, and the host's routes and handlers are untouched. */
export function hostSuite(harness: AdapterHarness): void {
  describe('with the host app’s own body parsers', () => {
    const clock = new TestClock();
    const app = serve(harness, () => contractOptions(clock), { withHostParsers: true, hostRoutes: true });
    const post = () => request(app.url).post(GENERATE).set('X-API-Key', KEYS.big);
    const code = () => otplibCode(SEED_SECRET, clock.seconds);

    it('takes form and JSON bodies the host already parsed', async () => {
      const form = await post().type('form').send(`secret=${SEED_SECRET}`);
      expect(expectEnvelope(form, 200, MESSAGES.generated).data?.code).toBe(code());
      const json = await post().send({ secret: 'jbsw-y3dp-ehpk-3pxp' });
      expect(expectEnvelope(json, 200, MESSAGES.generated).data?.code).toBe(code());
    });

    it('still lets the body win over the query, and the query alone work', async () => {
      const res = await request(app.url)
        .post(`${GENERATE}?secret=AAAA!`)
        .set('X-API-Key', KEYS.big)
        .send({ secret: SEED_SECRET });
      expect(expectEnvelope(res, 200).data?.code).toBe(code());
      const query = await request(app.url).post(`${GENERATE}?secret=${SEED_SECRET}`).set('X-API-Key', KEYS.big);
      expect(expectEnvelope(query, 200).data?.code).toBe(code());
    });

    it.each([
      ['a repeated form field', 'form', `secret=${SEED_SECRET}&secret=${SEED_SECRET}`],
      ['a JSON array', 'json', JSON.stringify({ secret: [SEED_SECRET] })],
      ['a JSON object', 'json', JSON.stringify({ secret: { a: 1 } })],
      ['an empty field', 'form', 'secret='],
    ])('refuses %s with 400 Invalid or missing secret', async (_name, type, body) => {
      expectEnvelope(await post().type(type).send(body), 400, MESSAGES.invalidSecret);
    });

    it('answers a host parser error under the prefix in the envelope (malformed JSON: 400)', async () => {
      const res = await post().type('json').send('{"secret":');
      expectEnvelope(res, 400);
    });

    it('answers a body over the host parser’s own limit in the envelope (413)', async () => {
      const res = await post().send({ secret: SEED_SECRET, pad: 'A'.repeat(1_100_000) });
      expectEnvelope(res, 413);
    });

    it('holds the kit’s bodyLimit (16 KiB) for a body the host parser accepted (413)', async () => {
      const res = await post().send({ secret: SEED_SECRET, pad: 'A'.repeat(20_000) });
      expectEnvelope(res, 413);
      const form = await post()
        .type('form')
        .send(`secret=${SEED_SECRET}&pad=${'A'.repeat(20_000)}`);
      expectEnvelope(form, 413);
    });

    it('answers 415 for a type no parser takes', async () => {
      expectEnvelope(await post().type('text').send('secret=x'), 415);
    });

    it('leaves the host’s routes and parser alone', async () => {
      const ping = await request(app.url).get(HOST_ROUTES.ping);
      expect(ping.status).toBe(200);
      expect(JSON.parse(ping.text)).toEqual({ pong: true });
      const echo = await request(app.url).post(HOST_ROUTES.echo).send({ a: 1 });
      expect(echo.status).toBe(200);
      expect(JSON.parse(echo.text)).toEqual({ body: { a: 1 } });
    });

    it('leaves the host’s error handler in charge of its own paths', async () => {
      const boom = await request(app.url).get(HOST_ROUTES.boom);
      expect(boom.status).toBe(500);
      expect(JSON.parse(boom.text)).toEqual(HOST_ROUTES.hostErrorBody);
      const malformed = await request(app.url).post(HOST_ROUTES.echo).type('json').send('{"a":');
      expect(malformed.status).toBe(500);
      expect(JSON.parse(malformed.text)).toEqual(HOST_ROUTES.hostErrorBody);
    });

    it('leaves unknown paths outside the prefix to the host (no envelope)', async () => {
      for (const path of ['/nope', '/api/2fa-other/generate', '/api/2', '/api']) {
        const res = await request(app.url).get(path).set('X-API-Key', KEYS.big);
        expect(res.status, path).toBe(404);
        expect(res.text ?? '').not.toContain('"code":404,"message"');
      }
    });
  });

  describe('host routes without host parsers', () => {
    const clock = new TestClock();
    const app = serve(harness, () => contractOptions(clock), { hostRoutes: true });

    it('serves both the host’s routes and the kit', async () => {
      const ping = await request(app.url).get(HOST_ROUTES.ping);
      expect(JSON.parse(ping.text)).toEqual({ pong: true });
      const boom = await request(app.url).get(HOST_ROUTES.boom);
      expect(boom.status).toBe(500);
      expect(JSON.parse(boom.text)).toEqual(HOST_ROUTES.hostErrorBody);
      const res = await request(app.url)
        .post(GENERATE)
        .set('X-API-Key', KEYS.big)
        .type('form')
        .send(`secret=${SEED_SECRET}`);
      expectEnvelope(res, 200, MESSAGES.generated);
    });
  });
}
