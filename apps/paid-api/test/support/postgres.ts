/**
 * A real PostgreSQL for tests: `initdb` + `pg_ctl` in a temporary directory, on a free port of
 * 127.0.0.1 (never the machine's own server on 5432). It is stopped by `stop()`, on this process's
 * exit, and — through a detached watchdog — even when this process is killed outright.
 * As root (PostgreSQL refuses to run as root) the server runs as the `postgres` user, else `nobody`.
 * The binaries come from the PATH or Debian's /usr/lib/postgresql/<version>/bin.
 */
import { type SpawnSyncOptions, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@twofa-kit/testing/redis-servers';

export interface PostgresServer {
  readonly url: string;
  readonly port: number;
  /** The postmaster's process id (its backends are its children). */
  readonly pid: number;
  stop(): Promise<void>;
}

function onPath(name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** The directory holding initdb and pg_ctl, or undefined. */
export function postgresBinDir(): string | undefined {
  const initdb = onPath('initdb');
  if (initdb !== undefined && onPath('pg_ctl') !== undefined) return join(initdb, '..');
  const debian = '/usr/lib/postgresql';
  if (!existsSync(debian)) return undefined;
  const versions = readdirSync(debian)
    .filter((v) => existsSync(join(debian, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(debian, versions[0], 'bin');
}

/** Whether PostgreSQL tests run: without the binaries, throws under CI, else warns and skips. */
export function postgresTestsEnabled(suite: string): boolean {
  if (postgresBinDir() !== undefined) return true;
  const message = `initdb / pg_ctl not found: ${suite} needs PostgreSQL (apt-get install postgresql)`;
  if (process.env.CI) throw new Error(`${message}; refusing to skip under CI`);
  console.warn(`\n!!! SKIPPING ${message}\n`);
  return false;
}

function userIds(name: string): { uid: number; gid: number } | undefined {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name) return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/** As root: the user the server runs as. Otherwise nothing changes. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const ids = userIds('postgres') ?? userIds('nobody');
  if (ids === undefined) throw new Error('running as root and neither a postgres nor a nobody user exists');
  return ids;
}

function run(bin: string, args: string[], options: SpawnSyncOptions): void {
  const result = spawnSync(bin, args, { ...options, encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) {
    throw new Error(`${bin} ${args.join(' ')} failed (${result.status}): ${result.stderr}${result.stdout}`);
  }
}

const live = new Set<() => void>();
let exitHook = false;

/** A detached process that stops the postmaster `pid` (immediate shutdown) once we are gone. */
function watchdog(pid: number): void {
  const code = `const [p, c] = process.argv.slice(-2).map(Number);
const alive = (x) => { try { process.kill(x, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
const t = setInterval(() => {
  if (!alive(c)) { clearInterval(t); return; }
  if (!alive(p)) { try { process.kill(c, 'SIGQUIT'); } catch {} clearInterval(t); }
}, 500);`;
  spawn(process.execPath, ['-e', code, String(process.pid), String(pid)], { detached: true, stdio: 'ignore' }).unref();
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error('initdb / pg_ctl not found');
  const ids = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'twofa-pg-'));
  if (ids !== undefined) chownSync(dir, ids.uid, ids.gid);
  const data = join(dir, 'data');
  const port = await freePort();
  const as = ids === undefined ? {} : { uid: ids.uid, gid: ids.gid };
  const env = { ...process.env, LC_ALL: 'C', PGTZ: 'UTC' };
  run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], { ...as, env });
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  run(join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '60', 'start'], {
    ...as,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  watchdog(pid);
  let stopped = false;
  const kill = () => {
    if (stopped) return;
    stopped = true;
    live.delete(kill);
    spawnSync(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], { ...as, env, stdio: 'ignore' });
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  };
  live.add(kill);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const k of [...live]) k();
    });
  }
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, pid, stop: async () => kill() };
}

/** Sends `signal` to this test's own server: the postmaster and every backend it started. */
export function signalPostgres(server: PostgresServer, signal: 'SIGSTOP' | 'SIGCONT'): void {
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        // Field 4 of /proc/<pid>/stat is the parent's id (after the command name in parentheses).
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === server.pid;
      } catch {
        return false;
      }
    })
    .map(Number);
  for (const pid of [server.pid, ...children]) {
    try {
      process.kill(pid, signal);
    } catch {}
  }
}
