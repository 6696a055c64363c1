/**
 * The repository's one set of Redis launchers (`internal/testing/src/redis-servers.ts`: a single
 * server, a Cluster, a Sentinel group, on free ports, stopped by a watchdog if this process dies),
 * for the benchmarks. They are TypeScript and the benchmarks run on plain Node, so the file (node
 * builtins only) is compiled once to a temporary directory and imported from there.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
let loaded;

/** The module `internal/testing/src/redis-servers.ts`, compiled on first use. */
export function redisServers() {
  loaded ??= (async () => {
    const out = mkdtempSync(join(tmpdir(), 'twofa-bench-redis-servers-'));
    try {
      execFileSync(
        join(ROOT, 'node_modules/.bin/tsc'),
        [
          '--outDir',
          out,
          '--module',
          'nodenext',
          '--moduleResolution',
          'nodenext',
          '--target',
          'es2022',
          '--skipLibCheck',
          '--types',
          'node',
          join(ROOT, 'internal/testing/src/redis-servers.ts'),
        ],
        { stdio: 'inherit' },
      );
      return await import(join(out, 'redis-servers.js'));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  })();
  return loaded;
}

/** A throwaway single `redis-server` (`{ url, stop }`), or `undefined` when there is no redis-server. */
export async function startRedis() {
  const servers = await redisServers();
  if (!servers.redisAvailable()) return undefined;
  return servers.startRedis();
}
