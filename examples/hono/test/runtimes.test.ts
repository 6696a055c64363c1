/**
 * The Hono example as `pnpm --dir examples/hono start:bun` and `start:deno` run it (Bun and Deno from
 * npm), on one Redis: both answer the documentation's request, and they share one set of limits
 * (ioredis and the Redis store run on both runtimes).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { ensureBuilt, ROOT } from '@twofa-kit/testing/example-process';
import { type RedisServer, redisTestsEnabled, startRedis } from '@twofa-kit/testing/redis-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The runtimes' own executables (from npm, found once through `npx`), so stopping a server stops it:
 * a signal to `npx` would not reach the runtime it started.
 */
function executable(runtime: 'bun' | 'deno'): string {
  const args = runtime === 'bun' ? ['-y', 'bun@1', '-e'] : ['-y', 'deno@2', 'eval'];
  const code = runtime === 'bun' ? 'console.log(process.execPath)' : 'console.log(Deno.execPath())';
  return execFileSync('npx', [...args, code], { encoding: 'utf8' }).trim();
}

/** The scripts `start:bun` and `start:deno` of examples/hono, with the runtime's executable. */
const RUNTIMES = {
  bun: ['dist/server.js'],
  deno: ['run', '--allow-env', '--allow-net', '--allow-read', '--allow-sys', 'dist/server.js'],
} as const;

/** Starts the built example under `runtime`; resolves with its URL once it prints it. */
async function startOn(runtime: keyof typeof RUNTIMES, env: Record<string, string>) {
  const child = spawn(executable(runtime), RUNTIMES[runtime], {
    cwd: join(ROOT, 'examples/hono'),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  for (;;) {
    const url = /example listening on (http:\/\/\S+)/.exec(out)?.[1];
    if (url !== undefined) return { url, child };
    if (child.exitCode !== null) throw new Error(`${runtime}: exited before listening\n${out}`);
    await Promise.race([once(child.stdout as NodeJS.ReadableStream, 'data'), once(child, 'exit')]);
  }
}

const generate = (url: string) =>
  fetch(`${url}/api/2fa/generate`, {
    method: 'POST',
    headers: { 'X-API-Key': 'runtime-free-key', 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'secret=JBSWY3DPEHPK3PXP',
  });

describe.runIf(redisTestsEnabled('the Hono example on Bun and Deno'))('examples/hono on Bun and Deno', () => {
  let redis: RedisServer;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    await ensureBuilt('hono');
    redis = await startRedis();
  }, 300_000);
  afterAll(async () => {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : undefined)));
    await redis?.stop();
  });

  it('starts on each, answers the documented request, and both share one free plan on one Redis', async () => {
    const env = { TWOFA_API_KEYS: 'runtime-free-key:free', REDIS_URL: redis.url };
    const servers = [];
    for (const runtime of ['bun', 'deno'] as const) {
      const server = await startOn(runtime, env);
      children.push(server.child);
      servers.push(server.url);
    }
    // Away from a minute's end, so the free plan's 5 a minute holds all six requests.
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 5_000) await new Promise((r) => setTimeout(r, left + 200));
    const statuses: number[] = [];
    for (const url of [...servers, ...servers, ...servers]) statuses.push((await generate(url)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  }, 180_000);
});
