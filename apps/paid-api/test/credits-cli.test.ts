/**
 * `keys credits add` as a user runs it, against the server on a real PostgreSQL and Redis: the
 * credits land in the limiter store the servers share, once per top-up id, and the key pays from
 * them; without Redis the command says why it cannot.
 */

import { type RedisServer, redisTestsEnabled, startRedis } from '@twofa-kit/testing/redis-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, usage } from './support/http.js';
import { type PostgresServer, postgresTestsEnabled, startPostgres } from './support/postgres.js';
import { buildExample, keys, type RunningServer, startServer } from './support/process.js';

describe.skipIf(!postgresTestsEnabled('apps/paid-api credits CLI') || !redisTestsEnabled('apps/paid-api credits CLI'))(
  'keys credits add',
  () => {
    let pgServer: PostgresServer;
    let redis: RedisServer;
    let server: RunningServer;
    let env: Record<string, string>;

    beforeAll(async () => {
      buildExample();
      pgServer = await startPostgres();
      redis = await startRedis();
      env = { DATABASE_URL: pgServer.url, REDIS_URL: redis.url };
      server = await startServer(env);
    }, 300_000);
    afterAll(async () => {
      await server?.stop();
      await redis?.stop();
      await pgServer?.stop();
    });

    it('adds credits once per id and prints the balance', { timeout: 120_000 }, async () => {
      const customer = (
        await keys(['customer', 'create', '--email', 'pay@example.com', '--plan', 'pro'], env)
      ).stdout.trim();
      const key = (await keys(['key', 'create', '--customer', customer], env)).stdout.trim();
      const add = ['credits', 'add', '--customer', customer, '--amount', '100', '--id', 'invoice-42'];
      expect(await keys(add, env)).toMatchObject({ code: 0, stdout: '100\n' });
      expect(await keys(add, env)).toMatchObject({ code: 0, stdout: '100\n' });
      expect((await generate(server.url, key)).status).toBe(200);
      expect((await usage(server.url, key)).body.data?.credits).toEqual({ balance: 99 });
      const more = await keys(['credits', 'add', '--customer', customer, '--amount', '5'], env);
      expect(more).toMatchObject({ code: 0, stdout: '104\n' });

      const noRedis = await keys(['credits', 'add', '--customer', customer, '--amount', '5'], {
        DATABASE_URL: pgServer.url,
      });
      expect(noRedis.code).toBe(1);
      expect(noRedis.stderr).toContain('set REDIS_URL');
      expect((await keys(['credits', 'add', '--customer', customer, '--amount', '0'], env)).code).toBe(2);
    });
  },
);
