/**
 * Real Redis servers for tests: a single `redis-server` or a local 3-master Cluster, each on free
 * ports with a temporary directory and no persistence. Every process started here is killed when
 * the test calls `stop()`, when this process exits, and — through a detached watchdog — even when
 * this process is killed outright, so no test leaves a server behind. Never touches 127.0.0.1:6379.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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

/** A detached node process that SIGKILLs `pid` once this process is gone. */
function startWatchdog(pid: number): void {
  const code = `const [p, c] = process.argv.slice(1).map(Number);
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
  /** How long to wait for PING. Default 10 s. */
  readyTimeoutMs?: number;
}

function spawnRedis(port: number, dir: string, extra: readonly string[]): ChildProcess {
  const args = [
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
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'twofa-redis-'));
  const extra = options.args ?? [];
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  let child: ChildProcess | undefined;
  let stopped = false;

  async function launch(): Promise<void> {
    const c = spawnRedis(port, dir, extra);
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
// A local Redis Cluster of three masters.

export interface RedisCluster {
  readonly host: string;
  readonly nodes: readonly RedisServer[];
  /** Seed nodes for `new Cluster(...)`. */
  readonly startupNodes: readonly { host: string; port: number }[];
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

/**
 * Starts `masters` (default 3) `redis-server --cluster-enabled yes` nodes, joins them with
 * `redis-cli --cluster create ... --cluster-replicas 0 --cluster-yes`, and waits until every
 * node reports `cluster_state:ok`.
 */
export async function startRedisCluster(
  options: { masters?: number; readyTimeoutMs?: number } = {},
): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const nodes: RedisServer[] = [];
  const stopAll = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort({ bus: true });
      const dir = mkdtempSync(join(tmpdir(), 'twofa-cluster-'));
      const node = await startRedis({
        port,
        dir,
        args: [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, 'nodes.conf'),
          '--cluster-node-timeout',
          '2000',
        ],
      });
      nodes.push({
        ...node,
        get running() {
          return node.running;
        },
        async stop() {
          await node.stop();
          rmSync(dir, { recursive: true, force: true });
        },
      });
    }
    await execCli(
      ['--cluster', 'create', ...nodes.map((n) => `${HOST}:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'],
      readyTimeoutMs,
    );
    await waitFor(
      'cluster_state:ok on every node',
      async () => {
        const infos = await Promise.all(nodes.map((n) => rawCommand(n.port, ['CLUSTER', 'INFO'])));
        return infos.every((info) => info.includes('cluster_state:ok'));
      },
      readyTimeoutMs,
    );
  } catch (error) {
    await stopAll();
    throw error;
  }
  return {
    host: HOST,
    nodes,
    startupNodes: nodes.map((n) => ({ host: HOST, port: n.port })),
    stop: stopAll,
  };
}
