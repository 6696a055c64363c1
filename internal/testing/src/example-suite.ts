/**
 * What every example server must do when started as a user starts it (the contract, "Example servers"):
 * the same suite runs against the built Fastify, Koa and Express examples.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { decodeSecret, totpAt } from '@twofa-kit/core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  ensureBuilt,
  type Framework,
  type Reply,
  type RunningExample,
  runUntilExit,
  startExample,
} from './example-process.js';
import { redisTestsEnabled, startRedis } from './redis-servers.js';

const SECRET = 'JBSWY3DPEHPK3PXP';

/** POSTs the API documentation's form body with a key, as every example of the API documentation does. */
export function generate(url: string, key: string): Promise<Reply> {
  return call(`${url}/api/2fa/generate`, {
    method: 'POST',
    headers: { 'X-API-Key': key, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `secret=${SECRET}`,
  });
}

/** The code the API documentation's secret gives at `timestamp`, by otplib (the reference engine). */
function expectedCode(timestamp: number): string {
  const key = decodeSecret(SECRET) as Uint8Array;
  return totpAt({ key, digits: 6, period: 30, algorithm: 'SHA1' }, timestamp, 'otplib');
}

function expectGenerated(res: Reply) {
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(res.body).toMatchObject({ code: 200, message: 'Code generated successfully' });
  const data = res.body.data as { code: string; timestamp: number; remaining_time: number; valid_until: number };
  expect(data.code).toBe(expectedCode(data.timestamp));
  expect(data.remaining_time).toBe(30 - (data.timestamp % 30));
  expect(data.valid_until).toBe(data.timestamp + data.remaining_time);
}

/**
 * The samples of a Prometheus text exposition, keyed by name and labels with the labels sorted
 * (`name{a="1",b="2"}`), so tests do not depend on the order prom-client writes them in.
 */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    const series = line.slice(0, space);
    const brace = series.indexOf('{');
    const name = brace < 0 ? series : series.slice(0, brace);
    const labels = brace < 0 ? [] : (series.slice(brace + 1, -1).match(/[a-z_]+="(?:[^"\\]|\\.)*"/g) ?? []);
    out.set(labels.length === 0 ? name : `${name}{${labels.sort().join(',')}}`, Number(line.slice(space + 1)));
  }
  return out;
}

/** Seconds in the UTC calendar month holding `ms`. */
function monthSeconds(ms: number): number {
  const d = new Date(ms);
  return (
    (Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)) / 1000
  );
}

/** The metrics' own address, as the server printed it at start-up. */
function metricsUrlOf(server: RunningExample): string {
  const url = /Prometheus metrics on (http:\/\/\S+)/.exec(server.stdout())?.[1];
  if (url === undefined) throw new Error(`no metrics address printed:\n${server.stdout()}`);
  return url;
}

function count(text: string, part: string): number {
  return text.split(part).length - 1;
}

export function exampleSuite(fw: Framework): void {
  describe(`examples/${fw} (built, started as a child process)`, () => {
    const running: RunningExample[] = [];
    const start = async (env: Record<string, string> = {}) => {
      const server = await startExample(fw, env);
      running.push(server);
      return server;
    };

    beforeAll(() => ensureBuilt(fw), 300_000);
    afterEach(async () => {
      await Promise.all(running.splice(0).map((s) => s.stop()));
    });

    it('without TWOFA_API_KEYS prints one demo key per plan, once, and a demo key generates', async () => {
      const server = await start();
      expect(server.stdout().split('\n')[0]).toMatch(
        new RegExp(`^twofa-kit ${fw} example listening on http://127\\.0\\.0\\.1:\\d+$`),
      );
      const keys = [...server.stdout().matchAll(/^ {2}(\w+) +(demo_\S+)$/gm)].map((m) => ({ plan: m[1], key: m[2] }));
      expect(keys.map((k) => k.plan)).toEqual(['free', 'pro', 'ultra']);

      for (const { plan, key } of keys) {
        const res = await generate(server.url, key as string);
        expectGenerated(res);
        const minute = { free: 5, pro: 30, ultra: 100 }[plan as string];
        expect(res.headers.get('ratelimit-policy')).toMatch(new RegExp(`^"minute";q=${minute};w=60`));
      }
      expect((await generate(server.url, 'not-a-key')).body).toEqual({
        code: 401,
        message: 'Invalid or missing API key',
        data: null,
      });
      // The host app's own route is untouched.
      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      // Printed once: requests do not print them again.
      for (const { key } of keys) expect(count(server.stdout() + server.stderr(), key as string)).toBe(1);
    });

    it('serves the API reference page at /api/2fa/docs, with its renderer from the same server', async () => {
      const server = await start();
      expect(server.stdout()).toContain(`API reference: ${server.url}/api/2fa/docs`);
      const page = await fetch(`${server.url}/api/2fa/docs`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      const html = await page.text();
      const script = html.match(/<script src="([^"]*\/docs\/api-reference\.js[^"]*)"/)?.[1];
      expect(script).toBeDefined();
      const bundle = await fetch(new URL(script as string, `${server.url}/api/2fa/docs`));
      expect(bundle.status).toBe(200);
      expect(bundle.headers.get('content-type')).toMatch(/^text\/javascript/);
      expect((await bundle.text()).length).toBeGreaterThan(100_000); // the renderer itself, not an error page
    });

    it('with TWOFA_API_KEYS uses those keys and never prints them, not even on 401 or 429', async () => {
      const keys = { free: 'given-free-key-5b1f0e', pro: 'given-pro-key-77ac2d' };
      const server = await start({ TWOFA_API_KEYS: `${keys.free}:free,${keys.pro}:pro` });
      expect(server.stdout()).not.toMatch(/demo/i);

      expectGenerated(await generate(server.url, keys.pro));
      for (let i = 0; i < 5; i++) expectGenerated(await generate(server.url, keys.free));
      const refused = await generate(server.url, keys.free);
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ code: 429, message: 'Rate limit exceeded' });
      expect((await generate(server.url, `${keys.pro}x`)).status).toBe(401);

      expect(await server.stop()).toBe(0);
      const output = server.stdout() + server.stderr();
      expect(output).toContain('listening on');
      expect(output).not.toContain('given-');
    });

    it('TRUST_PROXY=1 counts failed keys by the address the proxy appended, not one the client wrote', async () => {
      const server = await start({ TRUST_PROXY: '1', TWOFA_API_KEYS: 'trusted-key-9e1d:ultra' });
      const usage = (xff: string, key: string) =>
        call(`${server.url}/api/2fa/usage`, { headers: { 'X-API-Key': key, 'X-Forwarded-For': xff } });
      // The test plays the proxy: `<what the client wrote>, <the address the proxy saw>`. The
      // guard allows 20 failures a minute per address, whatever the client writes before it.
      for (let i = 0; i < 20; i++) expect((await usage(`10.1.${i}.1, 203.0.113.50`, `guess-${i}`)).status).toBe(401);
      expect((await usage('10.9.9.9, 203.0.113.50', 'trusted-key-9e1d')).status).toBe(429);
      // The victim whose address the guesser could have written is not locked out.
      expect((await usage('10.1.0.1', 'trusted-key-9e1d')).status).toBe(200);
    });

    it('TWOFA_PLANS adds a plan and replaces a default one', async () => {
      const server = await start({
        TWOFA_API_KEYS: 'kb:bench,kf:free',
        TWOFA_PLANS: '{"bench":{"minute":1000000000,"hour":null,"day":null},"free":{"minute":2,"hour":null}}',
      });
      for (let i = 0; i < 8; i++) {
        const res = await generate(server.url, 'kb');
        expectGenerated(res);
        expect(res.headers.get('ratelimit-policy')).toBe('"minute";q=1000000000;w=60');
      }
      expectGenerated(await generate(server.url, 'kf'));
      const second = await generate(server.url, 'kf');
      expect(second.headers.get('ratelimit-policy')).toBe('"minute";q=2;w=60');
      const third = await generate(server.url, 'kf');
      expect(third.status).toBe(429);
      const retryAfter = (third.body.data as { retry_after: number }).retry_after;
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(third.headers.get('retry-after')).toBe(String(retryAfter));
    });

    it('TWOFA_CREDITS gives a key a starting balance: it pays 1 per request, then 402', async () => {
      const server = await start({ TWOFA_API_KEYS: 'kc:pro,kp:pro', TWOFA_CREDITS: '{"kc":2}' });
      expectGenerated(await generate(server.url, 'kc'));
      expectGenerated(await generate(server.url, 'kc'));
      const refused = await generate(server.url, 'kc');
      expect(refused.status).toBe(402);
      expect(refused.body).toEqual({ code: 402, message: 'Insufficient credits', data: { balance: 0, cost: 1 } });
      for (let i = 0; i < 3; i++) expectGenerated(await generate(server.url, 'kp')); // no balance: not limited by credits
      expect(server.stdout() + server.stderr()).not.toMatch(/\bkc\b/);
    });

    it.each([
      [{ TWOFA_API_KEYS: 'topsecret-1:free', TWOFA_CREDITS: '{"topsecret-2":5}' }, /TWOFA_CREDITS entry 1 names a key/],
      [{ TWOFA_PLANS: '{"bench":' }, /TWOFA_PLANS is not valid JSON/],
      [{ TWOFA_PLANS: '{"bench":{"minute":0}}' }, /plans\.bench\.minute must be an integer ≥ 1 or null/],
      [{ TWOFA_API_KEYS: 'topsecret-1:gold' }, /entry 1 names an unknown plan/],
      [{ TWOFA_API_KEYS: 'free:topsecret-1' }, /entry 1 names an unknown plan/],
      [{ TRUST_PROXY: 'yes' }, /TRUST_PROXY must be/],
      [{ TWOFA_API_KEYS: 'topsecret-1' }, /key:plan/],
      [{ PORT: 'eighty' }, /PORT must be an integer/],
    ])('refuses to start on a bad environment %j', async (env, message) => {
      const result = await runUntilExit(fw, env);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(1); // a message, not a stack trace
      expect(result.stdout + result.stderr).not.toContain('topsecret');
    });

    it.runIf(redisTestsEnabled(`examples/${fw} REDIS_URL`))(
      'with REDIS_URL, two instances share one set of limits',
      async () => {
        const redis = await startRedis();
        try {
          const env = {
            TWOFA_API_KEYS: 'shared-key:free',
            TWOFA_ID_SECRET: 'shared-id-secret-0123456789',
            REDIS_URL: redis.url,
          };
          // Without TWOFA_ID_SECRET the instances would not agree on ids: refused at start-up.
          const refused = await runUntilExit(fw, { TWOFA_API_KEYS: 'shared-key:free', REDIS_URL: redis.url });
          expect(refused.code).toBe(1);
          expect(refused.stderr).toMatch(/TWOFA_ID_SECRET must be set with Redis and TWOFA_API_KEYS/);
          expect(refused.stderr).not.toContain('shared-key');
          const [a, b] = await Promise.all([start(env), start(env)]);
          for (const server of [a, b, a, b, a]) expectGenerated(await generate(server.url, 'shared-key'));
          for (const server of [a, b]) {
            const refused = await generate(server.url, 'shared-key');
            expect(refused.status).toBe(429);
            expect(refused.headers.get('ratelimit')).toMatch(/^"minute";r=0;t=\d+, "hour";r=95;t=\d+$/);
          }
          expect(a.stderr() + b.stderr()).toBe('');
        } finally {
          await Promise.all(running.splice(0).map((s) => s.stop()));
          await redis.stop();
        }
      },
    );

    it('with REDIS_URL unreachable, starts anyway, warns once and limits in memory', async () => {
      const dead = await startRedis();
      await dead.stop(); // a port where nothing listens
      const server = await start({
        TWOFA_API_KEYS: 'k:free',
        TWOFA_ID_SECRET: 'dead-redis-id-secret-0123',
        REDIS_URL: dead.url,
      });
      for (let i = 0; i < 5; i++) expectGenerated(await generate(server.url, 'k'));
      expect((await generate(server.url, 'k')).status).toBe(429);
      expect(server.stderr().match(/Redis unavailable/g)).toHaveLength(1);
      expect(await server.stop()).toBe(0);
    });

    // Next.js answers a path it cannot decode with its own 500 before any route handler runs.
    it.skipIf(fw === 'nextjs')(
      'answers an undecodable URL under the prefix in the envelope, and leaves other paths to the host',
      async () => {
        const server = await start({ TWOFA_API_KEYS: 'k:free' });
        const under = await fetch(`${server.url}/api/2fa/%E0%A4%A`);
        expect(under.status).toBe(404);
        expect(under.headers.get('content-type')).toBe('application/json; charset=utf-8');
        expect(await under.json()).toEqual({ code: 404, message: 'Not found', data: null });
        const outside = await fetch(`${server.url}/%E0%A4%A`);
        expect(outside.status).toBeGreaterThanOrEqual(400);
        expect(await outside.text()).not.toContain('"message":"Not found"');
        expect(await server.stop()).toBe(0);
      },
    );

    it('with TWOFA_METRICS=1 serves Prometheus metrics at /metrics on their own address: requests, limiter, guard — never a key, secret or code', async () => {
      const keys = {
        free: 'metrics-free-key-c0ffee',
        metered: 'metrics-metered-key-beef',
        pro: 'metrics-pro-key-f00d',
      };
      const server = await start({
        TWOFA_API_KEYS: `${keys.free}:free,${keys.metered}:metered,${keys.pro}:pro`,
        TWOFA_PLANS: '{"metered":{"minute":100,"month":2}}',
        TWOFA_METRICS: '1',
        TWOFA_METRICS_ADDR: '127.0.0.1:0',
      });
      const codes: string[] = [];
      const ok = async (key: string) => {
        const res = await generate(server.url, key);
        expectGenerated(res);
        codes.push((res.body.data as { code: string }).code);
      };
      for (let i = 0; i < 5; i++) await ok(keys.free);
      expect((await generate(server.url, keys.free)).status).toBe(429); // the minute
      const before = monthSeconds(Date.now());
      await ok(keys.metered);
      // The month's item: w is this UTC month's length (either side of a month's end, should the
      // request straddle one).
      const policy = `"minute";q=100;w=60, "month";q=2;w=`;
      const metered = (await call(`${server.url}/api/2fa/usage`, { headers: { 'X-API-Key': keys.metered } })).headers;
      expect([`${policy}${before}`, `${policy}${monthSeconds(Date.now())}`]).toContain(metered.get('ratelimit-policy'));
      const invalid = await call(`${server.url}/api/2fa/generate`, {
        method: 'POST',
        headers: { 'X-API-Key': keys.metered, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'secret=not*base32',
      });
      expect(invalid.status).toBe(400); // counted: the month (2) is now full
      expect((await generate(server.url, keys.metered)).status).toBe(429);
      const code = codes[0] as string;
      const verify = await call(`${server.url}/api/2fa/verify`, {
        method: 'POST',
        headers: { 'X-API-Key': keys.pro, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `secret=${SECRET}&code=${code}&window=10`,
      });
      expect(verify.body.data).toMatchObject({ valid: true });
      expect((await call(`${server.url}/api/2fa/usage`, { headers: { 'X-API-Key': keys.pro } })).status).toBe(200);
      // 20 unknown keys from one address, then the failed-auth guard refuses the 21st.
      for (let i = 0; i < 20; i++) expect((await generate(server.url, `unknown-key-${i}`)).status).toBe(401);
      expect((await generate(server.url, keys.pro)).status).toBe(429);

      // Not on the API's port: on their own (loopback) address.
      expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
      const metricsUrl = metricsUrlOf(server);
      expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(metricsUrl).not.toBe(`${server.url}/metrics`);
      expect((await fetch(metricsUrl.replace('/metrics', '/other'))).status).toBe(404);
      const res = await fetch(metricsUrl);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      const m = parseMetrics(text);
      expect(m.get('twofa_requests_total{plan="free",route="generate",status="200"}')).toBe(5);
      expect(m.get('twofa_requests_total{plan="free",route="generate",status="429"}')).toBe(1);
      expect(m.get('twofa_requests_total{plan="metered",route="generate",status="200"}')).toBe(1);
      expect(m.get('twofa_requests_total{plan="metered",route="generate",status="400"}')).toBe(1);
      expect(m.get('twofa_requests_total{plan="metered",route="generate",status="429"}')).toBe(1);
      expect(m.get('twofa_requests_total{plan="pro",route="verify",status="200"}')).toBe(1);
      expect(m.get('twofa_requests_total{plan="pro",route="usage",status="200"}')).toBe(1);
      expect(m.get('twofa_requests_total{plan="metered",route="usage",status="200"}')).toBe(1);
      expect(m.get('twofa_requests_total{plan="none",route="generate",status="401"}')).toBe(20);
      expect(m.get('twofa_requests_total{plan="none",route="generate",status="429"}')).toBe(1);
      expect(m.get('twofa_failures_total{kind="INVALID_SECRET",route="generate"}')).toBe(1);
      expect(m.get('twofa_failures_total{kind="RATE_LIMITED",route="generate"}')).toBe(2);
      expect(m.get('twofa_auth_guard_refusals_total{route="generate"}')).toBe(1);
      expect(m.get('twofa_limiter_decisions_total{decision="admitted",plan="free",window="none"}')).toBe(5);
      expect(m.get('twofa_limiter_decisions_total{decision="refused",plan="free",window="minute"}')).toBe(1);
      expect(m.get('twofa_limiter_decisions_total{decision="admitted",plan="metered",window="none"}')).toBe(2);
      expect(m.get('twofa_limiter_decisions_total{decision="refused",plan="metered",window="month"}')).toBe(1);
      expect(m.get('twofa_limiter_decisions_total{decision="peeked",plan="pro",window="none"}')).toBe(1);
      expect(m.get('twofa_limiter_decisions_total{decision="peeked",plan="metered",window="none"}')).toBe(1);
      expect(m.get('twofa_verifications_total{result="valid"}')).toBe(1);
      // Who is near their quota: the metered identity has used all of its month, the free one its minute.
      const ratios = [...m].filter(([k]) => k.startsWith('twofa_identity_quota_used_ratio{'));
      expect(ratios.filter(([k, v]) => /plan="metered",window="month"/.test(k) && v === 1)).toHaveLength(1);
      expect(ratios.filter(([k, v]) => /plan="free",window="minute"/.test(k) && v === 1)).toHaveLength(1);
      expect(m.get('twofa_quota_used_ratio_bucket{le="0.5",plan="metered",window="month"}')).toBe(1);
      expect(m.get('twofa_quota_used_ratio_count{plan="metered",window="month"}')).toBe(2);
      // Latency: one observation per request, by route and status.
      expect(m.get('twofa_request_duration_seconds_count{route="generate",status="200"}')).toBe(6);
      expect(m.get('twofa_request_duration_seconds_bucket{le="+Inf",route="generate",status="401"}')).toBe(20);
      expect(m.has('process_cpu_user_seconds_total')).toBe(true);
      // No key, no secret and no code anywhere in the text.
      for (const key of [...Object.values(keys), 'unknown-key-']) expect(text).not.toContain(key);
      // Identity ids are keyed hashes: the unsalted SHA-256 of a key (testable offline) is not there.
      for (const key of Object.values(keys)) {
        expect(text).not.toContain(createHash('sha256').update(key).digest('hex').slice(0, 16));
      }
      expect(ratios.every(([k]) => /identity="key_[0-9a-f]{16}"/.test(k))).toBe(true);
      expect(text).not.toContain(SECRET);
      expect(text.toLowerCase()).not.toContain(SECRET.toLowerCase());
      for (const c of codes) expect(text).not.toMatch(new RegExp(`(?<![0-9.])${c}(?![0-9.])`));
      // The host's own routes and the prefix are untouched.
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
    });

    it('without TWOFA_METRICS there is no /metrics; TWOFA_METRICS=yes refuses to start', async () => {
      const server = await start({ TWOFA_API_KEYS: 'k:free' });
      expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
      const result = await runUntilExit(fw, { TWOFA_METRICS: 'yes' });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/TWOFA_METRICS must be 1 \(on\) or 0 \(off\)/);
      const badAddress = await runUntilExit(fw, { TWOFA_METRICS: '1', TWOFA_METRICS_ADDR: '9464' });
      expect(badAddress.code).toBe(1);
      expect(badAddress.stderr).toMatch(/TWOFA_METRICS_ADDR must be host:port/);
    });

    it.runIf(redisTestsEnabled(`examples/${fw} metrics with REDIS_URL`))(
      'with REDIS_URL and TWOFA_METRICS=1, shows whether Redis is connected and the outage policy at work',
      async () => {
        const redis = await startRedis();
        try {
          const server = await start({
            TWOFA_API_KEYS: 'k:free',
            TWOFA_ID_SECRET: 'example-id-secret-0123456789',
            REDIS_URL: redis.url,
            TWOFA_METRICS: '1',
            TWOFA_METRICS_ADDR: '127.0.0.1:0',
          });
          const metricsUrl = metricsUrlOf(server);
          expectGenerated(await generate(server.url, 'k'));
          let m = parseMetrics(await (await fetch(metricsUrl)).text());
          expect(m.get('twofa_redis_connected')).toBe(1);
          expect([...m.keys()].some((k) => k.startsWith('twofa_store_failures_total{'))).toBe(false);
          await redis.stop();
          // Redis is gone: the store answers from its local fallback, and says so.
          for (let i = 0; i < 50 && m.get('twofa_redis_connected') !== 0; i++) {
            await new Promise((resolve) => setTimeout(resolve, 20));
            m = parseMetrics(await (await fetch(metricsUrl)).text());
          }
          expect(m.get('twofa_redis_connected')).toBe(0);
          expectGenerated(await generate(server.url, 'k'));
          m = parseMetrics(await (await fetch(metricsUrl)).text());
          const failures = [...m].filter(([k]) => k.startsWith('twofa_store_failures_total{'));
          expect(failures.length).toBeGreaterThan(0);
          for (const [k] of failures)
            expect(k).toMatch(/operation="consume",policy="fallback",reason="(not_ready|error)"/);
          expect(failures.reduce((sum, [, v]) => sum + v, 0)).toBe(1);
          expect(m.get('twofa_requests_total{plan="free",route="generate",status="200"}')).toBe(2);
        } finally {
          await Promise.all(running.splice(0).map((s) => s.stop()));
          await redis.stop();
        }
      },
    );

    it('stops cleanly on SIGINT', async () => {
      const server = await startExample(fw, { TWOFA_API_KEYS: 'k:free' });
      server.child.kill('SIGINT');
      const [code] = await once(server.child, 'exit');
      expect(code).toBe(0);
    });
  });
}
