/**
 * Outages as a policy: Redis killed during a stream of requests, and Redis too slow to answer.
 * Under each policy every request is answered within the time budget, nothing rejects unhandled,
 * and once Redis is back the limits are enforced in Redis again by themselves.
 *
 * The stores here use ioredis's DEFAULT client options (offline queue on, 20 retries per request),
 * the worst case: the store's own budget must keep requests from waiting on the client.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  connect,
  type RedisServer,
  redisTestsEnabled,
  sleep,
  startRedis,
  useRedisCluster,
} from '@twofa-kit/testing/redis-clients';
import { type Answer, generate, type Host, host } from '@twofa-kit/testing/store-host';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type RedisErrorPolicy,
  RedisStore,
  type RedisStoreFailure,
  staticKeys,
  type TwoFaOptions,
  type WindowSpec,
} from '../../src/index.js';
import { PEEK_LUA } from '../../src/limits/stores/redis-script.js';

const enabled = redisTestsEnabled('RedisStore outage policies');
const BUDGET_MS = 250;
const COOLDOWN_MS = 200;
/**
 * Redis stays down this long. A request stuck on ioredis (offline queue, reconnect retries) would
 * wait at least that long; the budget answers it in `BUDGET_MS`.
 */
const DOWN_MS = 3_000;
/** The bound checked per request: the budget plus slack for a loaded CI machine, below DOWN_MS. */
const ANSWERED_WITHIN_MS = 2_500;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});

const EXPECTED_DOWN: Record<RedisErrorPolicy, number> = { fallback: 200, open: 200, closed: 503 };

interface Setup {
  server: RedisServer;
  client: Redis;
  store: RedisStore;
  failures: RedisStoreFailure[];
  web: Host;
  /** A key on the `bulk` plan (no limit is reached during the stream). */
  bulkKey: string;
  bulkId: string;
  /** A key on the `free` plan (5 per minute). */
  freeKey: string;
  freeId: string;
}

async function setUp(policy: RedisErrorPolicy, cooldownMs = COOLDOWN_MS): Promise<Setup> {
  const server = await startRedis();
  const client = new Redis({ host: server.host, port: server.port }); // ioredis defaults
  client.on('error', () => {});
  await new Promise((resolve) => client.once('ready', resolve));
  const failures: RedisStoreFailure[] = [];
  const store = new RedisStore({
    client,
    onRedisError: policy,
    timeoutMs: BUDGET_MS,
    cooldownMs,
    onError: (f) => failures.push(f),
  });
  const tag = randomBytes(6).toString('hex');
  const bulkKey = `bulk-key-${tag}`;
  const freeKey = `free-key-${tag}`;
  const bulkId = `bulk-${tag}`;
  const freeId = `free-${tag}`;
  const options: TwoFaOptions = {
    resolveKey: staticKeys({ [bulkKey]: { id: bulkId, plan: 'bulk' }, [freeKey]: { id: freeId, plan: 'free' } }),
    plans: { bulk: { minute: 1_000_000, hour: null, day: null } },
    store,
  };
  return { server, client, store, failures, web: await host(options), bulkKey, bulkId, freeKey, freeId };
}

async function tearDown(s: Setup | undefined): Promise<void> {
  if (s === undefined) return;
  await s.web.close();
  s.client.disconnect();
  await s.server.stop();
}

/** Requests from `workers` concurrent loops until `stop()`; every answer is kept. */
function stream(web: Host, apiKey: string, workers = 4) {
  /** `phase`: when the request was sent; `ended`: the phase when its answer arrived. */
  const answers: { phase: string; ended: string; answer: Answer }[] = [];
  let phase = 'up';
  let running = true;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const at = phase;
      const answer = await generate(web, apiKey);
      answers.push({ phase: at, ended: phase, answer });
    }
  });
  return {
    answers,
    setPhase(p: string) {
      phase = p;
    },
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Polls until `check` holds, at most `ms` (the promise "within a few seconds"). */
async function eventually(what: string, check: () => Promise<boolean>, ms = 8_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`not within ${ms} ms: ${what}`);
}

describe.skipIf(!enabled).each(['fallback', 'open', 'closed'] as const)('Redis outage, policy %s', (policy) => {
  let s: Setup | undefined;
  beforeEach(() => {
    unhandled.length = 0;
  });
  afterEach(async () => {
    await tearDown(s);
    s = undefined;
  });

  it('Redis killed mid-stream: every request answered within the budget; restarted: limits back in Redis', async () => {
    s = await setUp(policy);
    const { web, server, store } = s;
    const run = stream(web, s.bulkKey);
    await eventually('some requests served from Redis', async () => run.answers.length >= 20);

    await server.kill();
    run.setPhase('down');
    await sleep(DOWN_MS);

    await server.restart();
    run.setPhase('back');
    // Back on Redis by itself: the stream's counts land in the new (empty) Redis again.
    const verify = await connect(server);
    try {
      await eventually('the stream counted in Redis again', async () => {
        return Number(await verify.hget(store.keyFor(s?.bulkId ?? ''), 'c60')) > 0;
      });
      // The store preloaded its scripts on reconnecting (peek's, which nothing else sends).
      const peekSha = createHash('sha1').update(PEEK_LUA).digest('hex');
      await eventually(
        'scripts preloaded',
        async () => ((await verify.script('EXISTS', peekSha)) as number[])[0] === 1,
      );
      await run.stop();

      const up = run.answers.filter((a) => a.ended === 'up');
      const down = run.answers.filter((a) => a.phase === 'down' && a.ended === 'down');
      expect(up.every((a) => a.answer.status === 200)).toBe(true);
      // Every request answered, none later than the budget allows.
      for (const { answer } of run.answers) expect(answer.ms).toBeLessThan(ANSWERED_WITHIN_MS);
      // While down, the policy answers (requests already in flight at the kill may still be 200).
      const settled = down.slice(8);
      expect(settled.length).toBeGreaterThan(0);
      for (const { answer } of settled) {
        expect(answer.status).toBe(EXPECTED_DOWN[policy]);
        expect(answer.body.code).toBe(EXPECTED_DOWN[policy]);
      }
      if (policy === 'closed') {
        expect(settled[0]?.answer.body).toEqual({ code: 503, message: 'Service temporarily unavailable', data: null });
      }
      if (policy === 'open') {
        // Admitted without counting: the minute is reported untouched.
        expect(settled[0]?.answer.headers.get('ratelimit')).toMatch(/^"minute";r=1000000;t=\d+$/);
      }

      // Limits are enforced by Redis again: 20 racing requests for a fresh free key → exactly 5,
      // and Redis holds the count.
      // (After any cooldown a last timeout around the restart may have started.)
      await sleep(COOLDOWN_MS);
      const race = await Promise.all(Array.from({ length: 20 }, () => generate(web, s?.freeKey ?? '')));
      expect(race.filter((a) => a.status === 200)).toHaveLength(5);
      expect(race.filter((a) => a.status === 429)).toHaveLength(15);
      expect(await verify.hget(store.keyFor(s.freeId), 'c60')).toBe('5');
    } finally {
      verify.disconnect();
      await run.stop();
    }

    // The observer heard about the outage, and never saw a key, an id or a key name.
    expect(s.failures.length).toBeGreaterThan(0);
    expect(new Set(s.failures.map((f) => f.policy))).toEqual(new Set([policy]));
    const text = JSON.stringify(s.failures);
    for (const secret of [s.bulkKey, s.bulkId, createHash('sha256').update(s.bulkId).digest('hex')]) {
      expect(text).not.toContain(secret);
    }
    expect(unhandled).toEqual([]);
  });

  it('a Redis that does not answer (CLIENT PAUSE): the budget, then a cooldown, then Redis again', async () => {
    s = await setUp(policy, 1_000);
    const admin = await connect(s.server);
    try {
      expect((await generate(s.web, s.bulkKey)).status).toBe(200);
      await admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
      const first = await generate(s.web, s.bulkKey);
      expect(first.status).toBe(EXPECTED_DOWN[policy]);
      expect(first.ms).toBeLessThan(ANSWERED_WITHIN_MS);
      expect(first.ms).toBeGreaterThanOrEqual(BUDGET_MS - 5);
      // Within the cooldown Redis is not even asked: no request piles up on a stalled server.
      const next = await generate(s.web, s.bulkKey);
      expect(next.status).toBe(EXPECTED_DOWN[policy]);
      expect(s.failures.map((f) => f.reason).slice(0, 2)).toEqual(['timeout', 'cooldown']);
      expect(s.failures[0]?.operation).toBe('consume');

      await eventually('answers from Redis again after the pause', async () => {
        const before = s?.failures.length ?? 0;
        const a = await generate(s?.web as Host, s?.bulkKey ?? '');
        return a.status === 200 && s?.failures.length === before;
      });
      expect(unhandled).toEqual([]);
    } finally {
      admin.disconnect();
    }
  });
});

describe.skipIf(!enabled)('fallback policy', () => {
  let s: Setup | undefined;
  afterEach(async () => {
    await tearDown(s);
    s = undefined;
  });

  it('while Redis is down, a local limiter holds the plan limits on this instance', async () => {
    s = await setUp('fallback');
    await s.server.kill();
    const answers = await Promise.all(Array.from({ length: 12 }, () => generate(s?.web as Host, s?.freeKey ?? '')));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(5);
    const refused = answers.find((a) => a.status === 429);
    expect(refused?.body.message).toBe('Rate limit exceeded');
    expect(refused?.headers.get('retry-after')).toBe(String(refused?.body.data?.retry_after));
    expect(s.failures.every((f) => f.reason === 'not_ready' || f.reason === 'error')).toBe(true);
  });
});

describe.skipIf(!enabled)('a Cluster master killed and restarted', () => {
  const redis = useRedisCluster();

  it('every call is answered within the budget; once the master is back, the Cluster counts again', async () => {
    const { cluster, client } = redis;
    const failures: RedisStoreFailure[] = [];
    const store = new RedisStore({
      client,
      onRedisError: 'closed',
      timeoutMs: BUDGET_MS,
      onError: (f) => failures.push(f),
    });
    await store.ready();
    const w: WindowSpec[] = [{ name: 'minute', seconds: 60, limit: 1_000_000 }];
    // Identities spread over the three masters.
    const ids = Array.from({ length: 12 }, (_, i) => `cluster-outage-${process.pid}-${i}`);
    const round = () =>
      Promise.all(
        ids.map(async (id) => {
          const started = performance.now();
          const ok = await store.consume(id, w).then(
            () => true,
            (error: unknown) => {
              expect(error).toMatchObject({ kind: 'UNAVAILABLE' });
              return false;
            },
          );
          return { ok, ms: performance.now() - started };
        }),
      );
    expect((await round()).every((r) => r.ok)).toBe(true);

    await cluster.nodes[1]?.kill();
    const during: { ok: boolean; ms: number }[] = [];
    for (const until = Date.now() + DOWN_MS; Date.now() < until; ) {
      during.push(...(await round()));
      await sleep(100);
    }
    expect(during.some((r) => !r.ok)).toBe(true);
    for (const r of during) expect(r.ms).toBeLessThan(ANSWERED_WITHIN_MS);

    await cluster.nodes[1]?.restart();
    await eventually(
      'every identity counted by the Cluster again',
      async () => (await round()).every((r) => r.ok),
      20_000,
    );
    expect(failures.length).toBeGreaterThan(0);
    expect(unhandled).toEqual([]);
  });
});
