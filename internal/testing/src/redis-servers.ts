/**
 * Real Redis servers for tests: a single `redis-server`, a local 3-master Cluster (optionally with
 * replicas), or a primary with replicas watched by Sentinels, each on free ports with a temporary
 * directory and no persistence. Every process started here is killed when
 * the test calls `stop()`, when this process exits, and — through a detached watchdog — even when
 * this process is killed outright, so no test leaves a server behind. Never touches 127.0.0.1:6379.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HOST = '127.0.0.1';

/** True when `redis-server` and `redis-cli` are on the PATH. */
export function redisAvailable(): boolean {
  const server = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  const cli = spawnSync('redis-cli', ['--version'], { stdio: 'ignore' });
  return server.status === 0 && cli.status === 0;
}

/**
 * Whether Redis tests should run. Without the binaries: throws under CI (`CI` set), so a CI run
 * never silently skips them; otherwise prints a loud warning and returns false (use with
 * `describe.skipIf(!redisTestsEnabled(...))`).
 */
export function redisTestsEnabled(suite: string): boolean {
  if (redisAvailable()) return true;
  const message = `redis-server / redis-cli not found on PATH: ${suite} needs them (apt-get install redis-server redis-tools)`;
  if (process.env.CI) throw new Error(`${message}; refusing to skip under CI`);
  console.warn(`\n${'!'.repeat(100)}\n!!! SKIPPING ${message}\n${'!'.repeat(100)}\n`);
  return false;
}

// ---------------------------------------------------------------------------------------------
// Process bookkeeping: everything we spawn is killed on exit, and by a watchdog if we are killed.

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  if (child.pid !== undefined) startWatchdog(child.pid);
}

/**
 * A detached process of this runtime that SIGKILLs `pid` once this process is gone. It reads the two
 * pids from the end of its arguments: `node -e` and `bun -e` put them right after the executable,
 * but Deno runs `-e` code as a module of its own whose path comes first (`process.argv[1]`). Pids it
 * cannot read leave it doing nothing.
 */
function startWatchdog(pid: number): void {
  const code = `const [p, c] = process.argv.slice(-2).map(Number);
if (!(p > 0 && c > 0)) process.exit(0);
const alive = (x) => { try { process.kill(x, 0); return true; } catch { return false; } };
const t = setInterval(() => {
  if (!alive(c)) { clearInterval(t); return; }
  if (!alive(p)) { try { process.kill(c, 'SIGKILL'); } catch {} clearInterval(t); }
}, 500);`;
  const dog = spawn(process.execPath, ['-e', code, String(process.pid), String(pid)], {
    detached: true,
    stdio: 'ignore',
  });
  dog.unref();
}

// ---------------------------------------------------------------------------------------------
// Ports and a minimal RESP client (no dependency, used only to wait for readiness).

function listenOnce(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, HOST, () => {
      const address = server.address();
      const got = typeof address === 'object' && address !== null ? address.port : null;
      server.close(() => resolve(got));
    });
  });
}

const handedOut = new Set<number>();

/**
 * A free TCP port on 127.0.0.1 (never 6379). With `bus`, port + 10000 (the Cluster bus port) is
 * free as well.
 */
export async function freePort(options: { bus?: boolean } = {}): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = await listenOnce(0);
    if (port === null || port === 6379 || handedOut.has(port)) continue;
    if (options.bus) {
      if (port + 10_000 > 65_535 || (await listenOnce(port + 10_000)) === null) continue;
    }
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port found');
}

/** Encodes a command as RESP. */
function encode(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/**
 * Sends one command and resolves with the raw reply text (enough for `PING` and `CLUSTER INFO`).
 * Rejects on connection errors or after `timeoutMs`.
 */
export function rawCommand(port: number, args: readonly string[], timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: HOST, port });
    let data = '';
    const done = (error: Error | null) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(data);
    };
    const timer = setTimeout(() => done(new Error(`redis ${port}: no reply in ${timeoutMs} ms`)), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('error', (e) => done(e));
    socket.on('connect', () => socket.write(encode(args)));
    socket.on('data', (chunk: string) => {
      data += chunk;
      if (complete(data)) done(null);
    });
  });
}

function complete(reply: string): boolean {
  const nl = reply.indexOf('\r\n');
  if (nl < 0) return false;
  if (reply[0] !== '$') return true;
  const len = Number(reply.slice(1, nl));
  return len < 0 || Buffer.byteLength(reply) >= nl + 2 + len + 2;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}

// ---------------------------------------------------------------------------------------------
// A single redis-server.

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Whether the process is running. */
  readonly running: boolean;
  /** SIGKILLs the server (an outage: no goodbye to clients). Resolves once it has exited. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and directory; resolves when it answers PING. */
  restart(): Promise<void>;
  /** Kills the server and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  port?: number;
  /** Extra `redis-server` arguments, e.g. `['--cluster-enabled', 'yes']`. */
  args?: readonly string[];
  /** Directory for the server's files (default: a new temporary directory, removed on stop). */
  dir?: string;
  /** Whether stop() removes `dir` too (default: only when the directory was made here). */
  removeDir?: boolean;
  /** How long to wait for PING. Default 10 s. */
  readyTimeoutMs?: number;
  /** A configuration file, passed first (Sentinel needs one it can rewrite). */
  configFile?: string;
}

function spawnRedis(port: number, dir: string, extra: readonly string[], configFile?: string): ChildProcess {
  const args = [
    ...(configFile === undefined ? [] : [configFile]),
    '--port',
    String(port),
    '--bind',
    HOST,
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--logfile',
    '',
    '--loglevel',
    'warning',
    ...extra,
  ];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.resume();
  track(child);
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const ownDir = options.removeDir ?? options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'twofa-redis-'));
  const extra = options.args ?? [];
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  let child: ChildProcess | undefined;
  let stopped = false;

  async function launch(): Promise<void> {
    const c = spawnRedis(port, dir, extra, options.configFile);
    child = c;
    let failed: Error | undefined;
    c.once('exit', (code, signal) => {
      failed = new Error(`redis-server on ${port} exited early (${code ?? signal})`);
    });
    await waitFor(
      `redis-server on port ${port}`,
      async () => {
        if (failed) throw failed;
        return (await rawCommand(port, ['PING'])).startsWith('+PONG');
      },
      readyTimeoutMs,
    );
  }

  async function kill(): Promise<void> {
    const c = child;
    if (c === undefined) return;
    c.kill('SIGKILL');
    await exited(c);
  }

  await launch();
  return {
    host: HOST,
    port,
    url: `redis://${HOST}:${port}`,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    kill,
    async restart() {
      if (stopped) throw new Error('server was stopped');
      await kill();
      await launch();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await kill();
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A local Redis Cluster of three masters, optionally with replicas.

export interface RedisCluster {
  readonly host: string;
  /** Every node, primaries first (as created; after a failover a replica may be the primary). */
  readonly nodes: readonly RedisServer[];
  /** Seed nodes for `new Cluster(...)`. */
  readonly startupNodes: readonly { host: string; port: number }[];
  /** The node that serves `key`'s slot now, as a running node sees it (`CLUSTER NODES`). */
  primaryFor(key: string): Promise<RedisServer>;
  /**
   * Resolves once every running node reports `cluster_state:ok`, every slot is served by a
   * running primary and every running replica is in sync with its primary.
   */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Kills every node and removes their directories. Idempotent. */
  stop(): Promise<void>;
}

function execCli(args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`redis-cli ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Sends one command with `redis-cli` (any reply shape) and resolves with its raw output. */
export function cliCommand(port: number, args: readonly string[], timeoutMs = 5000): Promise<string> {
  return execCli(['-h', HOST, '-p', String(port), ...args], timeoutMs);
}

/** Whether a running node's replication is healthy: a replica's link to its primary is up. */
async function replicationHealthy(port: number): Promise<boolean> {
  const info = await rawCommand(port, ['INFO', 'replication']);
  if (info.includes('role:master')) return true;
  return info.includes('master_link_status:up') && !info.includes('master_sync_in_progress:1');
}

/** `host:port` of the primary serving each slot range, from `CLUSTER NODES` of one node. */
function slotOwners(nodesText: string): { from: number; to: number; port: number }[] {
  const owners: { from: number; to: number; port: number }[] = [];
  for (const line of nodesText.split('\n')) {
    const fields = line.trim().split(' ');
    const flags = fields[2] ?? '';
    if (!flags.split(',').includes('master') || flags.includes('fail')) continue;
    const port = Number((fields[1] ?? '').split('@')[0]?.split(':')[1]);
    for (const range of fields.slice(8)) {
      if (range.startsWith('[')) continue; // a slot being migrated
      const [from, to] = range.split('-').map(Number);
      if (from !== undefined && Number.isInteger(from)) owners.push({ from, to: to ?? from, port });
    }
  }
  return owners;
}

/** Runs `start`; when it throws, stops everything started so far (`stopAll`) and rethrows. */
async function startedOrStopped(start: () => Promise<void>, stopAll: () => Promise<void>): Promise<void> {
  try {
    await start();
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * Starts `masters` (default 3) `redis-server --cluster-enabled yes` nodes and `replicas` (default
 * 0) replicas of each, joins them with `redis-cli --cluster create ... --cluster-replicas N
 * --cluster-yes`, and waits until every node reports `cluster_state:ok` and every replica is in
 * sync. A replica takes over about `nodeTimeoutMs` (default 2000) after its primary stops answering.
 */
export async function startRedisCluster(
  options: { masters?: number; replicas?: number; nodeTimeoutMs?: number; readyTimeoutMs?: number } = {},
): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicas ?? 0;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 2_000;
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const nodes: RedisServer[] = [];
  const stopAll = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  const running = () => nodes.filter((n) => n.running);

  async function owners(): Promise<{ from: number; to: number; port: number }[]> {
    for (const node of running()) {
      try {
        const text = await rawCommand(node.port, ['CLUSTER', 'NODES']);
        if (text.startsWith('$')) return slotOwners(text);
      } catch {
        // that node is not answering: ask another
      }
    }
    throw new Error('no running cluster node answers CLUSTER NODES');
  }

  async function waitHealthy(timeoutMs = readyTimeoutMs): Promise<void> {
    await waitFor(
      'a healthy cluster (state ok, every slot on a running primary, replicas in sync)',
      async () => {
        const live = running();
        const infos = await Promise.all(live.map((n) => rawCommand(n.port, ['CLUSTER', 'INFO'])));
        if (!infos.every((info) => info.includes('cluster_state:ok'))) return false;
        const livePorts = new Set(live.map((n) => n.port));
        const served = (await owners()).filter((o) => livePorts.has(o.port));
        if (served.reduce((sum, o) => sum + o.to - o.from + 1, 0) !== 16_384) return false;
        return (await Promise.all(live.map((n) => replicationHealthy(n.port)))).every(Boolean);
      },
      timeoutMs,
    );
  }

  await startedOrStopped(async () => {
    for (let i = 0; i < masters * (1 + replicas); i++) {
      const port = await freePort({ bus: true });
      const dir = mkdtempSync(join(tmpdir(), 'twofa-cluster-'));
      const node = await startRedis({
        port,
        dir,
        removeDir: true,
        args: [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, 'nodes.conf'),
          '--cluster-node-timeout',
          String(nodeTimeoutMs),
          // A replica may always take over, however long it was disconnected.
          '--cluster-replica-validity-factor',
          '0',
          '--repl-diskless-sync',
          'yes',
          '--repl-diskless-sync-delay',
          '0',
        ],
      });
      nodes.push(node);
    }
    await execCli(
      [
        '--cluster',
        'create',
        ...nodes.map((n) => `${HOST}:${n.port}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      readyTimeoutMs,
    );
    await waitHealthy();
  }, stopAll);
  return {
    host: HOST,
    nodes,
    startupNodes: nodes.map((n) => ({ host: HOST, port: n.port })),
    async primaryFor(key) {
      const live = running();
      const reply = await rawCommand((live[0] ?? (nodes[0] as RedisServer)).port, ['CLUSTER', 'KEYSLOT', key]);
      const slot = Number(reply.slice(1).trim());
      const owner = (await owners()).find((o) => o.from <= slot && slot <= o.to);
      const node = nodes.find((n) => n.port === owner?.port);
      if (node === undefined) throw new Error(`no primary serves slot ${slot}`);
      return node;
    },
    waitHealthy,
    stop: stopAll,
  };
}

// ---------------------------------------------------------------------------------------------
// A primary with replicas, watched by Sentinels.

export interface RedisSentinelGroup {
  readonly host: string;
  /** The name the Sentinels monitor (ioredis `name`). */
  readonly name: string;
  /** The data nodes: the first one started as the primary, the others as its replicas. */
  readonly nodes: readonly RedisServer[];
  /** The Sentinels (`redis-server <conf> --sentinel`). */
  readonly sentinels: readonly RedisServer[];
  /** For ioredis `sentinels`. */
  readonly sentinelNodes: readonly { host: string; port: number }[];
  /** The data node the Sentinels name as the primary now. */
  primary(): Promise<RedisServer>;
  /**
   * Resolves once every running Sentinel names the same running primary, that node says it is
   * the primary, and every running replica of it is in sync.
   */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Kills every process and removes their directories. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts a primary, `replicas` (default 1) replicas of it, and `sentinels` (default 3) Sentinels
 * monitoring it under `name` (default `twofa`) with a quorum of 2. A Sentinel considers the
 * primary down after `downAfterMs` (default 1000) without an answer, then promotes a replica.
 */
export async function startRedisSentinel(
  options: { name?: string; replicas?: number; sentinels?: number; downAfterMs?: number; readyTimeoutMs?: number } = {},
): Promise<RedisSentinelGroup> {
  const name = options.name ?? 'twofa';
  const replicaCount = options.replicas ?? 1;
  const sentinelCount = options.sentinels ?? 3;
  const downAfterMs = options.downAfterMs ?? 1_000;
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const nodes: RedisServer[] = [];
  const sentinels: RedisServer[] = [];
  const stopAll = async () => {
    await Promise.all([...sentinels, ...nodes].map((n) => n.stop()));
  };
  const replication = ['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0'];

  async function primaryAddress(port: number): Promise<number> {
    const [, p] = (await cliCommand(port, ['SENTINEL', 'get-master-addr-by-name', name])).trim().split('\n');
    return Number(p);
  }

  async function primary(): Promise<RedisServer> {
    for (const s of sentinels.filter((x) => x.running)) {
      try {
        const port = await primaryAddress(s.port);
        const node = nodes.find((n) => n.port === port);
        if (node !== undefined) return node;
      } catch {
        // ask the next Sentinel
      }
    }
    throw new Error('no Sentinel names a primary');
  }

  async function waitHealthy(timeoutMs = readyTimeoutMs): Promise<void> {
    await waitFor(
      `Sentinels agreeing on a healthy primary of ${name}`,
      async () => {
        const live = sentinels.filter((s) => s.running);
        const ports = new Set(await Promise.all(live.map((s) => primaryAddress(s.port))));
        if (ports.size !== 1) return false;
        const node = nodes.find((n) => n.port === [...ports][0]);
        if (node === undefined || !node.running) return false;
        const info = await rawCommand(node.port, ['INFO', 'replication']);
        if (!info.includes('role:master')) return false;
        const replicasUp = nodes.filter((n) => n !== node && n.running);
        for (const r of replicasUp) {
          const ri = await rawCommand(r.port, ['INFO', 'replication']);
          if (!ri.includes(`master_port:${node.port}`) || !(await replicationHealthy(r.port))) return false;
        }
        // Every Sentinel knows the others and the replicas (needed to fail over again).
        for (const s of live) {
          const master = (await cliCommand(s.port, ['SENTINEL', 'master', name])).trim().split('\n');
          const field = (f: string) => Number(master[master.indexOf(f) + 1]);
          if (field('num-other-sentinels') < live.length - 1 || field('num-slaves') < replicasUp.length) return false;
        }
        return true;
      },
      timeoutMs,
    );
  }

  await startedOrStopped(async () => {
    const first = await startRedis({ args: replication });
    nodes.push(first);
    for (let i = 0; i < replicaCount; i++) {
      nodes.push(await startRedis({ args: [...replication, '--replicaof', HOST, String(first.port)] }));
    }
    for (let i = 0; i < sentinelCount; i++) {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'twofa-sentinel-'));
      const configFile = join(dir, 'sentinel.conf');
      writeFileSync(
        configFile,
        [
          `sentinel monitor ${name} ${HOST} ${first.port} 2`,
          `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
          `sentinel failover-timeout ${name} 10000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      sentinels.push(await startRedis({ port, dir, removeDir: true, configFile, args: ['--sentinel'] }));
    }
    await waitHealthy();
  }, stopAll);
  return {
    host: HOST,
    name,
    nodes,
    sentinels,
    sentinelNodes: sentinels.map((s) => ({ host: HOST, port: s.port })),
    primary,
    waitHealthy,
    stop: stopAll,
  };
}
