import { randomBytes } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import {
  cachedKeys,
  ERROR_KINDS,
  type ErrorKind,
  encodeBase32,
  hashedKeys,
  hashKey,
  type Identity,
  type TwoFaEvent,
  type TwoFaOptions,
} from '@twofa-kit/core';
import { ROUTES } from '@twofa-kit/core/adapter';
import request from 'supertest';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AdapterHarness } from '../harness.js';
import {
  contractOptions,
  expectEnvelope,
  GENERATE,
  JSON_UTF8,
  KEYS,
  MESSAGES,
  otplibCode,
  PREFIX,
  serveContract,
  TestClock,
  withContract,
} from '../helpers.js';

const VERIFY = `${PREFIX}/verify`;
const USAGE = `${PREFIX}/usage`;
const OPENAPI = `${PREFIX}/openapi.json`;
/** 20 bytes (RFC 6238's SHA1 seed), canonical Base32. */
const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

/** A new random secret of 32 Base32 characters (20 bytes). */
function freshSecret(): string {
  return encodeBase32(randomBytes(20));
}

function verify(url: string, key: string, fields: Record<string, string>) {
  return request(url).post(VERIFY).set('X-API-Key', key).type('form').send(fields);
}

/** Verify, usage, OpenAPI, otpauth options, cachedKeys, the failed-auth guard and events. */
export function extensionsSuite(harness: AdapterHarness): void {
  describe('extension: POST /verify', () => {
    const { app, clock } = serveContract(harness); // 12:00:15.250, 15 s into a 30 s step
    beforeEach(() => clock.set(TestClock.START));

    it('accepts codes of the neighbouring steps (computed by otplib) within the window, with their offset', async () => {
      for (const delta of [-2, -1, 0, 1, 2]) {
        // A fresh secret per check: an accepted code is not accepted twice (see the replay test).
        const narrow = freshSecret();
        const code = otplibCode(narrow, clock.seconds + delta * 30);
        const within = expectEnvelope(await verify(app.url, KEYS.big, { secret: narrow, code }), 200);
        expect(within.data).toEqual(
          Math.abs(delta) <= 1
            ? { valid: true, delta, replayed: false }
            : { valid: false, delta: null, replayed: false },
        );
        const wideSecret = freshSecret();
        const wideCode = otplibCode(wideSecret, clock.seconds + delta * 30);
        const wide = await verify(app.url, KEYS.big, { secret: wideSecret, code: wideCode, window: '2' });
        expect(expectEnvelope(wide, 200).data).toEqual({ valid: true, delta, replayed: false });
      }
      const json = await request(app.url)
        .post(VERIFY)
        .set('X-API-Key', KEYS.big)
        .send({
          secret: SECRET,
          code: otplibCode(SECRET, clock.seconds, { digits: 8, algorithm: 'sha256' }),
          digits: 8,
          algorithm: 'SHA256',
          window: 0,
        });
      expect(expectEnvelope(json, 200).data).toEqual({ valid: true, delta: 0, replayed: false });
    });

    it('refuses a code already accepted, and every earlier step, for that secret and key (RFC 6238 §5.2)', async () => {
      const secret = freshSecret();
      const now = otplibCode(secret, clock.seconds);
      expect(expectEnvelope(await verify(app.url, KEYS.big, { secret, code: now }), 200).data).toEqual({
        valid: true,
        delta: 0,
        replayed: false,
      });
      const replayed = { valid: false, delta: null, replayed: true };
      expect(expectEnvelope(await verify(app.url, KEYS.big, { secret, code: now }), 200).data).toEqual(replayed);
      const before = otplibCode(secret, clock.seconds - 30);
      expect(expectEnvelope(await verify(app.url, KEYS.big, { secret, code: before }), 200).data).toEqual(replayed);
      // The next step is newer: accepted once.
      const next = otplibCode(secret, clock.seconds + 30);
      expect(expectEnvelope(await verify(app.url, KEYS.big, { secret, code: next }), 200).data).toEqual({
        valid: true,
        delta: 1,
        replayed: false,
      });
      // Another key (identity) has its own memory; the replayed code is still refused for the first.
      const other = await verify(app.url, KEYS.pro, { secret, code: now });
      expect(expectEnvelope(other, 200).data).toEqual({ valid: true, delta: 0, replayed: false });
      clock.advance(30_000);
      expect(expectEnvelope(await verify(app.url, KEYS.big, { secret, code: next }), 200).data).toEqual(replayed);
    });

    it('after 5 failed verifications of one secret in 5 minutes answers 429 with retry_after; other secrets are unaffected', async () => {
      const secret = freshSecret();
      const near = [-1, 0, 1].map((d) => otplibCode(secret, clock.seconds + d * 30));
      const wrong = ['000000', '111111', '222222', '333333'].find((c) => !near.includes(c)) as string;
      for (let i = 0; i < 5; i++) {
        const res = await verify(app.url, KEYS.big, { secret, code: wrong });
        expect(expectEnvelope(res, 200).data).toEqual({ valid: false, delta: null, replayed: false });
      }
      // Even the right code is refused now: the guesser learns nothing more.
      const refused = await verify(app.url, KEYS.big, { secret, code: otplibCode(secret, clock.seconds) });
      expect(expectEnvelope(refused, 429, MESSAGES.rateLimited).data).toEqual({ retry_after: 300 });
      expect(refused.headers['retry-after']).toBe('300');
      const other = freshSecret();
      const ok = await verify(app.url, KEYS.big, { secret: other, code: otplibCode(other, clock.seconds) });
      expect(expectEnvelope(ok, 200).data).toEqual({ valid: true, delta: 0, replayed: false });
      clock.advance(299_000);
      expect((await verify(app.url, KEYS.big, { secret, code: wrong })).status).toBe(429);
      clock.advance(1_000);
      const again = await verify(app.url, KEYS.big, { secret, code: otplibCode(secret, clock.seconds) });
      expect(expectEnvelope(again, 200).data).toEqual({ valid: true, delta: 0, replayed: false });
    });

    it('answers 400 for malformed codes and out-of-range windows', async () => {
      for (const code of ['', '12345', '1234567', 'abcdef', '123456789']) {
        expectEnvelope(
          await verify(app.url, KEYS.big, { secret: SECRET, code }),
          400,
          ERROR_KINDS.INVALID_CODE.message,
        );
      }
      const num = await request(app.url).post(VERIFY).set('X-API-Key', KEYS.big).send({ secret: SECRET, code: 123456 });
      expectEnvelope(num, 400, ERROR_KINDS.INVALID_CODE.message);
      const wide = expectEnvelope(
        await verify(app.url, KEYS.big, { secret: SECRET, code: '123456', window: '11' }),
        400,
      );
      expect(wide.data).toEqual({ parameter: 'window' });
      expectEnvelope(
        await request(app.url).get(`${VERIFY}?secret=${SECRET}&code=123456`).set('X-API-Key', KEYS.big),
        405,
      );
    });

    it('counts against the quota like generate', async () => {
      expectEnvelope(
        await request(app.url).post(GENERATE).set('X-API-Key', KEYS.tiny).type('form').send({ secret: SECRET }),
        200,
      );
      expectEnvelope(await verify(app.url, KEYS.tiny, { secret: SECRET, code: '000000' }), 200);
      const refused = expectEnvelope(await verify(app.url, KEYS.tiny, { secret: SECRET, code: '000000' }), 429);
      expect(refused.data).toEqual({ retry_after: 45 });
    });
  });

  describe('extension: GET /usage', () => {
    const { app } = serveContract(harness);

    it('shows plan, limit, remaining and reset — the RateLimit header numbers — and consumes nothing', async () => {
      await request(app.url).post(GENERATE).set('X-API-Key', KEYS.pro).type('form').send({ secret: SECRET });
      for (let i = 0; i < 3; i++) {
        const res = await request(app.url).get(USAGE).set('X-API-Key', KEYS.pro);
        const body = expectEnvelope(res, 200);
        expect(body.data).toEqual({
          plan: 'pro',
          limits: {
            minute: { limit: 30, remaining: 29, reset: 45 },
            hour: { limit: 1000, remaining: 999, reset: 3585 },
            day: { limit: 10000, remaining: 9999, reset: 43185 },
            month: { limit: null, remaining: null, reset: null },
          },
        });
        expect(res.headers.ratelimit).toBe('"minute";r=29;t=45, "hour";r=999;t=3585, "day";r=9999;t=43185');
      }
      const free = expectEnvelope(await request(app.url).get(`${USAGE}?api_key=${KEYS.free}`), 200);
      expect(free.data?.limits).toMatchObject({ day: { limit: null, remaining: null, reset: null } });
      expectEnvelope(await request(app.url).get(USAGE), 401);
    });
  });

  describe('extension: otpauth URIs and explicit options', () => {
    const { app, clock } = serveContract(harness);
    const uri = `otpauth://totp/Acme:alice?secret=${SECRET}&algorithm=SHA512&digits=7&period=60`;

    it('applies the URI; an equal explicit parameter is fine, a contradicting one is a 400 naming it', async () => {
      const post = (fields: Record<string, string>) =>
        request(app.url).post(GENERATE).set('X-API-Key', KEYS.big).type('form').send(fields);
      const expected = otplibCode(SECRET, clock.seconds, { digits: 7, period: 60, algorithm: 'sha512' });
      expect(expectEnvelope(await post({ secret: uri }), 200).data).toMatchObject({ code: expected });
      expect(expectEnvelope(await post({ secret: uri, digits: '7', algorithm: 'sha512' }), 200).data).toMatchObject({
        code: expected,
      });
      expect(expectEnvelope(await post({ secret: uri, period: '30' }), 400).data).toEqual({ parameter: 'period' });
      expect(expectEnvelope(await post({ secret: SECRET, digits: '9' }), 400).data).toEqual({ parameter: 'digits' });
    });
  });

  describe('extension: GET /openapi.json', () => {
    const { app, clock } = serveContract(harness);

    it('is a valid OpenAPI 3.1 document, served without a key, outside the envelope', async () => {
      const res = await request(app.url).get(OPENAPI);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(JSON_UTF8);
      expect(res.headers.ratelimit).toBeUndefined();
      const doc = JSON.parse(res.text) as OpenApiDoc;
      expect(doc.openapi).toBe('3.1.0');
      const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
      expect(result.errors ?? []).toEqual([]);
      expect(result.valid).toBe(true);
    });

    it('has the route table’s paths (under the prefix), methods and status codes', async () => {
      const doc = JSON.parse((await request(app.url).get(OPENAPI)).text) as OpenApiDoc;
      expect(Object.keys(doc.paths).sort()).toEqual(ROUTES.map((r) => `${PREFIX}${r.path}`).sort());
      for (const route of ROUTES) {
        const item = doc.paths[`${PREFIX}${route.path}`] ?? {};
        expect(Object.keys(item).sort()).toEqual(route.methods.map((m) => m.toLowerCase()).sort());
        for (const method of route.methods) {
          // `4XX`: the HTTP server's own refusals, stated where an operation has no 4xx of its own.
          const statuses = Object.keys(item[method.toLowerCase()]?.responses ?? {})
            .filter((status) => status !== '4XX')
            .map(Number);
          expect(statuses, `${method} ${route.path}`).toEqual(
            expectedStatuses(route.errors, route.auth, route.quota, method),
          );
        }
      }
      expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['ApiKeyHeader', 'ApiKeyQuery']);
    });

    it('answers a letter-case variant of the prefix (where the framework matches one) with the canonical document', async () => {
      const canonical = (await request(app.url).get(OPENAPI)).text;
      let variants = 0;
      // 17 spellings: one document for all, stating the prefix as configured (not one per spelling).
      for (const spelling of ['/API/2FA', '/Api/2fa', '/api/2FA', '/aPi/2Fa', ...Array(13).fill('/API/2fa')]) {
        const res = await request(app.url).get(`${spelling}/openapi.json`);
        if (res.status === 404) continue; // Fastify matches paths case-sensitively: not under the prefix
        variants++;
        expect(res.status).toBe(200);
        expect(res.text).toBe(canonical);
      }
      expect(variants).toBe(harness.caseSensitivePaths ? 0 : 17);
    });

    it('follows the prefix and leaves out the query-key scheme when the query key is off', async () => {
      await withContract(harness, clock, { prefix: '/v2/otp', allowQueryKey: false }, async (url) => {
        const doc = JSON.parse((await request(url).get('/v2/otp/openapi.json')).text) as OpenApiDoc;
        expect(Object.keys(doc.paths).sort()).toEqual(ROUTES.map((r) => `/v2/otp${r.path}`).sort());
        expect(Object.keys(doc.components.securitySchemes)).toEqual(['ApiKeyHeader']);
        expect(doc.paths['/v2/otp/generate']?.post?.security).toEqual([{ ApiKeyHeader: [] }]);
      });
    });
  });

  describe('extension: cachedKeys in front of a slow store', () => {
    it('100 concurrent requests for one uncached key call the host store exactly once', async () => {
      let hostCalls = 0;
      let arrived = 0;
      let open!: () => void;
      const opened = new Promise<void>((r) => {
        open = r;
      });
      const identity: Identity = { id: 'slow-1', plan: 'big' };
      const cached = cachedKeys(async (key) => {
        hostCalls++;
        await opened;
        return key === 'slow-key' ? identity : null;
      });
      const clock = new TestClock();
      const extra = {
        resolveKey: (key) => {
          if (++arrived === 100) open();
          return cached(key);
        },
      } satisfies Partial<TwoFaOptions>;
      await withContract(harness, clock, extra, async (url) => {
        const answers = await Promise.all(
          Array.from({ length: 100 }, () =>
            request(url).post(GENERATE).set('X-API-Key', 'slow-key').type('form').send({ secret: SECRET }),
          ),
        );
        expect(answers.map((a) => a.status)).toEqual(Array(100).fill(200));
        expect(hostCalls).toBe(1);
      });
    });

    it('hashedKeys: the host store sees only SHA-256 digests', async () => {
      const seen: string[] = [];
      const clock = new TestClock();
      const byDigest = new Map([[hashKey('issued-key-1'), { id: 'h-1', plan: 'big' }]]);
      const extra = {
        resolveKey: hashedKeys((digest) => {
          seen.push(digest);
          return byDigest.get(digest) ?? null;
        }),
      } satisfies Partial<TwoFaOptions>;
      await withContract(harness, clock, extra, async (url) => {
        expectEnvelope(await request(url).get(USAGE).set('X-API-Key', 'issued-key-1'), 200);
        expectEnvelope(await request(url).get(USAGE).set('X-API-Key', 'issued-key-2'), 401);
      });
      expect(seen).toEqual([hashKey('issued-key-1'), hashKey('issued-key-2')]);
    });
  });

  describe('extension: failed-auth guard', () => {
    it('limits repeated 401s from one address, before the key store is asked', async () => {
      const clock = new TestClock();
      let lookups = 0;
      const base = contractOptions(clock);
      const extra = {
        authFailureLimit: { max: 3, windowSeconds: 60 },
        resolveKey: (key) => {
          lookups++;
          return base.resolveKey(key);
        },
      } satisfies Partial<TwoFaOptions>;
      await withContract(harness, clock, extra, async (url) => {
        for (let i = 0; i < 3; i++) expectEnvelope(await request(url).get(USAGE).set('X-API-Key', `guess-${i}`), 401);
        const blocked = await request(url).get(USAGE).set('X-API-Key', KEYS.pro);
        expect(expectEnvelope(blocked, 429, ERROR_KINDS.TOO_MANY_AUTH_FAILURES.message).data).toEqual({
          retry_after: 45,
        });
        expect(blocked.headers['retry-after']).toBe('45');
        expect(lookups).toBe(3);
        clock.advance(45_000);
        expectEnvelope(await request(url).get(USAGE).set('X-API-Key', KEYS.pro), 200);
      });
    });
  });

  describe('extension: events', () => {
    it('reports outcomes with identity id, route, status and timing, never secret, code or key', async () => {
      const clock = new TestClock();
      const events: TwoFaEvent[] = [];
      await withContract(harness, clock, { onEvent: (e) => events.push(e) }, async (url) => {
        const code = otplibCode(SECRET, clock.seconds);
        await request(url).post(GENERATE).set('X-API-Key', KEYS.pro).type('form').send({ secret: SECRET });
        await verify(url, KEYS.pro, { secret: SECRET, code });
        await request(url).post(GENERATE).set('X-API-Key', 'not-a-key').type('form').send({ secret: SECRET });
        await request(url).post(GENERATE).set('X-API-Key', KEYS.pro).type('form').send({ secret: '!!' });
        expect(events.map((e) => [e.type, e.route, e.status, e.identityId])).toEqual([
          ['generated', 'generate', 200, 'pro-1'],
          ['verified', 'verify', 200, 'pro-1'],
          ['unauthorized', 'generate', 401, null],
          ['rejected', 'generate', 400, 'pro-1'],
        ]);
        for (const e of events) {
          const text = JSON.stringify(e);
          for (const secretThing of [SECRET, code, KEYS.pro, 'not-a-key']) expect(text).not.toContain(secretThing);
          expect(e.durationMs).toBeGreaterThanOrEqual(0);
        }
      });
    });
  });
}

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown } | undefined>>;
  components: { securitySchemes: Record<string, unknown> };
}

/** The statuses the route table implies, computed here independently of the generator. */
function expectedStatuses(errors: readonly ErrorKind[], auth: boolean, quota: string, method: string): number[] {
  const bodyOnly = new Set<ErrorKind>(['MALFORMED_BODY', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE']);
  const statuses = new Set<number>([200, 500]);
  for (const kind of errors) if (method !== 'GET' || !bodyOnly.has(kind)) statuses.add(ERROR_KINDS[kind].status);
  if (auth) for (const s of [401, 429, 503]) statuses.add(s);
  if (quota === 'consume') statuses.add(429);
  // Prepaid credits are on by default and generate and verify cost 1: they may answer 402.
  if (auth && quota === 'consume') statuses.add(402);
  return [...statuses].sort((a, b) => a - b);
}
