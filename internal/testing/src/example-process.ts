/**
 * Runs a BUILT example server (`node dist/server.js`; Next.js: `node start.mjs`, which runs `next
 * start`) as a child process, the way a user starts it, after rebuilding it (and the packages it
 * imports) when its build is missing or older than the sources. Shared by the examples' tests.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export type Framework = 'fastify' | 'koa' | 'express' | 'nestjs' | 'hono' | 'nextjs';

/** The published packages an example runs on: the core, its framework's package, and what that loads. */
const PACKAGES: Record<Framework, readonly string[]> = {
  fastify: ['core', 'fastify'],
  koa: ['core', 'koa'],
  express: ['core', 'express'],
  nestjs: ['core', 'nestjs', 'express'],
  hono: ['core', 'hono'],
  nextjs: ['core', 'fetch'],
};

/** The Next.js example has no `src`: its sources, and `next build`'s output instead of `dist`. */
const NEXT_SOURCES = ['app', 'lib', 'instrumentation.ts', 'next.config.mjs'];

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function oldestMtime(files: string[]): number {
  let oldest = Number.POSITIVE_INFINITY;
  for (const file of files) {
    try {
      oldest = Math.min(oldest, statSync(file).mtimeMs);
    } catch {
      return 0; // missing
    }
  }
  return oldest;
}

function newestOf(path: string): number {
  try {
    return statSync(path).isDirectory() ? newestMtime(path) : statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function isFresh(fw: Framework): boolean {
  const own = fw === 'nextjs' ? NEXT_SOURCES.map((p) => `examples/nextjs/${p}`) : [`examples/${fw}/src`];
  const sources = [...PACKAGES[fw].map((p) => `packages/${p}/src`), 'internal/example-support/src', ...own].map((d) =>
    join(ROOT, d),
  );
  const outputs = [
    ...PACKAGES[fw].map((p) => `packages/${p}/dist/index.js`),
    'internal/example-support/dist/index.js',
    fw === 'nextjs' ? 'examples/nextjs/.next/BUILD_ID' : `examples/${fw}/dist/server.js`,
  ];
  return oldestMtime(outputs.map((f) => join(ROOT, f))) >= Math.max(...sources.map(newestOf));
}

/**
 * Builds core, the adapter and the example with their own `build` scripts when any output is
 * missing or stale. A lock directory keeps the three example suites from building at once.
 */
export async function ensureBuilt(fw: Framework): Promise<void> {
  if (isFresh(fw)) return;
  const lock = join(ROOT, 'node_modules/.cache/twofa-examples-build.lock');
  mkdirSync(join(lock, '..'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 120_000) rmdirSync(lock, { recursive: true }); // left by a killed run
      await sleep(200);
    }
  }
  try {
    if (isFresh(fw)) return;
    const filters = [
      ...PACKAGES[fw].map((p) => `@twofa-kit/${p}`),
      '@twofa-kit/example-support',
      ...(fw === 'nextjs' ? [] : [`@twofa-kit/example-${fw}`]),
    ].flatMap((f) => ['--filter', f]);
    try {
      execFileSync('pnpm', [...filters, 'run', 'build'], { cwd: ROOT, stdio: 'pipe', encoding: 'utf8' });
      if (fw === 'nextjs') {
        const cwd = join(ROOT, 'examples/nextjs');
        const next = join(cwd, 'node_modules/next/dist/bin/next');
        execFileSync(process.execPath, [next, 'build'], { cwd, stdio: 'pipe', encoding: 'utf8' });
      }
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`building the ${fw} example failed:\n${stdout ?? ''}\n${stderr ?? ''}`);
    }
  } finally {
    rmdirSync(lock);
  }
}

export interface RunningExample {
  /** `http://127.0.0.1:PORT` as the server printed it. */
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything written so far to stdout / stderr. */
  stdout(): string;
  stderr(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** A clean environment: only PATH and HOME from ours, so no TWOFA_* of the runner leaks in. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
}

function spawnExample(fw: Framework, env: Record<string, string>) {
  const child = spawn(process.execPath, [fw === 'nextjs' ? 'start.mjs' : 'dist/server.js'], {
    cwd: join(ROOT, 'examples', fw),
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  return { child, stdout: () => stdout, stderr: () => stderr };
}

const LISTENING = /example listening on (http:\/\/\S+)/;

/** Waits until the child prints its address (resolves with it) or exits (resolves undefined). */
async function listening(run: ReturnType<typeof spawnExample>, exited: Promise<unknown>): Promise<string | undefined> {
  for (;;) {
    const url = LISTENING.exec(run.stdout())?.[1];
    if (url !== undefined) return url;
    if (run.child.exitCode !== null || run.child.signalCode !== null) return undefined;
    await Promise.race([once(run.child.stdout as NodeJS.ReadableStream, 'data'), exited]);
  }
}

/** Starts the example (PORT=0 unless given) and resolves once it prints its address. */
export async function startExample(fw: Framework, env: Record<string, string> = {}): Promise<RunningExample> {
  const run = spawnExample(fw, { PORT: '0', ...env });
  const exited = once(run.child, 'close');
  const url = await listening(run, exited);
  if (url === undefined) throw new Error(`example ${fw} exited before listening:\n${run.stdout()}\n${run.stderr()}`);
  return {
    ...run,
    url,
    async stop() {
      if (run.child.exitCode !== null) return run.child.exitCode;
      run.child.kill('SIGTERM');
      const [code] = await exited;
      return code as number | null;
    },
  };
}

/**
 * Starts the example expecting it to refuse to start. Resolves with its exit code and output;
 * `code` is `'listening'` (and the process is killed) if it started after all.
 */
export async function runUntilExit(fw: Framework, env: Record<string, string>) {
  const run = spawnExample(fw, { PORT: '0', ...env });
  const exited = once(run.child, 'close');
  const url = await listening(run, exited);
  if (url !== undefined) {
    run.child.kill('SIGKILL');
    await exited;
  } else {
    await exited; // output is complete only after exit
  }
  return {
    code: url !== undefined ? ('listening' as const) : run.child.exitCode,
    stdout: run.stdout(),
    stderr: run.stderr(),
  };
}

/** The JSON envelope of a response, with its status and headers. */
export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

export async function call(url: string, init?: RequestInit): Promise<Reply> {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}
