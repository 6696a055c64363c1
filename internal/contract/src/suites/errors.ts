import { connect } from 'node:net';
import { ERROR_KINDS } from '@twofa-kit/core';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import type { AdapterHarness } from '../harness.js';
import {
  expectEnvelope,
  GENERATE,
  KEYS,
  MESSAGES,
  PREFIX,
  rawRequest,
  SEED_SECRET,
  serveContract,
  TestClock,
  withContract,
} from '../helpers.js';

const BODY_LIMIT = 16_384; // the core's documented default

/** Every 400 / 401 / 404 / 405 / 413 / 415 of the contract, each in the envelope. */
export function errorsSuite(harness: AdapterHarness): void {
  describe('400 Invalid or missing secret', () => {
    const { app } = serveContract(harness);
    const post = () => request(app.url).post(GENERATE).set('X-API-Key', KEYS.big);

    it.each([
      ['no body and no query', () => post()],
      ['a GET without secret', () => request(app.url).get(GENERATE).set('X-API-Key', KEYS.big)],
      ['an empty form field', () => post().type('form').send('secret=')],
      ['a blank form field', () => post().type('form').send('secret=%20%20')],
      ['an empty query value', () => request(app.url).get(`${GENERATE}?secret=`).set('X-API-Key', KEYS.big)],
      ['an empty JSON string', () => post().send({ secret: '' })],
      ['a JSON null', () => post().send({ secret: null })],
      ['a JSON number', () => post().send({ secret: 12345 })],
      ['a JSON array', () => post().send({ secret: [SEED_SECRET] })],
      ['a JSON object', () => post().send({ secret: { value: SEED_SECRET } })],
      ['a repeated form field', () => post().type('form').send(`secret=${SEED_SECRET}&secret=${SEED_SECRET}`)],
      ['a form field with brackets', () => post().type('form').send(`secret[]=${SEED_SECRET}`)],
      [
        'a repeated query field',
        () => request(app.url).get(`${GENERATE}?secret=${SEED_SECRET}&secret=AAAA`).set('X-API-Key', KEYS.big),
      ],
      ['a digit outside Base32 (1)', () => post().type('form').send('secret=JBSWY3DPEHPK3PX1')],
      ['punctuation', () => post().type('form').send('secret=JBSWY3DP!HPK3PXP')],
      ['padding in the middle', () => post().type('form').send('secret=JBSW%3DY3DPEHPK3PXP')],
      ['non-ASCII letters', () => post().send({ secret: 'JBSWY3DPÉHPK3PXP' })],
      ['a single character (no whole byte)', () => post().type('form').send('secret=J')],
      ['one byte (AA: under the minimum of 16 Base32 characters)', () => post().type('form').send('secret=AA')],
      ['15 Base32 characters (one under the minimum)', () => post().type('form').send('secret=JBSWY3DPEHPK3PX')],
      ['15 characters in an otpauth URI', () => post().send({ secret: 'otpauth://totp/x?secret=JBSWY3DPEHPK3PX' })],
      [
        'the same JSON key twice (JSON.parse would keep the last)',
        () => post().set('Content-Type', 'application/json').send(`{"secret":"AAAA","secret":"${SEED_SECRET}"}`),
      ],
      [
        'the same JSON key twice, one of them escaped',
        () =>
          post()
            .set('Content-Type', 'application/json')
            .send(`{"secret":"${SEED_SECRET}","\\u0073ecret":"${SEED_SECRET}"}`),
      ],
      ['257 Base32 characters (over the default maximum of 256)', () => post().send({ secret: 'A'.repeat(257) })],
      ['an otpauth URI without a secret', () => post().send({ secret: 'otpauth://totp/x?issuer=y' })],
      ['an otpauth URI of another type', () => post().send({ secret: `otpauth://hotp/x?secret=${SEED_SECRET}` })],
    ])('for %s', async (_name, send) => {
      expectEnvelope(await send(), 400, MESSAGES.invalidSecret);
    });

    it('accepts exactly the maximum length (256 Base32 characters)', async () => {
      expectEnvelope(await post().send({ secret: 'A'.repeat(256) }), 200);
    });

    it('accepts exactly the minimum length (16 Base32 characters, spaces and hyphens aside)', async () => {
      expectEnvelope(await post().type('form').send('secret=JBSW-Y3DP+EHPK-3PXP'), 200);
    });

    it.each([
      ['malformed JSON', 'application/json', '{"secret":'],
      [
        'JSON nested deeper than 32 levels',
        'application/json',
        `{"secret":"${SEED_SECRET}","x":${'['.repeat(33)}${']'.repeat(33)}}`,
      ],
      ['a JSON array body', 'application/json', `["${SEED_SECRET}"]`],
      ['a JSON string body', 'application/json', `"${SEED_SECRET}"`],
    ])('answers 400 in the envelope for %s', async (_name, type, body) => {
      const res = await post().set('Content-Type', type).send(body);
      expectEnvelope(res, 400);
    });

    it('answers 400 for a form body that is not UTF-8', async () => {
      const res = await rawRequest(app.url, {
        method: 'POST',
        path: GENERATE,
        headers: { 'x-api-key': KEYS.big, 'content-type': 'application/x-www-form-urlencoded' },
        chunks: [Buffer.from([0x73, 0x65, 0x63, 0x72, 0x65, 0x74, 0x3d, 0xff, 0xfe, 0x41])],
      });
      expectEnvelope(res, 400);
    });
  });

  describe('401 Invalid or missing API key', () => {
    const { app, clock } = serveContract(harness);

    it.each([
      ['no key', '', 'Content-Length: 1000', 'secret=JBS'],
      ['an unknown key', 'X-API-Key: no-such-key\r\n', 'Content-Length: 1000', 'secret=JBS'],
      ['an unknown key (chunked)', 'X-API-Key: no-such-key\r\n', 'Transfer-Encoding: chunked', 'a\r\nsecret=JBS\r\n'],
    ])(
      'answers a slow body with %s at once, without waiting for the body',
      async (_name, keyHeader, framing, start) => {
        // The start of a body (within the body limit), then nothing: the answer must not wait for the rest.
        const { port } = new URL(app.url);
        const socket = connect(Number(port), '127.0.0.1');
        try {
          const head = await new Promise<string>((resolve, reject) => {
            let text = '';
            const timer = setTimeout(
              () => reject(new Error(`no answer within 3 s (got ${JSON.stringify(text)})`)),
              3_000,
            );
            socket.on('data', (chunk: Buffer) => {
              text += chunk.toString('latin1');
              if (text.includes('\r\n\r\n') && text.includes('"code"')) {
                clearTimeout(timer);
                resolve(text);
              }
            });
            socket.on('error', reject);
            socket.write(
              `POST ${GENERATE} HTTP/1.1\r\nHost: x\r\n${keyHeader}Content-Type: application/x-www-form-urlencoded\r\n${framing}\r\n\r\n${start}`,
            );
          });
          expect(head.startsWith('HTTP/1.1 401 ')).toBe(true);
          expect(head).toContain(MESSAGES.unauthorized);
        } finally {
          socket.destroy();
        }
      },
    );

    it.each([
      ['no key', {}, ''],
      ['an unknown key in the header', { 'X-API-Key': 'no-such-key' }, ''],
      ['an empty header', { 'X-API-Key': '' }, ''],
      ['an unknown key in the query', {}, '&api_key=no-such-key'],
      ['a valid key in the wrong header', { Authorization: `Bearer ${KEYS.big}` }, ''],
    ])('for %s', async (_name, headers: Record<string, string>, query) => {
      const res = await request(app.url).get(`${GENERATE}?secret=${SEED_SECRET}${query}`).set(headers);
      const body = expectEnvelope(res, 401, MESSAGES.unauthorized);
      expect(body.data).toBeNull();
      expect(res.headers.ratelimit).toBeUndefined();
    });

    it('lets the header win over the query key', async () => {
      const good = await request(app.url)
        .get(`${GENERATE}?secret=${SEED_SECRET}&api_key=no-such-key`)
        .set('X-API-Key', KEYS.big);
      expectEnvelope(good, 200, MESSAGES.generated);
      const bad = await request(app.url)
        .get(`${GENERATE}?secret=${SEED_SECRET}&api_key=${KEYS.big}`)
        .set('X-API-Key', 'no-such-key');
      expectEnvelope(bad, 401, MESSAGES.unauthorized);
    });

    it('authenticates before looking at the body (malformed, oversized, unsupported)', async () => {
      const url = app.url;
      expectEnvelope(await request(url).post(GENERATE).type('json').send('{"secret":'), 401, MESSAGES.unauthorized);
      expectEnvelope(await request(url).post(GENERATE).type('text').send('hello'), 401, MESSAGES.unauthorized);
      expectEnvelope(
        await request(url)
          .post(GENERATE)
          .type('form')
          .send(`secret=${'A'.repeat(BODY_LIMIT * 2)}`),
        401,
        MESSAGES.unauthorized,
      );
    });

    it('refuses the query key when the option turns it off, still taking the header', async () => {
      await withContract(harness, clock, { allowQueryKey: false }, async (url) => {
        const res = await request(url).get(`${GENERATE}?secret=${SEED_SECRET}&api_key=${KEYS.big}`);
        expectEnvelope(res, 401, MESSAGES.unauthorized);
        const header = await request(url).get(`${GENERATE}?secret=${SEED_SECRET}`).set('X-API-Key', KEYS.big);
        expectEnvelope(header, 200, MESSAGES.generated);
      });
    });
  });

  describe('404 / 405 under the prefix', () => {
    const { app } = serveContract(harness);

    for (const [method, path] of [
      ['GET', `${PREFIX}/nope`],
      ['POST', `${PREFIX}/nope`],
      ['GET', PREFIX],
      ['GET', `${PREFIX}/`],
      ['DELETE', `${PREFIX}/deep/er/path`],
      ['OPTIONS', `${PREFIX}/nope`],
      ['GET', `${GENERATE}/extra`],
      ['GET', `${PREFIX}/%E0%A4%A`],
      ['POST', `${PREFIX}/%ZZ?secret=%ZZ`],
      ['GET', `${PREFIX}/generate%`],
    ] as const) {
      // Skipped where the host answers the request itself before any route runs (`answeredByHost`).
      it.skipIf(harness.answeredByHost?.[`${method} ${path}`] !== undefined)(
        `${method} ${path} is a 404 in the envelope`,
        async () => {
          const res = await rawRequest(app.url, { method, path, headers: { 'x-api-key': KEYS.big } });
          expectEnvelope(res, 404, ERROR_KINDS.NOT_FOUND.message);
        },
      );
    }

    it.each([
      ['GET', `/dashboard/%ff${GENERATE}?secret=${SEED_SECRET}`],
      ['POST', `/x/%E0%A4%A${GENERATE}?secret=${SEED_SECRET}`],
      ['GET', `/%ff${PREFIX}/openapi.json`],
      ['GET', `${PREFIX}x/%ff/generate?secret=${SEED_SECRET}`],
    ])('%s %s (the prefix not at the start, the URL undecodable) is left to the host', async (method, path) => {
      const res = await rawRequest(app.url, { method, path, headers: { 'x-api-key': KEYS.big } });
      expect(res.status).not.toBe(200);
      expect([400, 404]).toContain(res.status);
      expect(res.text).not.toContain('Code generated');
      expect(res.text).not.toContain('"openapi"');
    });

    it.each(['PUT', 'DELETE', 'PATCH', 'OPTIONS'])('%s on generate is a 405 with Allow', async (method) => {
      const res = await rawRequest(app.url, { method, path: GENERATE, headers: { 'x-api-key': KEYS.big } });
      expectEnvelope(res, 405, ERROR_KINDS.METHOD_NOT_ALLOWED.message);
      const allow = String(res.headers.allow ?? '')
        .split(',')
        .map((m) => m.trim())
        .sort();
      expect(allow).toEqual(['GET', 'HEAD', 'POST']);
    });
  });

  describe('500 / 503 from the host key store', () => {
    const clock = new TestClock();
    const get = (url: string) => request(url).get(`${GENERATE}?secret=${SEED_SECRET}`).set('X-API-Key', KEYS.big);

    it('answers a key store that throws with the masked 500 envelope', async () => {
      const resolveKey = () => {
        throw new Error('database is down: secret details');
      };
      await withContract(harness, clock, { resolveKey }, async (url) => {
        const res = await get(url);
        expectEnvelope(res, 500, ERROR_KINDS.INTERNAL.message);
        expect(res.text).not.toContain('database');
      });
    });

    it('answers a key store that rejects, or names an unknown plan, with 500', async () => {
      const rejects = () => Promise.reject(new Error('nope'));
      await withContract(harness, clock, { resolveKey: rejects }, async (url) => {
        expectEnvelope(await get(url), 500, ERROR_KINDS.INTERNAL.message);
      });
      const unknownPlan = () => ({ id: 'x', plan: 'platinum' });
      await withContract(harness, clock, { resolveKey: unknownPlan }, async (url) => {
        expectEnvelope(await get(url), 500, ERROR_KINDS.INTERNAL.message);
      });
    });

    it('answers a key store that never settles with 503 after keyLookupTimeoutMs', async () => {
      const hangs = () => new Promise<never>(() => {});
      await withContract(harness, clock, { resolveKey: hangs, keyLookupTimeoutMs: 20 }, async (url) => {
        expectEnvelope(await get(url), 503, ERROR_KINDS.UNAVAILABLE.message);
      });
    });
  });

  describe('413 and 415', () => {
    const { app, clock } = serveContract(harness);
    const big = `secret=${SEED_SECRET}&pad=${'A'.repeat(BODY_LIMIT)}`;

    it('answers 413 for a declared Content-Length over the limit', async () => {
      const res = await request(app.url).post(GENERATE).set('X-API-Key', KEYS.big).type('form').send(big);
      expectEnvelope(res, 413, ERROR_KINDS.PAYLOAD_TOO_LARGE.message);
    });

    it('answers 413 for a chunked body that grows over the limit', async () => {
      const chunk = 'A'.repeat(4096);
      const res = await rawRequest(app.url, {
        method: 'POST',
        path: GENERATE,
        headers: { 'x-api-key': KEYS.big, 'content-type': 'application/x-www-form-urlencoded' },
        chunks: [`secret=${SEED_SECRET}&pad=`, chunk, chunk, chunk, chunk, chunk],
      });
      expectEnvelope(res, 413, ERROR_KINDS.PAYLOAD_TOO_LARGE.message);
    });

    it('accepts a chunked body under the limit', async () => {
      const res = await rawRequest(app.url, {
        method: 'POST',
        path: GENERATE,
        headers: { 'x-api-key': KEYS.big, 'content-type': 'application/x-www-form-urlencoded' },
        chunks: ['sec', 'ret=JBSW', 'Y3DPEHPK3PXP'],
      });
      expectEnvelope(res, 200, MESSAGES.generated);
    });

    it('enforces the bodyLimit option exactly', async () => {
      await withContract(harness, clock, { bodyLimit: 100 }, async (url) => {
        const fits = `secret=${SEED_SECRET}&pad=${'A'.repeat(100 - 28)}`;
        expect(fits.length).toBe(100);
        const ok = await request(url).post(GENERATE).set('X-API-Key', KEYS.big).type('form').send(fits);
        expectEnvelope(ok, 200, MESSAGES.generated);
        const over = await request(url).post(GENERATE).set('X-API-Key', KEYS.big).type('form').send(`${fits}A`);
        expectEnvelope(over, 413, ERROR_KINDS.PAYLOAD_TOO_LARGE.message);
      });
    });

    it.each([
      ['text/plain', `secret=${SEED_SECRET}`],
      ['application/xml', `<secret>${SEED_SECRET}</secret>`],
      [
        'multipart/form-data; boundary=x',
        `--x\r\nContent-Disposition: form-data; name="secret"\r\n\r\n${SEED_SECRET}\r\n--x--`,
      ],
      ['application/json; charset=latin1', `{"secret":"${SEED_SECRET}"}`],
    ])('answers 415 for %s', async (type, body) => {
      const res = await request(app.url).post(GENERATE).set('X-API-Key', KEYS.big).set('Content-Type', type).send(body);
      expectEnvelope(res, 415, ERROR_KINDS.UNSUPPORTED_MEDIA_TYPE.message);
    });

    it('answers 415 for a body without a Content-Type', async () => {
      const res = await rawRequest(app.url, {
        method: 'POST',
        path: GENERATE,
        headers: { 'x-api-key': KEYS.big, 'content-length': String(`secret=${SEED_SECRET}`.length) },
        chunks: [`secret=${SEED_SECRET}`],
      });
      expectEnvelope(res, 415, ERROR_KINDS.UNSUPPORTED_MEDIA_TYPE.message);
    });

    it('accepts JSON and form bodies with a charset parameter', async () => {
      const json = await request(app.url)
        .post(GENERATE)
        .set('X-API-Key', KEYS.big)
        .set('Content-Type', 'application/json; charset=utf-8')
        .send(JSON.stringify({ secret: SEED_SECRET }));
      expectEnvelope(json, 200, MESSAGES.generated);
      const form = await request(app.url)
        .post(GENERATE)
        .set('X-API-Key', KEYS.big)
        .set('Content-Type', 'application/x-www-form-urlencoded; charset=UTF-8')
        .send(`secret=${SEED_SECRET}`);
      expectEnvelope(form, 200, MESSAGES.generated);
    });
  });
}
