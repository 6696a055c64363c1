/**
 * What only the Redis store has: key naming, expiry, script reloading, one slot per call, and
 * instances with skewed clocks agreeing through Redis `TIME` — on a single server and a Cluster.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  connect,
  connectCluster,
  redisTestsEnabled,
  sleep,
  startRedis,
  startRedisCluster,
} from '@twofa-kit/testing/redis-clients';
import { generate, type Host, host } from '@twofa-kit/testing/store-host';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore, type RedisStoreFailure, staticKeys, TwoFaConfigError, type WindowSpec } from '../../src/index.js';
import { CONSUME_LUA, PEEK_LUA } from '../../src/limits/stores/redis-script.js';

const enabled = redisTestsEnabled('RedisStore behaviour');
const W: WindowSpec[] = [
  { name: 'minute', seconds: 60, limit: 5 },
  { name: 'hour', seconds: 3_600, limit: 100 },
  { name: 'day', seconds: 86_400, limit: 1_000 },
];

interface Backend {
  /** A new client: each one stands for a separate app instance. */
  client(): Promise<Redis | Cluster>;
  /** Every key name on every master. */
  keys(pattern: string): Promise<string[]>;
  /** A client for key commands (the Cluster client routes them). */
  admin: Redis | Cluster;
  /** SCRIPT FLUSH on every master. */
  flushScripts(): Promise<void>;
  /** SCRIPT EXISTS on every master. */
  scriptsExist(shas: string[]): Promise<number[][]>;
  stop(): Promise<void>;
}

/** `client()` opens one more client with `open`; `disconnect()` closes every client it opened. */
function clientPool<C extends Redis | Cluster>(open: () => Promise<C>): { client(): Promise<C>; disconnect(): void } {
  const clients: C[] = [];
  return {
    async client() {
      const c = await open();
      clients.push(c);
      return c;
    },
    disconnect() {
      for (const c of clients) c.disconnect();
    },
  };
}

/**
 * A backend over `servers`: clients come from `open`, and key and script commands go to every
 * master (`masters` of the admin client: the server itself, or each Cluster primary).
 */
async function backend<S extends { stop(): Promise<void> }, C extends Redis | Cluster>(
  servers: S,
  open: (servers: S) => Promise<C>,
  masters: (admin: C) => Redis[],
): Promise<Backend> {
  const pool = clientPool(() => open(servers));
  const admin = await pool.client();
  const eachMaster = <T>(command: (node: Redis) => Promise<T>) => Promise.all(masters(admin).map(command));
  return {
    client: pool.client,
    keys: async (pattern) => (await eachMaster((n) => n.keys(pattern))).flat(),
    admin,
    async flushScripts() {
      await eachMaster((n) => n.script('FLUSH'));
    },
    scriptsExist: (shas) => eachMaster(async (n) => (await n.script('EXISTS', ...shas)) as number[]),
    async stop() {
      pool.disconnect();
      await servers.stop();
    },
  };
}

const singleBackend = async (): Promise<Backend> => backend(await startRedis(), connect, (admin) => [admin]);
const clusterBackend = async (): Promise<Backend> =>
  backend(await startRedisCluster(), connectCluster, (admin) => admin.nodes('master'));

/** Waits until no window of `windows` ends within `marginMs`, judged by Redis's own clock. */
async function awayFromEdges(store: RedisStore, windows: readonly WindowSpec[], marginMs: number): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const probe = await store.peek(`probe-${randomBytes(4).toString('hex')}`, windows);
    const soonest = Math.min(...probe.windows.map((w) => w.resetMs));
    if (soonest >= marginMs) return;
    await sleep(soonest + 25);
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe.skipIf(!enabled).each([
  ['a single redis-server', singleBackend],
  ['a 3-master Redis Cluster', clusterBackend],
])('RedisStore on %s', (_label, start) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await start();
  });
  afterAll(async () => {
    await backend?.stop();
  });

  it('names one hash per identity <prefix>{sha256(id)}: never the raw id, expiring with the longest window', async () => {
    const client = await backend.client();
    const prefix = `t${randomBytes(3).toString('hex')}:`;
    const store = new RedisStore({ client, keyPrefix: prefix, onRedisError: 'closed' });
    // Hosts may use the API key itself as the identity id.
    const rawKeyAsId = `sk_live_${randomBytes(12).toString('hex')}`;
    await awayFromEdges(store, W, 2_000);
    const r = await store.consume(rawKeyAsId, W);
    expect(r.allowed).toBe(true);

    const keys = await backend.keys(`${prefix}*`);
    expect(keys).toEqual([`${prefix}{${sha256(rawKeyAsId)}}`]);
    expect(store.keyFor(rawKeyAsId)).toBe(keys[0]);
    expect(keys.join()).not.toContain(rawKeyAsId);
    const key = keys[0] as string;
    const node = backend.admin;
    const fields = await node.hgetall(key);
    expect(Object.keys(fields).sort()).toEqual(['c3600', 'c60', 'c86400', 's3600', 's60', 's86400']);
    expect(JSON.stringify(fields)).not.toContain(rawKeyAsId);
    // The hash lives until the longest window (the day) ends, not longer.
    const pttl = await node.pttl(key);
    const day = r.windows[2]?.resetMs ?? 0;
    expect(pttl).toBeGreaterThan(day - 5_000);
    expect(pttl).toBeLessThanOrEqual(day);

    // The default prefix is `twofa:`.
    const plain = new RedisStore({ client, onRedisError: 'closed' });
    const id = `plain-${randomBytes(4).toString('hex')}`;
    await plain.consume(id, W);
    expect(await backend.keys(`twofa:{${sha256(id)}}`)).toHaveLength(1);
  });

  it('peek writes nothing to Redis', async () => {
    const client = await backend.client();
    const prefix = `p${randomBytes(3).toString('hex')}:`;
    const store = new RedisStore({ client, keyPrefix: prefix, onRedisError: 'closed' });
    for (let i = 0; i < 5; i++) expect((await store.peek(`peek-${i}`, W)).allowed).toBe(true);
    expect(await backend.keys(`${prefix}*`)).toEqual([]);
  });

  it('survives SCRIPT FLUSH (the script is re-sent) and keeps counting', async () => {
    const client = await backend.client();
    const store = new RedisStore({ client, onRedisError: 'closed' });
    await awayFromEdges(store, W, 5_000);
    const id = `flush-${randomBytes(4).toString('hex')}`;
    for (let i = 0; i < 3; i++) await store.consume(id, W);
    await backend.flushScripts();
    const r = await store.consume(id, W);
    expect(r.windows[0]?.remaining).toBe(1);
    const p = await store.peek(id, W);
    expect(p.windows[0]?.remaining).toBe(1);
  });

  it('a Redis error (a foreign value under the key) goes to the policy and to onError, without the key', async () => {
    const client = await backend.client();
    const failures: RedisStoreFailure[] = [];
    const closed = new RedisStore({ client, onRedisError: 'closed', onError: (f) => failures.push(f) });
    const fallback = new RedisStore({ client, onRedisError: 'fallback', onError: (f) => failures.push(f) });
    const id = `wrongtype-${randomBytes(4).toString('hex')}`;
    await backend.admin.set(closed.keyFor(id), 'not a hash');
    await expect(closed.consume(id, W)).rejects.toMatchObject({ kind: 'UNAVAILABLE', status: 503 });
    const local = await fallback.consume(id, W);
    expect(local.allowed).toBe(true);
    expect(local.windows[0]?.remaining).toBe(4);
    expect(failures.map((f) => [f.operation, f.reason, f.policy])).toEqual([
      ['consume', 'error', 'closed'],
      ['consume', 'error', 'fallback'],
    ]);
    expect(failures[0]?.message).toMatch(/WRONGTYPE/);
    const text = JSON.stringify(failures);
    expect(text).not.toContain(id);
    expect(text).not.toContain(sha256(id));
  });

  it('ready() loads both scripts into every master', async () => {
    const client = await backend.client();
    const store = new RedisStore({ client, onRedisError: 'closed' });
    const shas = [CONSUME_LUA, PEEK_LUA].map((lua) => createHash('sha1').update(lua).digest('hex'));
    await store.ready();
    await backend.flushScripts();
    expect((await backend.scriptsExist(shas)).flat().every((x) => x === 0)).toBe(true);
    await store.ready();
    const exist = await backend.scriptsExist(shas);
    expect(exist.length).toBeGreaterThan(0);
    expect(exist.flat().every((x) => x === 1)).toBe(true);
  });

  it('two instances whose clocks differ by minutes agree on every window (Redis TIME), over HTTP', async () => {
    const realNow = Date.now;
    const ahead = () => realNow() + 7 * 60_000; // 7 minutes fast
    const behind = () => realNow() - (3 * 60_000 + 17_250); // 3 min 17.25 s slow
    const apiKey = `skew-${randomBytes(8).toString('hex')}`;
    const resolveKey = staticKeys({ [apiKey]: { id: `skew-${randomBytes(4).toString('hex')}`, plan: 'free' } });
    const storeA = new RedisStore({ client: await backend.client(), clock: ahead, onRedisError: 'closed' });
    const storeB = new RedisStore({ client: await backend.client(), clock: behind, onRedisError: 'closed' });
    const hosts: Host[] = [
      await host({ resolveKey, clock: ahead, store: storeA }),
      await host({ resolveKey, clock: behind, store: storeB }),
    ];
    try {
      await awayFromEdges(storeA, W.slice(0, 2), 5_000);
      // Interleaved, one at a time: A, B, A, B, ...
      const statuses: number[] = [];
      const resets: number[][] = [[], []];
      for (let i = 0; i < 12; i++) {
        const which = i % 2;
        const answer = await generate(hosts[which] as Host, apiKey);
        statuses.push(answer.status);
        const t = /"minute";r=\d+;t=(\d+)/.exec(answer.headers.get('ratelimit') ?? '')?.[1];
        resets[which]?.push(Number(t));
        if (answer.status === 429) {
          expect(answer.headers.get('retry-after')).toBe(String(answer.body.data?.retry_after));
        }
      }
      expect(statuses.filter((s) => s === 200)).toHaveLength(5);
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      // Both instances report the same minute reset (to the second they straddle at most).
      const all = resets.flat();
      expect(Math.max(...all) - Math.min(...all)).toBeLessThanOrEqual(1);

      // And racing: 40 concurrent requests split over both instances for a fresh identity.
      const key2 = `skew2-${randomBytes(8).toString('hex')}`;
      const resolve2 = staticKeys({ [key2]: { id: `skew2-${randomBytes(4).toString('hex')}`, plan: 'free' } });
      const racers: Host[] = [
        await host({ resolveKey: resolve2, clock: ahead, store: storeA }),
        await host({ resolveKey: resolve2, clock: behind, store: storeB }),
      ];
      try {
        const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => generate(racers[i % 2] as Host, key2)));
        expect(answers.filter((a) => a.status === 200)).toHaveLength(5);
        expect(answers.filter((a) => a.status === 429)).toHaveLength(35);
      } finally {
        await Promise.all(racers.map((h) => h.close()));
      }
    } finally {
      await Promise.all(hosts.map((h) => h.close()));
    }
  });
});

describe('RedisStore options', () => {
  const fakeClient = { status: 'ready', defineCommand() {} };
  it('refuses a bad configuration at construction', () => {
    expect(() => new RedisStore({} as never)).toThrow(TwoFaConfigError);
    expect(() => new RedisStore({ client: fakeClient, onRedisError: 'maybe' as never })).toThrow(/onRedisError/);
    expect(() => new RedisStore({ client: fakeClient, timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => new RedisStore({ client: fakeClient, cooldownMs: -1 })).toThrow(/cooldownMs/);
    expect(() => new RedisStore({ client: fakeClient, keyPrefix: 'app:{all}:' })).toThrow(/keyPrefix/);
    // A client whose defineCommand defines nothing is not ioredis.
    expect(() => new RedisStore({ client: fakeClient })).toThrow(/defineCommand/);
  });
});
