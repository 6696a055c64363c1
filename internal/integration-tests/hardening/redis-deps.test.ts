/**
 * A Redis that is down, slow or restarted, behind each adapter, with the fail-closed policy: every
 * request is answered — 503 in the envelope while Redis cannot answer within the store's budget,
 * 200 again once it is back — with no unhandled rejection and the process alive. (The per-policy
 * behaviour of the store itself is covered in packages/core/test/stores/redis-outage.test.ts.)
 */
import http from 'node:http';
import { ADAPTERS, type RunningServer } from '@twofa-kit/contract';
import { RedisStore, staticKeys } from '@twofa-kit/core';
import { ioredis } from '@twofa-kit/testing/frameworks';
import { type RedisServer, rawCommand, redisTestsEnabled, startRedis } from '@twofa-kit/testing/redis-servers';
import { send, type WireResponse } from '@twofa-kit/testing/wire';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const KEY = 'Redis-Deps-Key-01';
const enabled = redisTestsEnabled('hardening: Redis down/slow/restarted');

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

async function eventually(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not within ${ms} ms: ${what}`);
}

function envelopeOf(res: WireResponse): { code: number; message: string } {
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  const body = JSON.parse(res.body.toString('utf8')) as { code: number; message: string };
  expect(body.code).toBe(res.status);
  return body;
}

describe.skipIf(!enabled).each(ADAPTERS.map((a) => [a.name, a] as const))(
  'Redis failing behind %s',
  (_name, harness) => {
    let redis: RedisServer;
    let client: InstanceType<typeof ioredis.Redis>;
    let running: RunningServer;
    let port: number;
    beforeAll(async () => {
      redis = await startRedis();
      client = new ioredis.Redis({
        host: redis.host,
        port: redis.port,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
      });
      client.on('error', () => {}); // connection errors are the point here
      const store = new RedisStore({ client, onRedisError: 'closed', timeoutMs: 200, cooldownMs: 300 });
      running = await harness.start({
        resolveKey: staticKeys({ [KEY]: 'pro' }, { idSecret: 'redis-deps-id-secret-01' }),
        store,
      });
      port = Number(new URL(running.url).port);
    });
    afterAll(async () => {
      await running?.close();
      client?.disconnect();
      await redis?.stop();
    });
    const generate = () =>
      send(new http.Agent({ keepAlive: false }), port, {
        method: 'GET',
        target: '/api/2fa/generate?secret=JBSWY3DPEHPK3PXP',
        headers: { 'x-api-key': KEY },
      });

    it('healthy → 200; down → 503 envelope; restarted → 200 again', async () => {
      await eventually('ready', async () => (await generate()).status === 200);
      await redis.kill();
      for (let i = 0; i < 5; i++) {
        const res = await generate();
        expect(res.status).toBe(503);
        expect(envelopeOf(res).message).toBe('Service temporarily unavailable');
      }
      await redis.restart();
      await eventually('200 after restart', async () => (await generate()).status === 200);
    });

    it('slow (CLIENT PAUSE) → 503, then 200 when it answers again', async () => {
      await eventually('ready', async () => (await generate()).status === 200);
      await rawCommand(redis.port, ['CLIENT', 'PAUSE', '1500', 'ALL']);
      const res = await generate();
      expect(res.status).toBe(503);
      envelopeOf(res);
      await eventually('200 after the pause', async () => (await generate()).status === 200);
    });
  },
);
