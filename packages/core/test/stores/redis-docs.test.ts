/**
 * docs/guides/redis.md ("Running several instances") stays true: its code is the files in doc-examples/ verbatim, which run here against
 * real servers; its options table lists every field of RedisStoreOptions in order.
 */
import { readFileSync } from 'node:fs';
import { connect, redisTestsEnabled, sleep, startRedis, startRedisCluster } from '@twofa-kit/testing/redis-clients';
import { afterAll, describe, expect, it } from 'vitest';
import type { LimiterStore, WindowSpec } from '../../src/index.js';
import { clusterLimiter } from './doc-examples/cluster-limiter.js';
import { redisLimiter } from './doc-examples/redis-limiter.js';

const ROOT = new URL('../../../../', import.meta.url);
const readme = readFileSync(new URL('docs/guides/redis.md', ROOT), 'utf8');
const START = '<!-- section: several-instances -->';
const doc = readme.slice(readme.indexOf(START), readme.indexOf('<!-- /section -->', readme.indexOf(START)));
const FREE: WindowSpec[] = [
  { name: 'minute', seconds: 60, limit: 5 },
  { name: 'hour', seconds: 3_600, limit: 100 },
];

describe('docs/guides/redis.md: Running several instances', () => {
  it('quotes each doc example verbatim', () => {
    const snippets = [...doc.matchAll(/<!-- snippet: (\S+) -->\n```ts\n([\s\S]*?)```/g)];
    expect(snippets.map((m) => m[1])).toEqual([
      'packages/core/test/stores/doc-examples/redis-limiter.ts',
      'packages/core/test/stores/doc-examples/cluster-limiter.ts',
    ]);
    for (const [, path, code] of snippets) expect(code).toBe(readFileSync(new URL(path as string, ROOT), 'utf8'));
  });

  it('documents every RedisStoreOptions field, in order, and no other', () => {
    const source = readFileSync(new URL('packages/core/src/limits/stores/redis-options.ts', ROOT), 'utf8');
    const body = /export interface RedisStoreOptions \{([\s\S]*?)\n\}/.exec(source)?.[1] ?? '';
    const fields = [...body.matchAll(/^ {2}(\w+)\??:/gm)].map((m) => `\`${m[1]}\``);
    const section = doc.slice(doc.indexOf('## `RedisStore` options'));
    const rows = [...section.matchAll(/^\| (`\w+`) +\|/gm)].map((m) => m[1]);
    expect(fields.length).toBeGreaterThan(5);
    expect(rows).toEqual(fields);
  });
});

/** Two instances (two clients) racing: 40 concurrent consumes for one identity admit exactly 5. */
async function twoInstancesAdmitFive(a: LimiterStore, b: LimiterStore): Promise<void> {
  const id = `docs-${process.pid}-${Date.now()}`;
  // Away from a minute edge (by Redis's clock, as the store reports it).
  const probe = await a.peek(`${id}-probe`, FREE);
  if ((probe.windows[0]?.resetMs ?? 0) < 3_000) await sleep((probe.windows[0]?.resetMs ?? 0) + 25);
  const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).consume(id, FREE)));
  expect(results.filter((r) => r.allowed)).toHaveLength(5);
}

describe.skipIf(!redisTestsEnabled('README several-instances examples'))(
  'README several-instances examples on real servers',
  () => {
    const cleanup: (() => Promise<unknown>)[] = [];
    afterAll(async () => {
      for (const c of cleanup.reverse()) await c();
    });

    it('redisLimiter: two instances share the limits', async () => {
      const server = await startRedis();
      cleanup.push(() => server.stop());
      const one = await redisLimiter(server.url);
      const two = await redisLimiter(server.url);
      cleanup.push(one.close, two.close);
      await twoInstancesAdmitFive(one.store, two.store);
    });

    it('redisLimiter with Redis down at start-up: answers by policy, then moves to Redis by itself', async () => {
      const server = await startRedis();
      cleanup.push(() => server.stop());
      await server.kill();
      const warn = console.warn;
      console.warn = () => {};
      try {
        const { store, close } = await redisLimiter(server.url);
        cleanup.push(close);
        expect((await store.consume('early', FREE)).allowed).toBe(true); // the local fallback
        await server.restart();
        const client = await connect(server);
        cleanup.push(async () => client.disconnect());
        const deadline = Date.now() + 10_000;
        let inRedis = false;
        while (!inRedis && Date.now() < deadline) {
          await store.consume('later', FREE);
          inRedis = (await client.exists(store.keyFor('later'))) === 1;
          if (!inRedis) await sleep(100);
        }
        expect(inRedis).toBe(true);
      } finally {
        console.warn = warn;
      }
    });

    it('clusterLimiter: two instances share the limits on a 3-master Cluster', async () => {
      const cluster = await startRedisCluster();
      cleanup.push(() => cluster.stop());
      const one = await clusterLimiter([...cluster.startupNodes]);
      const two = await clusterLimiter([...cluster.startupNodes].reverse());
      cleanup.push(one.close, two.close);
      await twoInstancesAdmitFive(one.store, two.store);
    });
  },
);
