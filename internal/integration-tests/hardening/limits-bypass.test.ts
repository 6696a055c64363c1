/**
 * Limits that cannot be bypassed, over real HTTP on every adapter: the same key in the header and
 * the query counts once; case, whitespace and look-alike variants of a key are never a new
 * identity (same quota or 401, never a fresh 200); one key on two routes shares one quota; a
 * repeated key header is no key. The clock is fixed inside one minute.
 */
import http from 'node:http';
import { ADAPTERS, type RunningServer } from '@twofa-kit/contract';
import { staticKeys } from '@twofa-kit/core';
import { send, type WireResponse } from '@twofa-kit/testing/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SECRET = 'JBSWY3DPEHPK3PXP';
const KEY = 'Limit-Key-a1b2c3';
const P = '/api/2fa';
const NOW = Date.UTC(2026, 0, 1, 12, 0, 5);

function remaining(res: WireResponse): number {
  const m = /"minute";r=(\d+)/.exec(String(res.headers.ratelimit));
  return m ? Number(m[1]) : Number.NaN;
}

for (const harness of ADAPTERS) {
  describe(`limits cannot be bypassed: ${harness.name}`, () => {
    let running: RunningServer;
    let port: number;
    const agent = new http.Agent({ keepAlive: true });
    // A fresh identity per test, so quotas do not leak between tests.
    const keys = ['a', 'b', 'c', 'd', 'e'].map((s) => `${KEY}-${s}`);
    beforeAll(async () => {
      running = await harness.start({
        resolveKey: staticKeys(Object.fromEntries(keys.map((k, i) => [k, { id: `id-${i}`, plan: 'four' }]))),
        plans: { four: { minute: 4 } },
        clock: () => NOW,
        authFailureLimit: false,
      });
      port = Number(new URL(running.url).port);
    });
    afterAll(async () => {
      agent.destroy();
      await running.close();
    });
    const gen = (query: string, headers: Record<string, string | string[]> = {}) =>
      send(agent, port, { method: 'GET', target: `${P}/generate?secret=${SECRET}${query}`, headers });

    it('the same key in the header and the query counts once per request', async () => {
      const k = keys[0] as string;
      for (let i = 1; i <= 4; i++) {
        const res = await gen(`&api_key=${k}`, { 'x-api-key': k });
        expect(res.status).toBe(200);
        expect(remaining(res)).toBe(4 - i);
      }
      expect((await gen(`&api_key=${k}`, { 'x-api-key': k })).status).toBe(429);
    });

    it('whitespace variants are the same identity; case and look-alike variants are 401, never a fresh quota', async () => {
      const k = keys[1] as string;
      const same = [
        () => gen('', { 'x-api-key': ` ${k}\t` }),
        () => gen(`&api_key=%20${k}%20`),
        () => gen(`&api_key=${k}`),
        () => gen('', { 'x-api-key': k }),
      ];
      for (const [i, call] of same.entries()) {
        const res = await call();
        expect(res.status).toBe(200);
        expect(remaining(res)).toBe(3 - i);
      }
      const variants = [
        () => gen('', { 'x-api-key': k.toUpperCase() }),
        () => gen('', { 'x-api-key': k.toLowerCase() }),
        () => gen(`&api_key=${encodeURIComponent(k.replace('a', 'а'))}`), // Cyrillic а
        () => gen(`&api_key=${encodeURIComponent(`${k}\u200b`)}`),
        () => gen(`&api_key=${encodeURIComponent(`${k}\u0000`)}`),
        () => gen(`&api_key=${encodeURIComponent(k.replace('L', 'Ｌ'))}`), // fullwidth
        () => gen(`&api_key=${k}&api_key=${k}`), // repeated: no key
        () => gen('', { 'x-api-key': [k, k] }), // repeated header: no key
        () => gen(`&api_key=${k}`, { 'x-api-key': '' }), // an empty header still wins: no key
      ];
      for (const call of variants) expect((await call()).status).toBe(401);
      expect((await gen(`&api_key=${k}`)).status).toBe(429);
    });

    it('one key on generate and verify shares one quota; usage consumes none', async () => {
      const k = keys[2] as string;
      const verify = () =>
        send(agent, port, {
          method: 'POST',
          target: `${P}/verify`,
          headers: { 'x-api-key': k, 'content-type': 'application/x-www-form-urlencoded' },
          body: Buffer.from(`secret=${SECRET}&code=000000`),
        });
      const usage = () => send(agent, port, { method: 'GET', target: `${P}/usage`, headers: { 'x-api-key': k } });
      const statuses: number[] = [];
      for (const call of [
        () => gen('', { 'x-api-key': k }),
        verify,
        usage,
        verify,
        usage,
        () => gen('', { 'x-api-key': k }),
        verify,
      ]) {
        statuses.push((await call()).status);
      }
      // generate, verify, (usage), verify, (usage), generate = 4 admitted; the 5th counted call is refused
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429]);
      expect((await gen('', { 'x-api-key': k })).status).toBe(429);
      const u = await usage();
      expect(u.status).toBe(200);
      expect(remaining(u)).toBe(0);
    });
  });
}
