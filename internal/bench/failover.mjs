/**
 * What a Redis failover costs the limits: `node bench/failover.mjs` (after `pnpm run build`).
 *
 * For each topology — a Cluster of 3 primaries with a replica each, and a primary with a replica
 * under 3 Sentinels — and each event — the primary SIGKILLed, or a planned `CLUSTER FAILOVER` /
 * `SENTINEL FAILOVER` — it starts the servers on free ports (the test launchers of
 * internal/testing/src/redis-servers.ts, loaded by bench/lib/redis.mjs), 4 app instances
 * (bench/lib/failover-instance.mjs: the Fastify example app on the example servers' client) and
 * 200 concurrent request loops on 4 keys of a plan allowing LIMIT requests an hour, all keys on the
 * primary that fails over. Once every key has been counted ~1/4 of its limit the event happens;
 * the load runs on until every key is refused again. It prints one markdown row per run:
 * - beyond plan: requests admitted beyond the hour's limit (max and total over the 4 keys);
 * - exact after: from the event until a race of 40 concurrent requests for a fresh `free` key
 *   (5 a minute) over the 4 instances admits exactly 5 (probed every 250 ms);
 * - 503s, slowest answer.
 * Then the cost of `WAIT 1` (a replica's acknowledgment) on one client: consume latency
 * p50/p99 with and without it, at 1 and 50 concurrent calls.
 * `FAILOVER_RUNS=planned:closed:wait,sigkill:fallback` runs only those rows (`none`: none).
 * "exact again after" is `NaN s` when it did not happen within the run.
 */
import { spawn } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redisServers } from './lib/redis.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LIMIT = 2_000;
const KEYS = 4;
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 200);
const INSTANCES = 4;

const servers = await redisServers();

const sha256 = (s) => createHash('sha256').update(s).digest('hex');
/** The Redis key of a key listed in TWOFA_API_KEYS (staticKeys names such an identity key_<hmac>). */
const ID_SECRET = 'bench-failover-id-secret-01';
const redisKeyOf = (apiKey) =>
  `twofa:{${sha256(`key_${createHmac('sha256', ID_SECRET).update(apiKey).digest('hex').slice(0, 16)}`)}}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function generate(base, apiKey) {
  const started = performance.now();
  try {
    const res = await fetch(`${base}/api/2fa/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-api-key': apiKey },
      body: 'secret=JBSWY3DPEHPK3PXP',
    });
    const body = await res.json();
    if (body.code !== res.status) throw new Error(`not enveloped: ${res.status} ${JSON.stringify(body)}`);
    return { status: res.status, ms: performance.now() - started };
  } catch (error) {
    return { status: 0, ms: performance.now() - started, error: String(error) };
  }
}

async function startInstance(env) {
  const child = spawn(process.execPath, [join(ROOT, 'bench/lib/failover-instance.mjs')], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.setEncoding('utf8').on('data', (d) => {
    text += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d) => {
    text += d;
  });
  const exited = once(child, 'exit');
  for (;;) {
    const url = /instance listening on (http:\/\/\S+)/.exec(text)?.[1];
    if (url) return { url, child, output: () => text };
    if (child.exitCode !== null) throw new Error(`instance exited:\n${text}`);
    await Promise.race([once(child.stdout, 'data'), exited]);
  }
}

/** Keys whose Redis hash lives on the node at `port` now. */
async function keysOn(topology, port, n, prefix) {
  const keys = [];
  while (keys.length < n) {
    const key = `${prefix}_${randomBytes(8).toString('hex')}`;
    if ((await topology.primaryFor(redisKeyOf(key))).port === port) keys.push(key);
  }
  return keys;
}

async function run(topology, event, policy, wait) {
  const tag = randomBytes(3).toString('hex');
  const first = await topology.primaryFor(redisKeyOf(`x_${tag}`));
  const stream = await keysOn(topology, first.port, KEYS, `s_${tag}`);
  const probes = await keysOn(topology, first.port, 80, `p_${tag}`);
  const env = {
    ...topology.env,
    REDIS_POLICY: policy,
    REDIS_WAIT: wait ? '1' : '0',
    TWOFA_ID_SECRET: ID_SECRET,
    TWOFA_API_KEYS: [...stream.map((k) => `${k}:ha`), ...probes.map((k) => `${k}:free`)].join(','),
    TWOFA_PLANS: JSON.stringify({ ha: { minute: null, hour: LIMIT, day: null } }),
  };
  const instances = [];
  for (let i = 0; i < INSTANCES; i++) instances.push(await startInstance(env));
  const bases = instances.map((i) => i.url);
  try {
    for (const base of bases) for (let i = 0; i < 3; i++) await generate(base, probes.at(-1));
    await sleep(1_100);
    const admitted = new Map(stream.map((k) => [k, 0]));
    const statuses = new Map();
    let slowest = 0;
    let requests = 0;
    let running = true;
    const loops = Array.from({ length: CONCURRENCY }, async (_, i) => {
      const base = bases[i % bases.length];
      const key = stream[i % stream.length];
      while (running) {
        const a = await generate(base, key);
        requests++;
        slowest = Math.max(slowest, a.ms);
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        if (a.status === 200) admitted.set(key, admitted.get(key) + 1);
      }
    });
    while (![...admitted.values()].every((n) => n >= LIMIT / 4)) await sleep(5);
    const at = performance.now();
    await event.fire(first);
    let exactAfter = Number.NaN;
    for (const probe of probes.slice(0, -1)) {
      const race = await Promise.all(Array.from({ length: 40 }, (_, i) => generate(bases[i % bases.length], probe)));
      if (
        race.filter((a) => a.status === 200).length === 5 &&
        race.every((a) => a.status === 200 || a.status === 429)
      ) {
        exactAfter = (performance.now() - at) / 1000;
        break;
      }
      await sleep(250);
    }
    const until = Date.now() + 60_000;
    while (Date.now() < until && ![...admitted.values()].every((n) => n >= LIMIT)) await sleep(20);
    await sleep(500);
    running = false;
    await Promise.all(loops);
    const beyond = [...admitted.values()].map((n) => Math.max(0, n - LIMIT));
    const crashed = instances.filter((i) => i.child.exitCode !== null).length;
    return {
      requests,
      beyondMax: Math.max(...beyond),
      beyondTotal: beyond.reduce((a, b) => a + b, 0),
      exactAfter,
      s503: statuses.get(503) ?? 0,
      failed: statuses.get(0) ?? 0,
      slowest,
      crashed,
    };
  } finally {
    for (const i of instances) i.child.kill('SIGTERM');
    await Promise.all(instances.map((i) => (i.child.exitCode === null ? once(i.child, 'exit') : null)));
  }
}

// ------------------------------------------------------------------------------------------------

const cliOut = (port, args) => servers.cliCommand(port, args);

const EVENTS = {
  cluster: {
    sigkill: { name: 'primary SIGKILLed', fire: (primary) => primary.kill() },
    planned: {
      name: '`CLUSTER FAILOVER`',
      async fire(primary, topology) {
        const replica = await topology.replicaOf(primary);
        // A manual failover that times out (the primary busy) is asked for again.
        for (let attempt = 0; attempt < 3; attempt++) {
          await cliOut(replica.port, ['CLUSTER', 'FAILOVER']);
          for (let i = 0; i < 100; i++) {
            if ((await cliOut(replica.port, ['ROLE'])).startsWith('master')) return;
            await sleep(50);
          }
        }
        throw new Error('CLUSTER FAILOVER did not happen');
      },
    },
  },
  sentinel: {
    sigkill: { name: 'primary SIGKILLed', fire: (primary) => primary.kill() },
    planned: {
      name: '`SENTINEL FAILOVER`',
      async fire(primary, topology) {
        await cliOut(topology.group.sentinels[0].port, ['SENTINEL', 'FAILOVER', topology.group.name]);
        for (let i = 0; i < 400; i++) {
          if ((await topology.primaryFor()).port !== primary.port) return;
          await sleep(25);
        }
        throw new Error('SENTINEL FAILOVER did not happen');
      },
    },
  },
};

async function clusterTopology() {
  const cluster = await servers.startRedisCluster({ replicas: 1 });
  return {
    label: 'Cluster 3 × (primary + replica)',
    env: { REDIS_CLUSTER_NODES: cluster.startupNodes.map((n) => `${n.host}:${n.port}`).join(',') },
    primaryFor: (key) => cluster.primaryFor(key),
    async replicaOf(primary) {
      for (const n of cluster.nodes) {
        if (n === primary || !n.running) continue;
        const role = (await cliOut(n.port, ['ROLE'])).split('\n');
        if (role[0] === 'slave' && role[2] === String(primary.port)) return n;
      }
      throw new Error('no replica');
    },
    events: EVENTS.cluster,
    stop: () => cluster.stop(),
  };
}

async function sentinelTopology() {
  const group = await servers.startRedisSentinel();
  return {
    label: 'primary + replica, 3 Sentinels',
    group,
    env: {
      REDIS_SENTINELS: group.sentinelNodes.map((n) => `${n.host}:${n.port}`).join(','),
      REDIS_SENTINEL_NAME: group.name,
    },
    primaryFor: () => group.primary(),
    events: EVENTS.sentinel,
    stop: () => group.stop(),
  };
}

const ALL_RUNS = [
  ['sigkill', 'fallback', false],
  ['sigkill', 'closed', false],
  ['sigkill', 'closed', true],
  ['planned', 'fallback', false],
  ['planned', 'closed', false],
  ['planned', 'closed', true],
];
/** `FAILOVER_RUNS=planned:closed:wait,sigkill:fallback` picks rows (`none`: only the WAIT cost). */
const RUNS = process.env.FAILOVER_RUNS
  ? ALL_RUNS.filter(([e, p, w]) => process.env.FAILOVER_RUNS.split(',').includes(`${e}:${p}${w ? ':wait' : ''}`))
  : ALL_RUNS;

console.log(
  `\n${INSTANCES} instances, ${CONCURRENCY} concurrent request loops on ${KEYS} keys (limit ${LIMIT} an hour each), event once every key has ~${LIMIT / 4}\n`,
);
console.log(
  '| topology | event | policy | WAIT 1 | requests | admitted beyond plan: max per key (total) | exact again after | 503s | slowest answer | crashed |',
);
console.log('|---|---|---|---|---:|---:|---:|---:|---:|---:|');
for (const make of RUNS.length > 0 ? [clusterTopology, sentinelTopology] : []) {
  for (const [event, policy, wait] of RUNS) {
    const topology = await make(); // a fresh, healthy topology for every run
    try {
      const r = await run(topology, { fire: (p) => topology.events[event].fire(p, topology) }, policy, wait);
      console.log(
        `| ${topology.label} | ${topology.events[event].name} | ${policy} | ${wait ? 'yes' : 'no'} | ${r.requests} | ${r.beyondMax} (${r.beyondTotal}) | ${r.exactAfter.toFixed(1)} s | ${r.s503} | ${Math.round(r.slowest)} ms | ${r.crashed} |`,
      );
    } finally {
      await topology.stop();
    }
  }
}

// ------------------------------------------------------------------------------------------------
// The cost of WAIT 1: one client, consume calls for distinct identities, with and without it.

const { RedisStore } = await import(join(ROOT, 'packages/core/dist/index.js'));
const { redisClient } = await import(join(ROOT, 'internal/example-support/dist/index.js'));
const { waitingClient } = await import(join(ROOT, 'bench/lib/wait-client.mjs'));

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function latencies(store, concurrency, total) {
  const windows = [{ name: 'hour', seconds: 3600, limit: 1e9 }];
  const times = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const id = `w${next++}`;
        const t = performance.now();
        const r = await store.consume(id, windows);
        if (!r.allowed) throw new Error('refused');
        times.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), rate: total / seconds };
}

console.log('\nThe cost of `WAIT 1` (one client in this process, consume calls on distinct identities):\n');
console.log(
  '| topology | concurrent calls | without WAIT: p50 / p99 | with WAIT 1: p50 / p99 | calls/s without → with |',
);
console.log('|---|---:|---:|---:|---:|');
for (const make of [clusterTopology, sentinelTopology]) {
  const topology = await make();
  const connection = topology.env.REDIS_CLUSTER_NODES
    ? {
        kind: 'cluster',
        nodes: topology.env.REDIS_CLUSTER_NODES.split(',').map((hp) => ({
          host: '127.0.0.1',
          port: Number(hp.split(':')[1]),
        })),
      }
    : { kind: 'sentinel', sentinels: topology.group.sentinelNodes, name: topology.group.name };
  const client = redisClient(connection);
  client.on('error', () => {});
  await client.connect();
  const failures = [];
  const plain = new RedisStore({ client, timeoutMs: 1000, onError: (f) => failures.push(f) });
  const waiting = new RedisStore({
    client: waitingClient(client, 1000),
    timeoutMs: 1000,
    onError: (f) => failures.push(f),
  });
  await plain.ready();
  try {
    for (const concurrency of [1, 50]) {
      const total = concurrency === 1 ? 2_000 : 20_000;
      await latencies(plain, concurrency, 500); // warm up
      await latencies(waiting, concurrency, 500);
      const a = await latencies(plain, concurrency, total);
      const b = await latencies(waiting, concurrency, total);
      const ms = (x) => `${x.toFixed(2)} ms`;
      console.log(
        `| ${topology.label} | ${concurrency} | ${ms(a.p50)} / ${ms(a.p99)} | ${ms(b.p50)} / ${ms(b.p99)} | ${Math.round(a.rate)} → ${Math.round(b.rate)} |`,
      );
    }
    if (failures.length > 0) console.log(`(${failures.length} calls answered by the policy during the measurement)`);
  } finally {
    client.disconnect();
    await topology.stop();
  }
}
