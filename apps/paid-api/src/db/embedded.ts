/**
 * The embedded PostgreSQL used when `DATABASE_URL` is unset: PGlite (PostgreSQL compiled to
 * WebAssembly, in-process, nothing to install) with its data in a local directory, served on
 * 127.0.0.1 by `@electric-sql/pglite-socket` so the same `pg` code talks to it.
 *
 * PGlite is one process's database: the first process to open the directory (the server, or a CLI
 * command when no server runs) hosts it and writes its port to `host.json`; every other process
 * finds that file and connects to the port. A stale file (its process gone) is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface Embedded {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  /** True when this process hosts the database (and `close` stops it). */
  readonly host: boolean;
  close(): Promise<void>;
}

interface HostFile {
  readonly pid: number;
  readonly port?: number;
}

const LOOPBACK = '127.0.0.1';
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

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: LOOPBACK, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function urlFor(port: number): string {
  return `postgres://postgres@${LOOPBACK}:${port}/postgres`;
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
    const server = new PGLiteSocketServer({ db, host: LOOPBACK, port: 0, maxConnections: 100 });
    await server.start();
    const port = Number(server.getServerConn().split(':').pop());
    const tmp = `${hostPath}.${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ pid: process.pid, port }));
    renameSync(tmp, hostPath);
    const opened = db;
    return {
      url: urlFor(port),
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
export async function openEmbedded(dataDir: string): Promise<Embedded> {
  mkdirSync(dataDir, { recursive: true });
  const hostPath = join(dataDir, 'host.json');
  const deadline = Date.now() + WAIT_FOR_HOST_MS;
  for (;;) {
    if (claim(hostPath)) return host(dataDir, hostPath);
    const current = readHost(hostPath);
    if (current !== undefined && !alive(current.pid)) {
      rmSync(hostPath, { force: true }); // its process is gone: take it over
      continue;
    }
    if (current?.port !== undefined && (await reachable(current.port))) {
      return { url: urlFor(current.port), host: false, close: async () => {} };
    }
    if (Date.now() > deadline) {
      throw new Error(`the embedded PostgreSQL in ${dataDir} is held by process ${current?.pid} but does not answer`);
    }
    await sleep(100); // its host is still opening it
  }
}
