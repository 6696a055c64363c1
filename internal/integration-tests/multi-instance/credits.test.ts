/**
 * Prepaid credits and threshold events for a fleet: several processes on one Redis (a single
 * server, a Sentinel-managed primary or a Cluster) charge one balance and report each threshold
 * once. The races run the RedisStore in 4 processes of their own (`credit-worker.mjs`); the events
 * go through 2 app processes over HTTP (`instance.mjs`, the example apps).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { RedisStore, type WindowSpec } from '@twofa-kit/core';
import { redisClient } from '@twofa-kit/example-support';
import { ensureBuilt } from '@twofa-kit/testing/example-process';
import type { ioredis } from '@twofa-kit/testing/frameworks';
import { connect, connectCluster } from '@twofa-kit/testing/redis-clients';
import {
  cliCommand,
  type RedisCluster,
  type RedisSentinelGroup,
  type RedisServer,
  redisTestsEnabled,
  startRedis,
  startRedisCluster,
  startRedisSentinel,
} from '@twofa-kit/testing/redis-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const enabled = redisTestsEnabled('credit races');
const WORKER = fileURLToPath(new URL('./credit-worker.mjs', import.meta.url));
const INSTANCE = fileURLToPath(new URL('./instance.mjs', import.meta.url));
const PROCESSES = 4;
const REQUESTS = 10_000;
const BALANCE = 1_000;
const PAY = { credits: { cost: 1, required: false, lowBalance: 0 } };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Summary {
  balances: number[];
  short: number;
  full: number;
  failed: number;
}

/** A child's stdout lines, as they come. */
function lines(child: ChildProcess): { next(match: RegExp): Promise<string>; all(): string[] } {
  let buffered = '';
  const seen: string[] = [];
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    buffered += d;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    seen.push(...parts);
  });
  return {
    all: () => seen,
    async next(match) {
      for (;;) {
        const found = seen.find((l) => match.test(l));
        if (found !== undefined) return found;
        if (child.exitCode !== null) throw new Error(`process exited before printing ${match}`);
        await Promise.race([once(child.stdout as NodeJS.ReadableStream, 'data'), once(child, 'exit')]);
      }
    },
  };
}

/** 4 processes, REQUESTS / 4 concurrent consumes each, started at once. */
async function race(env: Record<string, string>, id: string, windows: WindowSpec[]): Promise<Summary[]> {
  const children = Array.from({ length: PROCESSES }, () =>
    spawn(process.execPath, [WORKER], {
      env: {
        PATH: process.env.PATH,
        ...env,
        ID: id,
        N: String(REQUESTS / PROCESSES),
        WINDOWS: JSON.stringify(windows),
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  try {
    const outs = children.map(lines);
    await Promise.all(outs.map((o) => o.next(/^ready$/)));
    for (const c of children) c.stdin?.write('go\n');
    return await Promise.all(outs.map(async (o) => JSON.parse(await o.next(/^\{/)) as Summary));
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  }
}

/** Waits until the minute has at least 15 s left (by Redis's clock), so no race straddles :00. */
async function awayFromMinuteEnd(store: RedisStore): Promise<void> {
  const probe = await store.peek(`probe-${randomBytes(4).toString('hex')}`, [
    { name: 'minute', seconds: 60, limit: 1 },
  ]);
  const left = probe.windows[0]?.resetMs ?? 60_000;
  if (left < 15_000) await new Promise((r) => setTimeout(r, left + 100));
}

function creditRaces(
  title: string,
  deploy: () => Promise<{
    env: Record<string, string>;
    client: ioredis.Redis | ioredis.Cluster;
    stop(): Promise<void>;
    /** A Sentinel group: a graceful failover is also tried. */
    group?: RedisSentinelGroup;
  }>,
) {
  describe.skipIf(!enabled)(`credit races from ${PROCESSES} processes on ${title}`, () => {
    let deployment: Awaited<ReturnType<typeof deploy>> | undefined;
    let store: RedisStore;
    beforeAll(async () => {
      await ensureBuilt('fastify'); // the workers load the built core
      deployment = await deploy();
      store = new RedisStore({ client: deployment.client, onRedisError: 'closed' });
    }, 300_000);
    afterAll(async () => {
      deployment?.client.disconnect();
      await deployment?.stop();
    });

    it(`${REQUESTS} requests against a balance of ${BALANCE}: exactly ${BALANCE} admitted, each balance handed out once`, async () => {
      const id = `race-${randomBytes(6).toString('hex')}`;
      await store.topUp(id, BALANCE, 'start');
      const started = performance.now();
      const out = await race(deployment?.env ?? {}, id, [{ name: 'hour', seconds: 3_600, limit: 1_000_000 }]);
      const balances = out.flatMap((o) => o.balances).sort((a, b) => a - b);
      // Never below zero: the admitted calls saw every balance from 999 down to 0, once each.
      expect(balances).toEqual(Array.from({ length: BALANCE }, (_, i) => i));
      expect(out.reduce((n, o) => n + o.short, 0)).toBe(REQUESTS - BALANCE);
      expect(out.reduce((n, o) => n + o.full + o.failed, 0)).toBe(0);
      expect(await store.balance(id)).toBe(0);
      console.log(
        `${title}: ${REQUESTS} calls from ${PROCESSES} processes in ${Math.round(performance.now() - started)} ms`,
      );
    });

    it(`the same with a minute window of 600 that runs out first: credits charged only for the admitted`, async () => {
      const id = `race-minute-${randomBytes(6).toString('hex')}`;
      await store.topUp(id, BALANCE, 'start');
      await awayFromMinuteEnd(store);
      const out = await race(deployment?.env ?? {}, id, [{ name: 'minute', seconds: 60, limit: 600 }]);
      const balances = out.flatMap((o) => o.balances).sort((a, b) => a - b);
      expect(balances).toEqual(Array.from({ length: 600 }, (_, i) => BALANCE - 600 + i));
      expect(out.reduce((n, o) => n + o.full, 0)).toBe(REQUESTS - 600);
      expect(out.reduce((n, o) => n + o.short + o.failed, 0)).toBe(0);
      expect(await store.balance(id)).toBe(BALANCE - 600);
    });

    it('a Sentinel failover (SENTINEL FAILOVER) keeps balances and applied top-up ids', async (context) => {
      const group = deployment?.group;
      if (group === undefined) return context.skip();
      const id = `failover-${randomBytes(6).toString('hex')}`;
      await store.topUp(id, 10, 'pay-1');
      const hour = [{ name: 'hour', seconds: 3_600, limit: 1_000 }];
      for (let i = 0; i < 3; i++) await store.consume(id, hour, PAY);
      const before = await group.primary();
      await group.waitHealthy();
      await cliCommand((group.sentinels[0] as RedisServer).port, ['SENTINEL', 'FAILOVER', group.name]);
      const deadline = Date.now() + 20_000;
      while ((await group.primary()).port === before.port && Date.now() < deadline) await sleep(100);
      expect((await group.primary()).port).not.toBe(before.port);
      // The client finds the new primary; until then calls reject (closed), so ask again.
      let balance: number | null | undefined;
      while (balance === undefined && Date.now() < deadline) {
        balance = await store.balance(id).catch(() => undefined);
        if (balance === undefined) await sleep(100);
      }
      expect(balance).toBe(7);
      expect(await store.topUp(id, 10, 'pay-1')).toEqual({ balance: 7, applied: false });
      expect((await store.consume(id, hour, PAY)).credits).toEqual({ balance: 6, cost: 1, sufficient: true });
    }, 40_000);
  });
}

creditRaces('one redis-server', async () => {
  const redis: RedisServer = await startRedis();
  return { env: { REDIS_URL: redis.url }, client: await connect(redis), stop: () => redis.stop() };
});

creditRaces('a primary with a replica under 3 Sentinels', async () => {
  const group: RedisSentinelGroup = await startRedisSentinel();
  const sentinels = group.sentinelNodes.map((n) => `${n.host}:${n.port}`).join(',');
  const client = redisClient({ kind: 'sentinel', sentinels: group.sentinelNodes, name: group.name });
  client.on('error', () => {});
  await client.connect();
  return {
    env: { REDIS_SENTINELS: sentinels, REDIS_SENTINEL_NAME: group.name },
    client,
    stop: () => group.stop(),
    group,
  };
});

creditRaces('a 3-master Redis Cluster', async () => {
  const cluster: RedisCluster = await startRedisCluster();
  return {
    env: { REDIS_CLUSTER_NODES: cluster.startupNodes.map((n) => `${n.host}:${n.port}`).join(',') },
    client: await connectCluster(cluster),
    stop: () => cluster.stop(),
  };
});

// ------------------------------------------------------------------------------------------------
// Threshold events over HTTP: 2 app processes on one Redis.

interface Instance {
  readonly url: string;
  readonly out: ReturnType<typeof lines>;
  stop(): Promise<void>;
}

async function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, [INSTANCE], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, FW: 'fastify', NOTICES: '1', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const out = lines(child);
  const url = /(http:\/\/\S+)/.exec(await out.next(/instance listening on/))?.[1] as string;
  return {
    url,
    out,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}

async function generate(base: string, key: string): Promise<number> {
  const res = await fetch(`${base}/api/2fa/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-api-key': key },
    body: 'secret=JBSWY3DPEHPK3PXP',
  });
  await res.arrayBuffer();
  return res.status;
}

describe.skipIf(!enabled)('threshold events from 2 app processes on one redis-server', () => {
  const key = `th_${randomBytes(12).toString('hex')}`;
  let redis: RedisServer | undefined;
  const instances: Instance[] = [];
  let env: Record<string, string> = {};
  beforeAll(async () => {
    await ensureBuilt('fastify');
    redis = await startRedis();
    env = {
      REDIS_URL: redis.url,
      TWOFA_API_KEYS: `${key}:hourly`,
      TWOFA_PLANS: JSON.stringify({ hourly: { minute: 1_000_000, hour: 500 } }),
      TWOFA_CREDITS: JSON.stringify({ [key]: 900 }),
      LOW_BALANCE: '450',
      // 1,000 requests in flight on a loaded 2-core machine: every answer must come from Redis
      // (a slow one answered by the local fallback would count and report per process).
      REDIS_POLICY: 'closed',
      REDIS_TIMEOUT_MS: '10000',
    };
    // Both start with the same TWOFA_CREDITS: the balance is credited once, not twice.
    for (let i = 0; i < 2; i++) instances.push(await startInstance(env));
  }, 300_000);
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.stop()));
    await redis?.stop();
  });

  it('1,000 concurrent requests straddling 80 % and 100 % of the hour: one event per threshold in all', async () => {
    // Warm: a few /usage calls per process (free: no quota, no credits) before the race.
    for (const i of instances) {
      for (let n = 0; n < 3; n++) await fetch(`${i.url}/api/2fa/usage`, { headers: { 'x-api-key': key } });
    }
    const statuses = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) => generate((instances[i % 2] as Instance).url, key)),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(500);
    expect(statuses.filter((s) => s === 429)).toHaveLength(500);
    const read = () =>
      instances.flatMap((i) =>
        i.out
          .all()
          .filter((l) => l.startsWith('notice '))
          .map((l) => JSON.parse(l.slice('notice '.length)) as Record<string, unknown>),
      );
    // The processes print their notices on a pipe, which may lag behind the answers: wait for
    // them, then a little longer, so a late duplicate would be seen too.
    for (let waited = 0; read().length < 3 && waited < 10_000; waited += 50) await sleep(50);
    await sleep(500);
    const notices = read();
    const nowS = Math.floor(Date.now() / 1000);
    expect(notices.map((n) => `${n.type} ${n.window ?? ''} ${n.percent ?? n.balance}`).sort()).toEqual([
      'credits.low  449',
      'quota.threshold hour 100',
      'quota.threshold hour 80',
    ]);
    for (const n of notices.filter((x) => x.type === 'quota.threshold')) {
      // The hour that holds the race (it may have turned since: then the previous one).
      expect([nowS - (nowS % 3_600), nowS - (nowS % 3_600) - 3_600]).toContain(n.periodStart);
    }
    // 900 credited once (not once per process), 500 charged.
    const usage = await fetch(`${instances[0]?.url}/api/2fa/usage`, { headers: { 'x-api-key': key } });
    expect(((await usage.json()) as { data: { credits: unknown } }).data.credits).toEqual({ balance: 400 });
    // A restart with the same TWOFA_CREDITS credits nothing again.
    await instances[1]?.stop();
    instances[1] = await startInstance(env);
    const again = await fetch(`${instances[1].url}/api/2fa/usage`, { headers: { 'x-api-key': key } });
    expect(((await again.json()) as { data: { credits: unknown } }).data.credits).toEqual({ balance: 400 });
  });
});
