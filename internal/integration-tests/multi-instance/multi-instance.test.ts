/**
 * Exact limits for a fleet: separate app processes (the real, built example servers, and the
 * example apps on a Redis Cluster) share one Redis; 200 concurrent requests for one free key are
 * admitted exactly 5 times. And an outage across processes with one policy each.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { ensureBuilt, startExample } from '@twofa-kit/testing/example-process';
import { rawCommand, redisTestsEnabled, startRedis, startRedisCluster } from '@twofa-kit/testing/redis-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, generate } from './generate.js';

const enabled = redisTestsEnabled('multi-instance tests');
const FRAMEWORKS = ['fastify', 'koa', 'express'] as const;
type Framework = (typeof FRAMEWORKS)[number];
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Every instance's TWOFA_ID_SECRET (required with Redis and TWOFA_API_KEYS). */
const ID_SECRET = 'multi-instance-id-secret-0123';

/** The Redis key of a key listed in TWOFA_API_KEYS (staticKeys names such an identity key_<hmac>). */
function redisKeyOf(apiKey: string): string {
  const id = `key_${createHmac('sha256', ID_SECRET).update(apiKey).digest('hex').slice(0, 16)}`;
  return `twofa:{${sha256(id)}}`;
}

/** HGET on whichever node holds the key (a Cluster node that does not answers -MOVED). */
async function hget(ports: readonly number[], key: string, field: string): Promise<string | null> {
  for (const port of ports) {
    const reply = await rawCommand(port, ['HGET', key, field]);
    if (reply.startsWith('-MOVED')) continue;
    if (reply.startsWith('$-1')) return null;
    if (reply.startsWith('$')) return reply.split('\r\n')[1] ?? null;
    throw new Error(`unexpected reply ${reply}`);
  }
  return null;
}

/** 200 concurrent requests spread round-robin over the instances. */
async function race(bases: readonly string[], apiKey: string, n = 200): Promise<Answer[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => generate(bases[i % bases.length] as string, apiKey)));
}

/** The `pro` key every instance also knows, used to warm them up. */
const WARM_KEY = `warm_${randomBytes(12).toString('hex')}`;

/**
 * A fleet that has been serving a while: a few requests through each instance (JIT, connections,
 * scripts), then longer than the store's cooldown, so that a slow first call of a cold process
 * (answered by the local fallback) cannot decide the race that follows.
 */
async function warmUp(bases: readonly string[]): Promise<void> {
  for (const base of bases) for (let i = 0; i < 3; i++) await generate(base, WARM_KEY);
  await new Promise((r) => setTimeout(r, 1_100));
}

function expectExactlyFive(answers: Answer[]): void {
  const statuses = answers.map((a) => a.status);
  expect(statuses.filter((s) => s === 200)).toHaveLength(5);
  expect(statuses.filter((s) => s === 429)).toHaveLength(answers.length - 5);
  for (const a of answers.filter((x) => x.status === 429)) {
    expect(a.body.message).toBe('Rate limit exceeded');
    expect(a.retryAfter).toBe(String(a.body.data?.retry_after));
    expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(a.retryAfter)).toBeLessThanOrEqual(60);
  }
}

// ------------------------------------------------------------------------------------------------
// internal/integration-tests/multi-instance/instance.mjs: the example app of a framework, on a Redis or a Cluster.

const INSTANCE = fileURLToPath(new URL('./instance.mjs', import.meta.url));

interface Instance {
  readonly url: string;
  readonly child: ChildProcess;
  readonly alive: boolean;
  /** What the process wrote to stderr (the store's outage reports). */
  stderr(): string;
  stop(): Promise<void>;
}

async function startInstance(fw: Framework, env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, [INSTANCE], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, FW: fw, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = once(child, 'exit');
  for (;;) {
    const url = /instance listening on (http:\/\/\S+)/.exec(out)?.[1];
    if (url !== undefined) {
      return {
        url,
        child,
        get alive() {
          return child.exitCode === null && child.signalCode === null;
        },
        stderr: () => err,
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGKILL');
          await exited;
        },
      };
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`instance ${fw} exited before listening:\n${out}\n${err}`);
    }
    await Promise.race([once(child.stdout, 'data'), exited]);
  }
}

beforeAll(async () => {
  if (!enabled) return;
  for (const fw of FRAMEWORKS) await ensureBuilt(fw);
}, 300_000);

/**
 * For the describe it is called in: before its tests, starts the Redis deployment (`start`), then
 * the processes `launch` lists for it, one after the other; after them, stops the processes, then
 * the deployment.
 */
function sharedDeployment<S extends { stop(): Promise<unknown> }, P extends { stop(): Promise<unknown> }>(
  start: () => Promise<S>,
  launch: (server: S) => (() => Promise<P>)[],
): { readonly server: S; readonly processes: P[] } {
  let server: S | undefined;
  const processes: P[] = [];
  beforeAll(async () => {
    server = await start();
    for (const next of launch(server)) processes.push(await next());
  }, 120_000);
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await server?.stop();
  });
  return {
    get server() {
      if (server === undefined) throw new Error('the deployment did not start');
      return server;
    },
    processes,
  };
}

describe.skipIf(!enabled)('4 example server processes sharing one redis-server', () => {
  const key = `mi_${randomBytes(12).toString('hex')}`;
  const shared = sharedDeployment(startRedis, (redis) => {
    const env = { REDIS_URL: redis.url, TWOFA_API_KEYS: `${key}:free,${WARM_KEY}:pro`, TWOFA_ID_SECRET: ID_SECRET };
    // The real servers, started the way users start them: node dist/server.js.
    return (['fastify', 'koa', 'express', 'fastify'] as const).map((fw) => () => startExample(fw, env));
  });

  it('200 concurrent requests for one free key, over 4 processes: exactly 5 admitted', async () => {
    const { server: redis, processes: apps } = shared;
    await warmUp(apps.map((a) => a.url));
    const answers = await race(
      apps.map((a) => a.url),
      key,
    );
    expectExactlyFive(answers);
    expect(await hget([redis.port], redisKeyOf(key), 'c60')).toBe('5');
    for (const a of apps) expect(a.child.exitCode).toBeNull();
  });
});

describe.skipIf(!enabled)('4 app processes sharing one 3-master Redis Cluster', () => {
  const key = `mic_${randomBytes(12).toString('hex')}`;
  const shared = sharedDeployment(
    () => startRedisCluster(),
    (cluster) => {
      const env = {
        REDIS_CLUSTER_NODES: cluster.startupNodes.map((n) => `${n.host}:${n.port}`).join(','),
        TWOFA_API_KEYS: `${key}:free,${WARM_KEY}:pro`,
        TWOFA_ID_SECRET: ID_SECRET,
      };
      return (['fastify', 'koa', 'express', 'fastify'] as const).map((fw) => () => startInstance(fw, env));
    },
  );

  it('200 concurrent requests for one free key, over 4 processes: exactly 5 admitted', async () => {
    const { server: cluster, processes: instances } = shared;
    await warmUp(instances.map((i) => i.url));
    const reportedBefore = instances.map((i) => i.stderr().length);
    const answers = await race(
      instances.map((i) => i.url),
      key,
    );
    expectExactlyFive(answers);
    const ports = cluster.nodes.map((n) => n.port);
    expect(await hget(ports, redisKeyOf(key), 'c60')).toBe('5');
    for (const [at, i] of instances.entries()) {
      expect(i.alive).toBe(true);
      // No outage report during the race: every answer came from the Cluster.
      expect(i.stderr().slice(reportedBefore[at])).toBe('');
    }
  });
});

describe.skipIf(!enabled)('an outage across 3 app processes, one policy each, sharing one redis-server', () => {
  const POLICIES = [
    { fw: 'fastify', policy: 'fallback', downStatus: 200 },
    { fw: 'koa', policy: 'open', downStatus: 200 },
    { fw: 'express', policy: 'closed', downStatus: 503 },
  ] as const;
  /** Redis stays down this long; a request stuck waiting on the client would take at least that. */
  const DOWN_MS = 3_000;
  /** The store's budget (250 ms) plus slack for a loaded CI machine; well below DOWN_MS. */
  const ANSWERED_WITHIN_MS = 2_500;
  const tag = randomBytes(10).toString('hex');
  const bulk = `bulk_${tag}`;
  const free = `free_${tag}`;
  const probe = `probe_${tag}`;

  const shared = sharedDeployment(startRedis, (redis) => {
    const env = {
      REDIS_URL: redis.url,
      TWOFA_API_KEYS: `${bulk}:bulk,${free}:free,${probe}:bulk`,
      TWOFA_ID_SECRET: ID_SECRET,
      TWOFA_PLANS: JSON.stringify({ bulk: { minute: 1_000_000, hour: null, day: null } }),
    };
    return POLICIES.map(
      ({ fw, policy }) =>
        () =>
          startInstance(fw, { ...env, REDIS_POLICY: policy }),
    );
  });

  it('Redis killed mid-stream: each process answers by its policy within the budget; restarted: exact again', async () => {
    const { server: redis, processes: instances } = shared;
    let phase = 'up';
    let running = true;
    const answers: { at: number; phase: string; ended: string; answer: Answer }[] = [];
    const loops = instances.flatMap((instance, at) =>
      [0, 1].map(async () => {
        while (running) {
          const sent = phase;
          const answer = await generate(instance.url, bulk);
          answers.push({ at, phase: sent, ended: phase, answer });
        }
      }),
    );
    const stopStream = async () => {
      running = false;
      await Promise.all(loops);
    };
    try {
      while (answers.length < 30) await new Promise((r) => setTimeout(r, 20));
      await redis.kill();
      phase = 'down';
      await new Promise((r) => setTimeout(r, DOWN_MS));
      await redis.restart();
      phase = 'back';

      // Back on Redis by itself: a request to each process is counted in Redis again (with a key
      // of its own, which the stream does not use).
      const key = redisKeyOf(probe);
      const deadline = Date.now() + 10_000;
      const onRedis = new Set<number>();
      while (onRedis.size < instances.length && Date.now() < deadline) {
        for (const [at, instance] of instances.entries()) {
          if (onRedis.has(at)) continue;
          try {
            const before = Number(await hget([redis.port], key, 'c60'));
            await generate(instance.url, probe);
            if (Number(await hget([redis.port], key, 'c60')) === before + 1) onRedis.add(at);
          } catch {
            // Redis not answering yet: try again.
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      await stopStream();
      expect([...onRedis].sort()).toEqual([0, 1, 2]);
    } finally {
      await stopStream();
    }

    for (const a of answers) expect(a.answer.ms).toBeLessThan(ANSWERED_WITHIN_MS);
    for (const [at, { downStatus }] of POLICIES.entries()) {
      const down = answers.filter((a) => a.at === at && a.phase === 'down' && a.ended === 'down').slice(8);
      expect(down.length).toBeGreaterThan(10);
      for (const a of down) expect(a.answer.status).toBe(downStatus);
    }

    // Limits are exact across the processes again.
    const race2 = await race(
      instances.map((i) => i.url),
      free,
      60,
    );
    expectExactlyFive(race2);
    for (const i of instances) {
      expect(i.alive).toBe(true);
      // Only the store's outage reports (no crash, no unhandled rejection, no key).
      for (const line of i.stderr().split('\n').filter(Boolean)) expect(line).toMatch(/^redis store: \{/);
      expect(i.stderr()).not.toContain(bulk);
    }
  });
});
