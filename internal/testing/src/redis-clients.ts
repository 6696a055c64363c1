/** Connecting ioredis clients to the real servers of `./redis-servers.ts`. */

import type { StoreHarness } from '@twofa-kit/testing/store-suite';
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { afterAll } from 'vitest';
import { beforeAllValue, readers } from './lifecycle.js';
import { type RedisCluster, type RedisServer, startRedis, startRedisCluster } from './redis-servers.js';

export {
  type RedisCluster,
  type RedisServer,
  redisTestsEnabled,
  startRedis,
  startRedisCluster,
} from './redis-servers.js';

/** The client options the docs recommend: fail fast instead of queueing while disconnected. */
export const FAIL_FAST: RedisOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 1 };

function ready(client: Redis | Cluster): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis client not ready in 10 s')), 10_000);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function connect(server: RedisServer, options: RedisOptions = {}): Promise<Redis> {
  const client = new Redis({ host: server.host, port: server.port, ...FAIL_FAST, ...options });
  client.on('error', () => {}); // connection errors are expected in outage tests
  await ready(client);
  return client;
}

export async function connectCluster(cluster: RedisCluster, options: ClusterOptions = {}): Promise<Cluster> {
  const client = new Cluster([...cluster.startupNodes], {
    enableOfflineQueue: false,
    redisOptions: { maxRetriesPerRequest: 1 },
    ...options,
  });
  client.on('error', () => {});
  await ready(client);
  return client;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Redis keeps its own clock: letting time pass means waiting. The 25 ms margin covers timer
 * granularity between Node's timers and Redis's `TIME` on the same host.
 */
export function realTime(store: StoreHarness['store']): Omit<StoreHarness, 'withClock'> {
  return { store, exactClock: false, pass: (ms) => sleep(Math.max(0, ms) + 25) };
}

/** What `useRedis` gives the enclosing `describe`: read it in its tests and hooks. */
export interface RedisInUse {
  /** The server (with `replica: true`, the replica). */
  readonly server: RedisServer;
  /** A client of the server. */
  readonly client: Redis;
  /** A second client of the server, for the commands a test sends itself. */
  readonly admin: Redis;
  /** Another client of the server, disconnected after the tests. */
  connect(options?: RedisOptions): Promise<Redis>;
}

/**
 * A redis-server for the enclosing `describe`: started before its tests with `client` and `admin`
 * connected, stopped and disconnected after them, also when the start failed halfway.
 * `replica: true` starts a primary too and makes the server its replica (it refuses writes with
 * READONLY until promoted with `REPLICAOF NO ONE`).
 */
export function useRedis(options: { replica?: boolean } = {}): RedisInUse {
  const stop = (s: RedisServer) => s.stop();
  const primary = options.replica ? beforeAllValue('the primary', () => startRedis(), stop, 60_000) : undefined;
  const replicaOf = (p: RedisServer) => ['--replicaof', p.host, String(p.port), '--repl-diskless-sync-delay', '0'];
  const server = beforeAllValue(
    'redis-server',
    () => startRedis(primary === undefined ? {} : { args: replicaOf(primary()) }),
    stop,
    60_000,
  );
  const clients: Redis[] = [];
  afterAll(() => {
    for (const c of clients) c.disconnect();
  });
  const open = async (clientOptions?: RedisOptions): Promise<Redis> => {
    const c = await connect(server(), clientOptions);
    clients.push(c);
    return c;
  };
  const pieces = { server, client: beforeAllValue('redis client', open), admin: beforeAllValue('redis client', open) };
  return Object.assign(readers(pieces), { connect: open });
}

/** What `useRedisCluster` gives the enclosing `describe`: read it in its tests and hooks. */
export interface RedisClusterInUse {
  readonly cluster: RedisCluster;
  /** A Cluster client of it. */
  readonly client: Cluster;
}

/**
 * A Redis Cluster (3 masters, `replicas` replicas of each) for the enclosing `describe`: started
 * before its tests with a `client` (`clientOptions` added), stopped and disconnected after them.
 */
export function useRedisCluster(
  options: { replicas?: number; clientOptions?: ClusterOptions } = {},
): RedisClusterInUse {
  const { replicas, clientOptions } = options;
  const start = () => startRedisCluster(replicas === undefined ? {} : { replicas });
  const cluster = beforeAllValue('redis cluster', start, (c) => c.stop(), 120_000);
  const client = beforeAllValue(
    'redis cluster client',
    () => connectCluster(cluster(), clientOptions),
    (c) => c.disconnect(),
  );
  return readers({ cluster, client });
}
