/**
 * A Next.js App Router app (this folder's `app/`) whose routes call a handler the serving process
 * registers, so a handler made in that process (with its functions and test clocks) answers through
 * a real Next.js route: `next build` once (`buildNextApp`, skipped while the build is newer than the
 * app's sources), then Next.js's own server in this process (`next({ dev: false })`, the request
 * handler `next start` runs too), behind one `http.Server` per `serveNext` call.
 *
 * Routes: `/api/2fa/**` and `/v2/otp/**` (every method the kit answers) call the registered
 * handler; `GET /host/ping`, `POST /host/echo`, `GET /host/boom` are the host's own routes; any
 * other path is Next.js's own 404.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const APP_DIR = import.meta.dirname;
/** Written once `next build` has succeeded (its own BUILD_ID is written before the build ends). */
const BUILT = join(APP_DIR, '.next', 'next-host-built');
/** What the build is made of: a change to any of these makes it stale. */
const SOURCES = ['app', 'lib', 'next.config.mjs', 'tsconfig.json', 'package.json'];

/** The registered handler of the server a request came in on (read by `lib/registered.ts`). */
const KEY = Symbol.for('twofa-kit.next-host');
globalThis[KEY] ??= new AsyncLocalStorage();
const registry = globalThis[KEY];

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = stat.mtimeMs;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

/**
 * `next build` of this app, unless its build is newer than its sources (the app holds no code of
 * the kit's: a change to the kit never makes it stale). Resolves to whether it built.
 */
export async function buildNextApp() {
  const sources = Math.max(...SOURCES.map((p) => newest(join(APP_DIR, p))));
  if (existsSync(BUILT) && statSync(BUILT).mtimeMs >= sources) return false;
  const bin = createRequire(join(APP_DIR, 'package.json')).resolve('next/dist/bin/next');
  // NODE_ENV unset: `next build` sets production itself (vitest's `test` would make it warn).
  const { NODE_ENV: _, ...env } = process.env;
  try {
    await run(process.execPath, [bin, 'build'], {
      cwd: APP_DIR,
      env: { ...env, NEXT_TELEMETRY_DISABLED: '1' },
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    throw new Error(`next build failed:\n${error.stdout ?? ''}${error.stderr ?? error}`);
  }
  writeFileSync(BUILT, `${new Date().toISOString()}\n`);
  return true;
}

let nextHandler;
/** Next.js's request handler for the built app, prepared once per process. */
function requestHandler() {
  nextHandler ??= (async () => {
    await buildNextApp();
    process.env.NEXT_TELEMETRY_DISABLED = '1';
    const { default: next } = await import('next');
    const app = next({ dev: false, dir: APP_DIR, quiet: true });
    await app.prepare();
    return app.getRequestHandler();
  })();
  return nextHandler;
}

/**
 * Serves the app on 127.0.0.1 and a free port, its routes calling `handler`. The server stands for
 * the reverse proxy a Next.js app runs behind: it appends the peer's address to `X-Forwarded-For`
 * (Next.js itself writes the peer there only when the header is absent), so the address the route
 * reads is the one this server saw, with whatever the client wrote before it.
 */
export async function serveNext(handler) {
  const handle = await requestHandler();
  const server = http.createServer((req, res) => {
    const peer = req.socket.remoteAddress;
    if (peer !== undefined) {
      const sent = req.headers['x-forwarded-for'];
      req.headers['x-forwarded-for'] = sent ? `${sent}, ${peer}` : peer;
    }
    registry.run(handler, () =>
      handle(req, res).catch((error) => {
        // Next.js answers its own errors; one that escapes it still gets an answer.
        if (!res.headersSent) res.writeHead(500).end(String(error));
        else res.destroy(error);
      }),
    );
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
