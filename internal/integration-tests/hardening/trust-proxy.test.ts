/**
 * The failed-auth guard behind a reverse proxy, over real HTTP on every adapter, with the
 * trust-proxy setting the README shows (one hop: the address the proxy appended to
 * X-Forwarded-For). The test client plays the proxy: it sends `X-Forwarded-For: <whatever the
 * client wrote>, <the client's real address>`. A guesser who writes a new forged address per
 * request is still counted, a victim's address written by someone else locks nobody out, and an
 * IPv6 guesser rotating through its prefix runs out of the /56 budget.
 */
import http from 'node:http';
import { ADAPTERS, type RunningServer } from '@twofa-kit/contract';
import { staticKeys } from '@twofa-kit/core';
import { send } from '@twofa-kit/testing/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAX = 3;

for (const harness of ADAPTERS) {
  describe(`failed-auth guard behind one proxy: ${harness.name}`, () => {
    let running: RunningServer;
    let port: number;
    const agent = new http.Agent({ keepAlive: true });
    beforeAll(async () => {
      running = await harness.start(
        { resolveKey: staticKeys({ 'good-key-0001': 'ultra' }), authFailureLimit: { max: MAX } },
        { trustProxyHops: 1 },
      );
      port = Number(new URL(running.url).port);
    });
    afterAll(async () => {
      agent.destroy();
      await running.close();
    });
    const usage = (xff: string, key = `guess-${Math.random()}`) =>
      send(agent, port, {
        method: 'GET',
        target: '/api/2fa/usage',
        headers: { 'x-api-key': key, 'x-forwarded-for': xff },
      });

    it('counts the address the proxy appended, whatever the client wrote before it', async () => {
      for (let i = 0; i < MAX; i++) expect((await usage(`10.0.${i}.1, 203.0.113.9`)).status).toBe(401);
      const refused = await usage('10.9.9.9, 203.0.113.9');
      expect(refused.status).toBe(429);
      expect(JSON.parse(refused.body.toString()).message).toBe('Too many failed authentication attempts');
    });

    it('a victim’s address written by a guesser locks out the guesser, not the victim', async () => {
      for (let i = 0; i < MAX + 2; i++) await usage('198.51.100.77, 192.0.2.66');
      expect((await usage('192.0.2.66')).status).toBe(429);
      expect((await usage('198.51.100.77')).status).toBe(401);
      expect((await usage('198.51.100.77', 'good-key-0001')).status).toBe(200);
    });

    it('an IPv6 guesser rotating through its /56 runs out of the /56 budget', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 4 * MAX + 2; i++) statuses.push((await usage(`fe80::1, 2001:db8:7:${i}::1`)).status);
      expect(statuses.filter((s) => s === 401)).toHaveLength(4 * MAX);
      expect(statuses.slice(4 * MAX)).toEqual([429, 429]);
    });
  });
}
