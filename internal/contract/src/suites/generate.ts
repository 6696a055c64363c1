import request from 'supertest';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AdapterHarness } from '../harness.js';
import {
  expectEnvelope,
  GENERATE,
  JSON_UTF8,
  KEYS,
  MESSAGES,
  otplibCode,
  SEED_SECRET,
  serveContract,
  TestClock,
} from '../helpers.js';

/** `POST|GET /api/2fa/generate`: every input form, normalisation, and the numbers in `data`. */
export function generateSuite(harness: AdapterHarness): void {
  describe('generate', () => {
    const { app, clock } = serveContract(harness);
    beforeEach(() => clock.set(TestClock.START));

    /** Asserts a 200 for the seed secret (or `secret`) at the clock's time and returns `data`. */
    function expectGenerated(res: request.Response, secret = SEED_SECRET, opts: Parameters<typeof otplibCode>[2] = {}) {
      const body = expectEnvelope(res, 200, MESSAGES.generated);
      const data = body.data as Record<string, unknown>;
      expect(Object.keys(data).sort()).toEqual(['code', 'remaining_time', 'timestamp', 'valid_until']);
      const period = opts.period ?? 30;
      const ts = clock.seconds;
      expect(data.timestamp).toBe(ts);
      expect(data.code).toBe(otplibCode(secret, ts, opts));
      expect(data.remaining_time).toBe(period - (ts % period));
      expect(data.valid_until).toBe(ts + period - (ts % period));
      return data;
    }

    it("takes the secret from a form body (as the API documentation's examples send it), key in X-API-Key", async () => {
      const res = await request(app.url)
        .post(GENERATE)
        .set('X-API-Key', KEYS.big)
        .type('form')
        .send(`secret=${SEED_SECRET}`);
      expectGenerated(res);
    });

    it('takes the secret from a JSON body', async () => {
      const res = await request(app.url).post(GENERATE).set('X-API-Key', KEYS.big).send({ secret: SEED_SECRET });
      expectGenerated(res);
    });

    it('takes the secret from the query string of a POST without a body', async () => {
      const res = await request(app.url).post(`${GENERATE}?secret=${SEED_SECRET}`).set('X-API-Key', KEYS.big);
      expectGenerated(res);
    });

    it('answers GET with the secret and the key in the query string', async () => {
      const res = await request(app.url).get(`${GENERATE}?secret=${SEED_SECRET}&api_key=${KEYS.big}`);
      expectGenerated(res);
    });

    it('lets the body win over the query string (form and JSON)', async () => {
      const other = 'GEZDGNBVGY3TQOJQ';
      const form = await request(app.url)
        .post(`${GENERATE}?secret=${other}`)
        .set('X-API-Key', KEYS.big)
        .type('form')
        .send(`secret=${SEED_SECRET}`);
      expectGenerated(form);
      const json = await request(app.url)
        .post(`${GENERATE}?secret=not-base32!`)
        .set('X-API-Key', KEYS.big)
        .send({ secret: SEED_SECRET });
      expectGenerated(json);
    });

    it.each([
      ['lower case', 'jbswy3dpehpk3pxp'],
      ['mixed case', 'JbSwY3dPeHpK3pXp'],
      ['spaces', 'JBSW Y3DP EHPK 3PXP'],
      ['hyphens', 'JBSW-Y3DP-EHPK-3PXP'],
      ['= padding', 'JBSWY3DPEHPK3PXP======'],
      ['all at once', ' jbsw-y3dp ehpk-3pxp== '],
    ])('normalises the secret like authenticator apps: %s', async (_name, secret) => {
      const res = await request(app.url).post(GENERATE).set('X-API-Key', KEYS.big).type('form').send({ secret });
      expectGenerated(res);
    });

    it('works with the seed secret of 10 bytes (no 16-byte minimum) and a 20-byte one', async () => {
      expectGenerated(await request(app.url).get(`${GENERATE}?secret=${SEED_SECRET}`).set('X-API-Key', KEYS.big));
      const twenty = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
      expectGenerated(await request(app.url).get(`${GENERATE}?secret=${twenty}`).set('X-API-Key', KEYS.big), twenty);
    });

    it.each([
      ['start of a period', Date.UTC(2026, 0, 1, 12, 0, 0, 0), 30],
      ['one second before its end', Date.UTC(2026, 0, 1, 12, 0, 29, 999), 1],
      ['mid period', Date.UTC(2026, 0, 1, 12, 0, 47, 500), 13],
    ])('computes remaining_time and valid_until from the clock: %s', async (_name, at, remaining) => {
      clock.set(at);
      const data = expectGenerated(
        await request(app.url).get(`${GENERATE}?secret=${SEED_SECRET}`).set('X-API-Key', KEYS.big),
      );
      expect(data.remaining_time).toBe(remaining);
      expect(data.valid_until).toBe(Math.floor(at / 1000) + remaining);
    });

    it('keeps leading zeros in the code', async () => {
      let ts = Math.floor(TestClock.START / 1000);
      while (!otplibCode(SEED_SECRET, ts).startsWith('0')) ts += 30;
      clock.set(ts * 1000);
      const data = expectGenerated(
        await request(app.url).get(`${GENERATE}?secret=${SEED_SECRET}`).set('X-API-Key', KEYS.big),
      );
      expect(data.code).toMatch(/^0[0-9]{5}$/);
    });

    it('changes the code when the clock moves to the next period', async () => {
      const first = await request(app.url).get(`${GENERATE}?secret=${SEED_SECRET}`).set('X-API-Key', KEYS.big);
      clock.advance(30_000);
      const second = await request(app.url).get(`${GENERATE}?secret=${SEED_SECRET}`).set('X-API-Key', KEYS.big);
      expectGenerated(second);
      expect(expectEnvelope(first, 200).data?.code).not.toBe(expectEnvelope(second, 200).data?.code);
    });

    it('applies digits, period and algorithm (form, JSON and query)', async () => {
      const form = await request(app.url)
        .post(GENERATE)
        .set('X-API-Key', KEYS.big)
        .type('form')
        .send(`secret=${SEED_SECRET}&digits=8&period=60&algorithm=SHA256`);
      expect(expectGenerated(form, SEED_SECRET, { digits: 8, period: 60, algorithm: 'sha256' }).code).toMatch(
        /^[0-9]{8}$/,
      );
      const json = await request(app.url)
        .post(GENERATE)
        .set('X-API-Key', KEYS.big)
        .send({ secret: SEED_SECRET, digits: 7, algorithm: 'sha512' });
      expectGenerated(json, SEED_SECRET, { digits: 7, algorithm: 'sha512' });
      const query = await request(app.url)
        .get(`${GENERATE}?secret=${SEED_SECRET}&period=15`)
        .set('X-API-Key', KEYS.big);
      expectGenerated(query, SEED_SECRET, { period: 15 });
    });

    it('accepts an otpauth:// URI in place of the secret, its parameters applying', async () => {
      const uri = `otpauth://totp/Example:alice@example.com?secret=${SEED_SECRET}&issuer=Example&digits=8&period=60`;
      const res = await request(app.url).post(GENERATE).set('X-API-Key', KEYS.big).type('form').send({ secret: uri });
      expectGenerated(res, SEED_SECRET, { digits: 8, period: 60 });
    });

    it.each([
      ['digits=5', 'digits=5'],
      ['digits=9', 'digits=9'],
      ['period=0', 'period=0'],
      ['algorithm=MD5', 'algorithm=MD5'],
    ])('refuses an out-of-range %s with 400', async (_name, extra) => {
      const res = await request(app.url).get(`${GENERATE}?secret=${SEED_SECRET}&${extra}`).set('X-API-Key', KEYS.big);
      expectEnvelope(res, 400);
    });

    it('answers HEAD like GET, without a body', async () => {
      const res = await request(app.url).head(`${GENERATE}?secret=${SEED_SECRET}`).set('X-API-Key', KEYS.big);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(JSON_UTF8);
      expect(res.text ?? '').toBe('');
    });
  });
}
