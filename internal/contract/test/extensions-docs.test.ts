import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hashKey, type Identity, staticKeys, type TwoFaEvent } from '@twofa-kit/core';
import { describe, expect, it } from 'vitest';
import { FASTIFY, type RunningServer } from '../src/harness.js';
import { otplibCode } from '../src/helpers.js';
import { buildApp as authGuardApp } from './doc-examples/auth-guard-express.js';
import { buildApp as creditsApp } from './doc-examples/credits-express.js';
import { buildApp as eventsApp } from './doc-examples/events-koa.js';
import { buildApp as keyStoresApp } from './doc-examples/key-stores-fastify.js';
import { codeFor } from './doc-examples/otpauth-client.js';
import { quotaLeft } from './doc-examples/usage-client.js';
import { checkCode } from './doc-examples/verify-client.js';

/**
 * docs/reference/extensions.md ("Beyond generate") shows each file of doc-examples/ verbatim (after an `<!-- example: name -->`
 * marker), and every example runs here against a real server.
 */
const README = new URL('../../../docs/reference/extensions.md', import.meta.url);
const START = '<!-- section: extensions -->';
const EXAMPLES = new URL('./doc-examples/', import.meta.url);

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}
function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('docs/reference/extensions.md examples', () => {
  it('shows every example file verbatim', () => {
    const readme = readFileSync(README, 'utf8');
    const doc = readme.slice(readme.indexOf(START), readme.indexOf('<!-- /section -->', readme.indexOf(START)));
    expect(doc.length).toBeGreaterThan(1000);
    const shown = new Map<string, string>();
    for (const m of doc.matchAll(/<!-- example: ([\w.-]+) -->\n```ts\n([\s\S]*?)```/g))
      shown.set(m[1] as string, m[2] as string);
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.ts'));
    expect([...shown.keys()].sort()).toEqual(files.sort());
    for (const f of files) expect(shown.get(f), f).toBe(readFileSync(new URL(f, EXAMPLES), 'utf8'));
  });

  describe('client examples, against a Fastify app', () => {
    const NOW = Date.UTC(2026, 0, 1, 12, 0, 10);
    const SECRET = 'JBSWY3DPEHPK3PXP';
    const keys = staticKeys({ 'pro-key': 'pro' });
    let server: RunningServer;
    const start = async () => {
      server = await FASTIFY.start({ resolveKey: keys, clock: () => NOW });
      return server.url;
    };

    it('verify-client.ts', async () => {
      const url = await start();
      try {
        const previous = otplibCode(SECRET, NOW / 1000 - 30);
        expect(await checkCode(url, 'pro-key', SECRET, previous)).toEqual({ valid: true, delta: -1, replayed: false });
        await expect(checkCode(url, 'pro-key', SECRET, '12')).rejects.toThrow('400 Invalid or missing code');
      } finally {
        await server.close();
      }
    });

    it('usage-client.ts', async () => {
      const url = await start();
      try {
        const usage = await quotaLeft(url, 'pro-key');
        expect(usage.plan).toBe('pro');
        expect(usage.limits.minute).toEqual({ limit: 30, remaining: 30, reset: 50 });
      } finally {
        await server.close();
      }
    });

    it('otpauth-client.ts', async () => {
      const url = await start();
      try {
        const [explicit, fromUri] = await codeFor(url, 'pro-key');
        const expected = otplibCode(SECRET, NOW / 1000, { digits: 8, period: 60, algorithm: 'sha256' });
        expect(explicit).toBe(fromUri);
        expect(explicit).toBe(expected);
      } finally {
        await server.close();
      }
    });
  });

  it('key-stores-fastify.ts: one lookup for many requests, digests only, invalidate on revoke', async () => {
    const alice: Identity = { id: 'alice', plan: 'pro' };
    const digests = new Map([[hashKey('issued-1'), alice]]);
    const asked: string[] = [];
    const { app, resolveKey } = keyStoresApp({
      findByDigest: async (d) => {
        asked.push(d);
        return digests.get(d) ?? null;
      },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    try {
      const usage = () => fetch(`${url}/api/2fa/usage`, { headers: { 'X-API-Key': 'issued-1' } });
      const answers = await Promise.all(Array.from({ length: 20 }, usage));
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
      expect(asked).toEqual([hashKey('issued-1')]);
      digests.clear(); // revoked in the table...
      resolveKey.invalidate('issued-1'); // ...and in the cache
      expect((await usage()).status).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('credits-express.ts: 402 once the credits run out, a retried payment credits once, alerts once', async () => {
    const alerts: TwoFaEvent[] = [];
    const { app, addCredits } = creditsApp({ 'paying-key': 'pro' }, (e) => alerts.push(e));
    const server = http.createServer(app);
    const url = await listen(server);
    try {
      const { id } = staticKeys({ 'paying-key': 'pro' })('paying-key') as Identity;
      expect(addCredits(id, 2, 'pay_1')).toEqual({ balance: 2, applied: true });
      expect(addCredits(id, 2, 'pay_1')).toEqual({ balance: 2, applied: false }); // a retried webhook
      const generate = () =>
        fetch(`${url}/api/2fa/generate`, {
          method: 'POST',
          headers: { 'X-API-Key': 'paying-key', 'Content-Type': 'application/x-www-form-urlencoded' },
          body: 'secret=JBSWY3DPEHPK3PXP',
        });
      expect([(await generate()).status, (await generate()).status]).toEqual([200, 200]);
      const refused = await generate();
      expect(refused.status).toBe(402);
      expect(await refused.json()).toEqual({
        code: 402,
        message: 'Insufficient credits',
        data: { balance: 0, cost: 1 },
      });
      expect(alerts.map((e) => [e.type, e.balance])).toEqual([['credits.low', 1]]);
      addCredits(id, 5, 'pay_2');
      const usage = await fetch(`${url}/api/2fa/usage`, { headers: { 'X-API-Key': 'paying-key' } });
      expect(((await usage.json()) as { data: { credits: unknown } }).data.credits).toEqual({ balance: 5 });
    } finally {
      await close(server);
    }
  });

  it('auth-guard-express.ts: limits 401s per client address (X-Forwarded-For trusted from one proxy)', async () => {
    const server = http.createServer(authGuardApp({ 'good-key': 'pro' }));
    const url = await listen(server);
    try {
      const from = (ip: string, key: string) =>
        fetch(`${url}/api/2fa/usage`, { headers: { 'X-API-Key': key, 'X-Forwarded-For': ip } });
      for (let i = 0; i < 20; i++) expect((await from('203.0.113.5', `guess-${i}`)).status).toBe(401);
      const blocked = await from('203.0.113.5', 'good-key');
      expect(blocked.status).toBe(429);
      expect(((await blocked.json()) as { message: string }).message).toBe('Too many failed authentication attempts');
      expect((await from('198.51.100.8', 'good-key')).status).toBe(200);
    } finally {
      await close(server);
    }
  });

  it('events-koa.ts: counts and log lines without keys or secrets', async () => {
    const lines: string[] = [];
    const { app, counts } = eventsApp({ 'koa-key': 'pro' }, (l) => lines.push(l));
    const server = http.createServer(app.callback());
    const url = await listen(server);
    try {
      const generate = (key: string) =>
        fetch(`${url}/api/2fa/generate`, {
          method: 'POST',
          headers: { 'X-API-Key': key, 'Content-Type': 'application/x-www-form-urlencoded' },
          body: 'secret=JBSWY3DPEHPK3PXP',
        });
      expect((await generate('koa-key')).status).toBe(200);
      expect((await generate('wrong-key')).status).toBe(401);
      expect(Object.fromEntries(counts)).toEqual({ 'generate generated 200': 1, 'generate unauthorized 401': 1 });
      expect(lines).toEqual(['2fa generate 401 UNAUTHORIZED identity=-']);
      expect(lines.join()).not.toMatch(/koa-key|wrong-key|JBSWY3DPEHPK3PXP/);
    } finally {
      await close(server);
    }
  });
});
