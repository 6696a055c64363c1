/**
 * The embedded PostgreSQL used when `DATABASE_URL` is unset: PGlite (PostgreSQL compiled to
 * WebAssembly, in-process, nothing to install) with its data in a local directory, served by
 * `@electric-sql/pglite-socket` on a Unix socket inside that directory, so the same `pg` code
 * talks to it.
 *
 * Access is the directory's: it is made (or reset to) mode 0700, so only its owner can reach the
 * socket or read the data files. (PGlite's socket server has no password check; a TCP port on
 * 127.0.0.1 would let any local user in.)
 *
 * PGlite is one process's database: the first process to open the directory (the server, or a CLI
 * command when no server runs) hosts it and writes `host.json`; every other process finds that
 * file and connects to the socket. A stale file (its process gone) is taken over.
 */
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface Embedded {
  /** `postgres://postgres@localhost/postgres?host=<the data directory>`: the socket inside it. */
  readonly url: string;
  /** True when this process hosts the database (and `close` stops it). */
  readonly host: boolean;
  close(): Promise<void>;
}

interface HostFile {
  readonly pid: number;
  /** Set once the socket listens. */
  readonly ready?: boolean;
}

/** The socket's name inside the directory: what `pg` connects to for `host=<directory>` (port 5432). */
const SOCKET = '.s.PGSQL.5432';
/** The longest Unix socket path the kernel takes (`sun_path`, less the final NUL). */
const MAX_SOCKET_PATH = 107;
/** How long a process waits for another one that is still opening the database (first open: initdb). */
const WAIT_FOR_HOST_MS = 120_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHost(path: string): HostFile | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as HostFile;
    return typeof parsed.pid === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function reachable(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ path });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function urlFor(dataDir: string): string {
  return `postgres://postgres@localhost/postgres?host=${encodeURIComponent(dataDir)}`;
}

/** Claims the directory by creating `host.json` exclusively; false when someone else holds it. */
function claim(path: string): boolean {
  try {
    const fd = openSync(path, 'wx');
    writeFileSync(fd, JSON.stringify({ pid: process.pid }));
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function host(dataDir: string, hostPath: string): Promise<Embedded> {
  let db: PGlite | undefined;
  try {
    db = await PGlite.create(join(dataDir, 'pgdata'));
    const socket = join(dataDir, SOCKET);
    rmSync(socket, { force: true }); // left by a process that is gone (this one holds host.json now)
    const server = new PGLiteSocketServer({ db, path: socket, maxConnections: 100 });
    await server.start();
    const tmp = `${hostPath}.${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ pid: process.pid, ready: true }));
    renameSync(tmp, hostPath);
    const opened = db;
    return {
      url: urlFor(dataDir),
      host: true,
      close: async () => {
        await server.stop();
        await opened.close();
        rmSync(hostPath, { force: true });
      },
    };
  } catch (error) {
    await db?.close().catch(() => {});
    rmSync(hostPath, { force: true });
    throw error;
  }
}

/** Opens (hosting or joining) the embedded PostgreSQL whose data lives in `dataDir`. */
export async function openEmbedded(directory: string): Promise<Embedded> {
  const dataDir = resolve(directory); // a socket directory for `pg` must be an absolute path
  if (join(dataDir, SOCKET).length > MAX_SOCKET_PATH) {
    throw new Error(
      `the embedded PostgreSQL's directory path is too long for its socket (${dataDir}): choose a shorter PAID_API_DATA_DIR`,
    );
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700); // also when it existed: its socket and data are its owner's alone
  const hostPath = join(dataDir, 'host.json');
  const deadline = Date.now() + WAIT_FOR_HOST_MS;
  for (;;) {
    if (claim(hostPath)) return host(dataDir, hostPath);
    const current = readHost(hostPath);
    if (current !== undefined && !alive(current.pid)) {
      rmSync(hostPath, { force: true }); // its process is gone: take it over
      continue;
    }
    if (current?.ready === true && (await reachable(join(dataDir, SOCKET)))) {
      return { url: urlFor(dataDir), host: false, close: async () => {} };
    }
    if (Date.now() > deadline) {
      throw new Error(`the embedded PostgreSQL in ${dataDir} is held by process ${current?.pid} but does not answer`);
    }
    await sleep(100); // its host is still opening it
  }
}
