/**
 * What a failover looks like to one client, on real servers: a node that is a replica when the
 * call arrives and is promoted a moment later (READONLY until then), and a Cluster replica taking
 * over its primary's slots (`CLUSTER FAILOVER`: MOVED, then a node without the script), and a slot
 * migrated to another primary under the calls (ASK while migrating, MOVED after).
 * The store asks again within its budget; no error reaches the caller, and the counts land on the
 * promoted node.
 */
import { createHash } from 'node:crypto';
import {
  connect,
  connectCluster,
  type RedisCluster,
  type RedisServer,
  redisTestsEnabled,
  sleep,
  useRedis,
  useRedisCluster,
} from '@twofa-kit/testing/redis-clients';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisStore, type RedisStoreFailure, type WindowSpec } from '../../src/index.js';
import { CONSUME_LUA } from '../../src/limits/stores/redis-script.js';

const enabled = redisTestsEnabled('RedisStore failover');
const FREE: WindowSpec[] = [{ name: 'minute', seconds: 60, limit: 5 }];
const FIVE_A_DAY: WindowSpec[] = [{ name: 'day', seconds: 86_400, limit: 5 }];

describe.skipIf(!enabled)('RedisStore on a replica that is promoted', () => {
  const replica = useRedis({ replica: true });

  it('READONLY while still a replica, promoted within the budget: answered by Redis, counted there', async () => {
    const { client, admin } = replica;
    const failures: RedisStoreFailure[] = [];
    const store = new RedisStore({ client, timeoutMs: 2_000, onError: (f) => failures.push(f) });
    // The replica refuses the write now (the script does not run) ...
    await expect(client.eval("return redis.call('SET', 'probe', '1')", 0)).rejects.toThrow(/^READONLY/);
    // ... and is promoted while the limiter call is under way (as Sentinel or the Cluster would).
    const call = store.consume('promoted', FREE);
    await sleep(100);
    await admin.replicaof('NO', 'ONE');
    const result = await call;
    expect(failures).toEqual([]);
    expect(result.allowed).toBe(true);
    expect(result.windows[0]?.remaining).toBe(4);
    expect(await admin.hget(store.keyFor('promoted'), 'c60')).toBe('1');
    await store.close();
  });
});

describe.skipIf(!enabled)('RedisStore on a replica that stays a replica', () => {
  const replica = useRedis({ replica: true });

  it('READONLY past the budget: the policy answers once, with the error, and nothing is counted', async () => {
    const { client } = replica;
    const failures: RedisStoreFailure[] = [];
    const store = new RedisStore({ client, timeoutMs: 300, onRedisError: 'open', onError: (f) => failures.push(f) });
    const result = await store.consume('stays', FREE);
    expect(result.allowed).toBe(true);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ operation: 'consume', reason: 'error', policy: 'open' });
    expect(failures[0]?.message).toMatch(/^READONLY/);
    expect(await client.hget(store.keyFor('stays'), 'c60')).toBeNull();
    await store.close();
  });

  it('the budget ending on a retry after READONLY: the reason is the READONLY error, and no cooldown starts', async () => {
    const { client, admin } = replica;
    const failures: RedisStoreFailure[] = [];
    const store = new RedisStore({ client, timeoutMs: 300, onRedisError: 'open', onError: (f) => failures.push(f) });
    await store.ready().catch(() => {}); // a replica refuses the readiness probe's write: scripts are loaded anyway
    failures.length = 0;
    // The first attempts get READONLY at once; then scripts (writes) are held, so the retry under
    // way when the budget ends gets no reply.
    const call = store.consume('paused', FREE);
    await sleep(100);
    await admin.call('CLIENT', 'PAUSE', '1000', 'WRITE');
    try {
      await call;
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatchObject({ operation: 'consume', reason: 'error', policy: 'open' });
      expect(failures[0]?.message).toMatch(/^READONLY/);
    } finally {
      await admin.call('CLIENT', 'UNPAUSE');
    }
    // Redis was answering: the next call goes to it again (no cooldown).
    await store.consume('paused', FREE);
    expect(failures.map((f) => f.reason)).toEqual(['error', 'error']);
    await store.close();
  });
});

describe.skipIf(!enabled)('RedisStore on a Cluster whose primary is replaced by its replica', () => {
  const redis = useRedisCluster({ replicas: 1 });

  it('after CLUSTER FAILOVER the promoted node (empty script cache) answers; the counts moved with it', async () => {
    const { client, cluster } = redis;
    // A day window: a minute's could end between the counts before and after the failover.
    const failures: RedisStoreFailure[] = [];
    const store = new RedisStore({ client, timeoutMs: 1_000, onError: (f) => failures.push(f) });
    await store.ready();
    const id = `cf-${Date.now()}`;
    for (let i = 0; i < 3; i++) expect((await store.consume(id, FIVE_A_DAY)).allowed).toBe(true);
    const old = await cluster.primaryFor(store.keyFor(id));
    expect(await scriptCached(old)).toBe(true);
    const promoted = await promoteReplicaOf(cluster, old);
    // A promoted node need not have the script (a replica restarted or resynced after the load):
    // without it in the cache, the client sends it again there, and no error reaches the store.
    await promoted.script('FLUSH');
    // Asked of the promoted node itself: another node's slot map may still lag a moment.
    const sha = createHash('sha1').update(CONSUME_LUA).digest('hex');
    expect(((await promoted.script('EXISTS', sha)) as number[])[0]).toBe(0);
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await store.consume(id, FIVE_A_DAY));
    expect(results.map((r) => r.allowed)).toEqual([true, true, false, false]);
    expect(failures).toEqual([]);
    expect(await promoted.hget(store.keyFor(id), 'c86400')).toBe('5');
    promoted.disconnect();
    await store.close();
  });
  it('a client with ioredis auto-pipelining: one turn of calls on many slots follows the promoted node', async () => {
    const { cluster } = redis;
    // ioredis follows MOVED for an automatic pipeline only when all its commands got the same
    // error, never the case for keys in different slots: the store keeps its commands out of them.
    const piped = await connectCluster(cluster, { enableAutoPipelining: true });
    const failures: RedisStoreFailure[] = [];
    const store = new RedisStore({ client: piped, timeoutMs: 1_000, onError: (f) => failures.push(f) });
    try {
      await store.ready();
      // A day window: a minute's could end between the counts before and after the failover.
      const LOTS: WindowSpec[] = [{ name: 'day', seconds: 86_400, limit: 100 }];
      const ids = Array.from({ length: 60 }, (_, i) => `ap-${i}-${Date.now()}`);
      const before = await Promise.all(ids.map((id) => store.consume(id, LOTS)));
      expect(before.map((r) => r.windows[0]?.remaining)).toEqual(Array(ids.length).fill(99));
      const promoted = await promoteReplicaOf(cluster, await cluster.primaryFor(store.keyFor(ids[0] as string)));
      const after = await Promise.all(ids.map((id) => store.consume(id, LOTS)));
      promoted.disconnect();
      expect(failures).toEqual([]);
      expect(after.map((r) => r.windows[0]?.remaining)).toEqual(Array(ids.length).fill(98));
    } finally {
      await store.close();
      piped.disconnect();
    }
  });
  it('a slot migrated under the calls: ASK during the migration, MOVED after it, counts intact', async () => {
    const { client, cluster } = redis;
    const failures: RedisStoreFailure[] = [];
    const store = new RedisStore({ client, timeoutMs: 1_000, onError: (f) => failures.push(f) });
    const id = `mig-${Date.now()}`;
    const key = store.keyFor(id);
    for (let i = 0; i < 2; i++) expect((await store.consume(id, FREE)).allowed).toBe(true);
    const sourceNode = await cluster.primaryFor(key);
    const targetNode = await otherPrimary(cluster, sourceNode);
    const source = await connect(sourceNode);
    const target = await connect(targetNode);
    try {
      const slot = Number(await source.call('CLUSTER', 'KEYSLOT', key));
      const sourceId = String(await source.call('CLUSTER', 'MYID'));
      const targetId = String(await target.call('CLUSTER', 'MYID'));
      await target.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', sourceId);
      await source.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', targetId);
      // Migrating, the key still on the source: served there.
      expect((await store.consume(id, FREE)).allowed).toBe(true);
      await source.call('MIGRATE', targetNode.host, targetNode.port, key, 0, 5_000);
      // Migrating, the key already on the target: the source answers ASK, the client follows.
      expect((await store.consume(id, FREE)).allowed).toBe(true);
      expect(await source.call('CLUSTER', 'COUNTKEYSINSLOT', slot)).toBe(0);
      // Ends the migration on the target, the source, then the other primaries (replicas learn it).
      for (const node of [targetNode, sourceNode, ...cluster.nodes]) {
        const c = await connect(node);
        if ((await c.info('replication')).includes('role:master'))
          await c.call('CLUSTER', 'SETSLOT', slot, 'NODE', targetId);
        c.disconnect();
      }
      // Migrated: MOVED from the source, the slot map refreshed; the count continues there.
      const after = [await store.consume(id, FREE), await store.consume(id, FREE)];
      expect(after.map((r) => r.allowed)).toEqual([true, false]);
      expect(failures).toEqual([]);
      expect(await target.hget(key, 'c60')).toBe('5');
    } finally {
      source.disconnect();
      target.disconnect();
      await store.close();
    }
  });
});

/** A running primary other than `node`. */
async function otherPrimary(cluster: RedisCluster, node: RedisServer): Promise<RedisServer> {
  for (const other of cluster.nodes) {
    if (other === node || !other.running) continue;
    const c = await connect(other);
    const info = await c.info('replication');
    c.disconnect();
    if (info.includes('role:master')) return other;
  }
  throw new Error('no other primary');
}

/** Whether the limiter's script is in `node`'s script cache. */
async function scriptCached(node: RedisServer): Promise<boolean> {
  const c = await connect(node);
  try {
    const sha = createHash('sha1').update(CONSUME_LUA).digest('hex');
    return ((await c.script('EXISTS', sha)) as number[])[0] === 1;
  } finally {
    c.disconnect();
  }
}

/** Runs CLUSTER FAILOVER on the replica of `primary` and waits until it serves the slots. */
async function promoteReplicaOf(cluster: RedisCluster, primary: RedisServer): Promise<Redis> {
  for (const node of cluster.nodes) {
    if (node === primary) continue;
    const c = await connect(node);
    const info = await c.info('replication');
    if (info.includes(`master_port:${primary.port}`)) {
      // A manual failover that times out (the primary busy) is simply asked for again.
      for (let attempt = 0; attempt < 3 && !(await c.info('replication')).includes('role:master'); attempt++) {
        await c.call('CLUSTER', 'FAILOVER');
        for (let i = 0; i < 100 && !(await c.info('replication')).includes('role:master'); i++) await sleep(50);
      }
      await cluster.waitHealthy();
      return c;
    }
    c.disconnect();
  }
  throw new Error(`no replica of ${primary.port}`);
}
