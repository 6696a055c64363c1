/**
 * `pnpm bench` — builds the packages, then runs the HTTP rows, the micro-benchmarks and the memory
 * measurement, prints the tables, then every target of lib/targets.mjs with its verdict (met,
 * missed with the gap, or not measured when the run did not include it), and writes all of it to
 * `results/<mode>.json` (`results/partial.json` when filtered; the verdicts under `targets`).
 * The build compiles packages/core, fastify, koa, express and nestjs, one at a time. The Next.js
 * rows' servers run `next build` of internal/next-host themselves when its build is older than its
 * sources (a minute or two, before any row is measured; `--no-build` does not skip it).
 *
 *   pnpm bench                full run (5 rounds × 10 s per row, ~10 minutes)
 *   pnpm bench --short        under a minute (2 rounds × 1.5 s per row; 100k identities only)
 *   pnpm bench --soak [min]   steady load on Fastify + kit for `min` minutes (default 10), heap every 10 s
 *   pnpm bench --only pathological   pathological inputs on each adapter: cost as a ratio to a normal request
 * Options: --only http,micro,memory,pathological   --rows fastify-bare,fastify-kit   --rounds N   --duration S   --no-build
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runChild } from './lib/children.mjs';
import { httpTable, memoryTable, microTable, soakTable } from './lib/format.mjs';
import { runLoad } from './lib/load.mjs';
import { startRedis } from './lib/redis.mjs';
import { runSoak } from './lib/soak.mjs';
import { evaluateTargets, targetsTable } from './lib/targets.mjs';
import { MAX_RATIO, pathologicalTable, runPathological } from './pathological.mjs';

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
function value(name, fallback) {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = args[i + 1];
  return v === undefined || v.startsWith('--') ? fallback : v;
}

const short = flag('short');
const soak = flag('soak');
const mode = soak ? 'soak' : short ? 'short' : 'full';
const sections = (value('only', 'http,micro,memory,pathological') ?? '').split(',');
const rowFilter = value('rows', undefined)?.split(',');
const root = fileURLToPath(new URL('../..', import.meta.url));

function build() {
  const started = Date.now();
  // The packages the servers import, core first, one at a time: a plain per-package build
  // does not depend on the workspace graph (whose test-only devDependencies may form cycles).
  for (const pkg of ['core', 'fastify', 'koa', 'express', 'nestjs', 'fetch', 'hono']) {
    const r = spawnSync('pnpm', ['--dir', `packages/${pkg}`, 'run', 'build'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    if (r.status !== 0) {
      process.stderr.write(r.stdout + r.stderr);
      throw new Error(`building packages/${pkg} failed; fix it or pass --no-build to use the existing dist`);
    }
  }
  console.log(`built packages in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function machine() {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    date: new Date().toISOString(),
    /** 1-minute load average at the start: other work on the machine competes with the benchmark. */
    loadAtStart: loadavg()[0],
    command: `pnpm bench ${args.join(' ')}`.trim(),
  };
}

async function main() {
  if (!flag('no-build')) build();
  const out = { mode, machine: machine() };
  const redis = await startRedis();
  if (redis === undefined) console.log('redis-server could not be started: Redis rows are skipped');
  try {
    if (soak) {
      const minutes = Number(value('soak', '10'));
      out.soak = await runSoak({ minutes, redisUrl: redis?.url });
      console.log(soakTable(out.soak));
    } else {
      if (sections.includes('micro')) {
        out.micro = await runChild('micro.mjs', [short ? '--short' : '--full'], {
          env: redis ? { BENCH_REDIS_URL: redis.url } : {},
        });
        console.log(microTable(out.micro));
      }
      if (sections.includes('memory')) {
        out.memory = [];
        for (const n of short ? [100_000] : [100_000, 1_000_000]) {
          out.memory.push(await runChild('memory.mjs', [String(n)], { execArgv: ['--expose-gc'] }));
        }
        console.log(memoryTable(out.memory));
      }
      if (sections.includes('pathological')) {
        out.pathological = await runPathological({ short });
        console.log(pathologicalTable(out.pathological));
        const over = out.pathological.rows.filter((r) => r.ratio >= MAX_RATIO);
        if (over.length > 0) process.exitCode = 1;
      }
      if (sections.includes('http')) {
        out.http = await runLoad({
          rounds: Number(value('rounds', short ? 2 : 5)),
          durationS: Number(value('duration', short ? 1.5 : 10)),
          warmupS: short ? 0.5 : 3,
          redisUrl: redis?.url,
          only: rowFilter,
        });
        console.log(httpTable(out.http));
      }
    }
  } finally {
    await redis?.stop();
  }
  out.machine.loadAtEnd = loadavg()[0];
  out.targets = evaluateTargets(out);
  console.log(`\nTargets (lib/targets.mjs; ratios from this run only):\n\n${targetsTable(out.targets)}\n`);
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  // A partial run (--only, --rows, --rounds, --duration) never overwrites a full run's record.
  const partial = ['only', 'rows', 'rounds', 'duration'].some(flag);
  const name = partial ? 'partial' : mode;
  const file = new URL(`./results/${name}.json`, import.meta.url);
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`results written to bench/results/${name}.json`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
