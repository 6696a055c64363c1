/**
 * The contract on Bun and on Deno: the suite itself runs there (vitest started by `bun --bun` and by
 * `deno run`), against the fetch entry and the Hono app on `Bun.serve` and `Deno.serve`, with the
 * core, the key stores and the test clocks all in that runtime; the byte-for-byte comparison runs
 * the other adapters there too; on Bun the fetch entry, on Deno the fetch entry and the Hono app, also
 * with their limits in Redis. One run per runtime, each from npm (`npx -y bun@1`, `npx -y deno@2`).
 *
 * Deno once lost its Redis half: the watchdog that kills a test's `redis-server` if the test process
 * dies (`internal/testing/src/redis-servers.ts`) is `process.execPath -e <code> <pid> <pid>`, and
 * under Deno that code sees `process.argv` as `[deno, "/tmp/$deno$eval.mts", pid, pid]` (Node and Bun:
 * `[node, pid, pid]`), so it read the test process's pid as the server's and SIGKILLed the vitest
 * worker half a second after the server started ("Worker exited unexpectedly"). The watchdog reads
 * the pids from the end of its arguments now; the Redis names below keep that half running.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');

interface Results {
  numPassedTests: number;
  numFailedTests: number;
  numFailedTestSuites: number;
  testResults: { assertionResults: { ancestorTitles: string[]; fullName: string; status: string }[] }[];
}

/** Runs `internal/contract/runtimes/<file>.contract.ts` under a runtime; its vitest JSON results. */
function runOn(runtime: readonly string[], file: string): Promise<{ results: Results | undefined; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'twofa-runtime-'));
  const out = join(dir, 'results.json');
  // Without the outer vitest's variables, so the inner run is a run of its own.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST')));
  const args = [...runtime, VITEST, 'run', '--config', 'vitest.runtimes.config.ts', '--reporter=json'];
  return new Promise((resolve) => {
    const child = spawn('npx', ['-y', ...args, `--outputFile=${out}`, file], { cwd: ROOT, env });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    child.on('close', () => {
      let results: Results | undefined;
      try {
        results = JSON.parse(readFileSync(out, 'utf8')) as Results;
      } catch {
        results = undefined;
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({ results, output });
    });
  });
}

function expectAllPassed({ results, output }: { results: Results | undefined; output: string }, names: string[]) {
  expect(results, output.slice(-3000)).toBeDefined();
  const all = (results as Results).testResults.flatMap((f) => f.assertionResults);
  const failed = all.filter((t) => t.status !== 'passed').map((t) => `${t.status}: ${t.fullName}`);
  expect(failed).toEqual([]);
  for (const name of names) {
    // Every suite ran for each harness (the contract has well over 100 tests).
    expect(all.filter((t) => t.ancestorTitles.includes(`contract: ${name}`)).length, name).toBeGreaterThan(100);
  }
}

describe('the contract on other runtimes', () => {
  it('passes on Bun: the fetch entry and the Hono app on Bun.serve, the fetch entry on Redis too', {
    timeout: 300_000,
  }, async () => {
    expectAllPassed(await runOn(['bun@1', '--bun'], 'bun.contract'), [
      'fetch on Bun.serve',
      'hono on Bun.serve',
      'fetch on Bun.serve + Redis',
    ]);
  });

  it('passes on Deno: the fetch entry and the Hono app on Deno.serve, both on Redis too', {
    timeout: 300_000,
  }, async () => {
    expectAllPassed(await runOn(['deno@2', 'run', '-A'], 'deno.contract'), [
      'fetch on Deno.serve',
      'hono on Deno.serve',
      'fetch on Deno.serve + Redis',
      'hono on Deno.serve + Redis',
    ]);
  });
});
