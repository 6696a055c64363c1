/**
 * The whole contract against the fetch entry in a Next.js App Router route handler: the app of
 * internal/next-host, built with `next build` (skipped while its build is newer than its sources),
 * served by Next.js's own server in this process; with the limits in memory, then in Redis. Then
 * what the harness itself must get right: the client address the route reads behind the proxy,
 * and servers running side by side each answering with their own kit.
 */
import { staticKeys } from '@twofa-kit/core';
import { buildNextApp } from '@twofa-kit/next-host';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NEXT, type RunningServer, runContract, runContractOnRedis } from '../src/index.js';

// `next build` takes a minute or two on a busy machine: longer than a hook's default timeout.
beforeAll(() => buildNextApp(), 300_000);

runContract(NEXT);
runContractOnRedis(NEXT);

describe('fetch in a Next.js route: the harness', () => {
  const running: RunningServer[] = [];
  const start = async (...args: Parameters<typeof NEXT.start>) => {
    const server = await NEXT.start(...args);
    running.push(server);
    return server.url;
  };
  afterAll(() => Promise.all(running.map((s) => s.close())));

  const guessed = (url: string, forwardedFor: string) =>
    request(url).get('/api/2fa/usage').set('X-API-Key', `guess-${Math.random()}`).set('X-Forwarded-For', forwardedFor);

  it('counts failed keys per socket address, whatever X-Forwarded-For the client wrote, with no proxy trusted', async () => {
    const url = await start({ resolveKey: staticKeys({}), authFailureLimit: { max: 2 } });
    expect((await guessed(url, '10.0.0.1')).status).toBe(401);
    expect((await guessed(url, '10.0.0.2')).status).toBe(401);
    expect((await guessed(url, '10.0.0.3')).status).toBe(429);
  });

  it('counts the address the trusted proxy appended, with one proxy trusted', async () => {
    const url = await start({ resolveKey: staticKeys({}), authFailureLimit: { max: 2 } }, { trustProxyHops: 1 });
    expect((await guessed(url, '10.0.0.1, 203.0.113.9')).status).toBe(401);
    expect((await guessed(url, '10.0.0.2, 203.0.113.9')).status).toBe(401);
    expect((await guessed(url, '10.0.0.3, 203.0.113.9')).status).toBe(429);
    expect((await guessed(url, '198.51.100.7')).status).toBe(401);
  });

  it('answers each server with its own kit, several at once', async () => {
    const [a, b] = await Promise.all([
      start({ resolveKey: staticKeys({ 'key-of-a': 'free' }) }),
      start({ resolveKey: staticKeys({ 'key-of-b': 'free' }) }),
    ]);
    const usage = (url: string, key: string) => request(url).get('/api/2fa/usage').set('X-API-Key', key);
    const statuses = await Promise.all([
      usage(a as string, 'key-of-a'),
      usage(b as string, 'key-of-a'),
      usage(a as string, 'key-of-b'),
      usage(b as string, 'key-of-b'),
    ]);
    expect(statuses.map((r) => r.status)).toEqual([200, 401, 401, 200]);
  });
});
