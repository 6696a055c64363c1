import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { type AdapterHarness, HOST_ROUTES } from '../harness.js';
import { expectEnvelope, GENERATE, KEYS, MESSAGES, otplibCode, SEED_SECRET, serveContract } from '../helpers.js';

/** The routes work beside the host's own parsers, and the host's routes and handlers are untouched. */
export function hostSuite(harness: AdapterHarness): void {
  describe('with the host app’s own body parsers', () => {
    const { app, clock } = serveContract(harness, { withHostParsers: true, hostRoutes: true });
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

    it('answers 401 before the host parser’s error when no valid key is given', async () => {
      const cases = [
        request(app.url).post(GENERATE).type('json').send('{"secret":'),
        request(app.url).post(GENERATE).set('X-API-Key', 'not-a-key').type('json').send('{"secret":'),
        request(app.url)
          .post(GENERATE)
          .send({ secret: SEED_SECRET, pad: 'A'.repeat(1_100_000) }),
      ];
      for (const res of await Promise.all(cases)) {
        expectEnvelope(res, 401, MESSAGES.unauthorized);
        expect(res.headers.ratelimit).toBeUndefined();
      }
    });

    it('counts a host parser’s error after a valid key like any other request', async () => {
      const pro = () => request(app.url).post(GENERATE).set('X-API-Key', KEYS.pro);
      const remaining = (res: request.Response) => Number(/"minute";r=(\d+)/.exec(res.headers.ratelimit ?? '')?.[1]);
      const first = await pro().type('form').send(`secret=${SEED_SECRET}`);
      expectEnvelope(first, 200, MESSAGES.generated);
      const hostFailed = await pro().type('json').send('{"secret":');
      expectEnvelope(hostFailed, 400);
      // A 400 of the kit's own (a body the host parsed, with a secret the kit refuses), for comparison.
      const kitRefused = await pro().send({ secret: 'AAAA!' });
      expectEnvelope(kitRefused, 400, MESSAGES.invalidSecret);
      const last = await pro().type('form').send(`secret=${SEED_SECRET}`);
      expectEnvelope(last, 200, MESSAGES.generated);
      const steps = [first, hostFailed, kitRefused, last].map(remaining);
      expect(steps.every(Number.isInteger), `RateLimit on every answer: ${steps}`).toBe(true);
      const hostCost = (steps[0] as number) - (steps[1] as number);
      const kitCost = (steps[1] as number) - (steps[2] as number);
      expect(hostCost).toBe(kitCost);
      expect((steps[2] as number) - (steps[3] as number)).toBe(1);
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
    const { app } = serveContract(harness, { hostRoutes: true });

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
