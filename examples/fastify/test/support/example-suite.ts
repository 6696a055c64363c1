/**
 * What every example server must do when started as a user starts it (SPEC, "Example servers"):
 * the same suite runs against the built Fastify, Koa and Express examples.
 */
import { once } from 'node:events';
import { decodeSecret, totpAt } from '@twofa-kit/core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { redisTestsEnabled, startRedis } from '../../../../packages/contract/src/redis-servers.js';
import {
  call,
  ensureBuilt,
  type Framework,
  type Reply,
  type RunningExample,
  runUntilExit,
  startExample,
} from './example-process.js';

const SECRET = 'JBSWY3DPEHPK3PXP';

/** POSTs the seed's form body with a key, as every seed example does. */
export function generate(url: string, key: string): Promise<Reply> {
  return call(`${url}/api/2fa/generate`, {
    method: 'POST',
    headers: { 'X-API-Key': key, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `secret=${SECRET}`,
  });
}

/** The code the seed's secret gives at `timestamp`, by otplib (the reference engine). */
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

    beforeAll(() => ensureBuilt(fw), 180_000);
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

    it.each([
      [{ TWOFA_PLANS: '{"bench":' }, /TWOFA_PLANS is not valid JSON/],
      [{ TWOFA_PLANS: '{"bench":{"minute":0}}' }, /plans\.bench\.minute must be a positive integer or null/],
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
          const env = { TWOFA_API_KEYS: 'shared-key:free', REDIS_URL: redis.url };
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
      const server = await start({ TWOFA_API_KEYS: 'k:free', REDIS_URL: dead.url });
      for (let i = 0; i < 5; i++) expectGenerated(await generate(server.url, 'k'));
      expect((await generate(server.url, 'k')).status).toBe(429);
      expect(server.stderr().match(/Redis unavailable/g)).toHaveLength(1);
      expect(await server.stop()).toBe(0);
    });

    it('answers an undecodable URL under the prefix in the envelope, and leaves other paths to the host', async () => {
      const server = await start({ TWOFA_API_KEYS: 'k:free' });
      const under = await fetch(`${server.url}/api/2fa/%E0%A4%A`);
      expect(under.status).toBe(404);
      expect(under.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await under.json()).toEqual({ code: 404, message: 'Not found', data: null });
      const outside = await fetch(`${server.url}/%E0%A4%A`);
      expect(outside.status).toBeGreaterThanOrEqual(400);
      expect(await outside.text()).not.toContain('"message":"Not found"');
      expect(await server.stop()).toBe(0);
    });

    it('stops cleanly on SIGINT', async () => {
      const server = await startExample(fw, { TWOFA_API_KEYS: 'k:free' });
      server.child.kill('SIGINT');
      const [code] = await once(server.child, 'exit');
      expect(code).toBe(0);
    });
  });
}
