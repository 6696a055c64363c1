// `pnpm start`: checks the environment the way the other examples do (one line and exit 1 when it
// is wrong), builds the app with `next build` when the build is missing or older than its sources,
// then runs `next start` on HOST and PORT and prints the same start-up message as the other
// examples once Next.js is ready. Demo keys made here are handed to the server in TWOFA_API_KEYS.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { configFromEnv, metricsAddressFromEnv, metricsFromEnv, startupMessage } from '@twofa-kit/example-support';

const here = import.meta.dirname;
const next = join(here, 'node_modules', 'next', 'dist', 'bin', 'next');

let config;
let withMetrics;
try {
  config = configFromEnv();
  withMetrics = metricsFromEnv() !== undefined;
  if (withMetrics) metricsAddressFromEnv();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

/** The newest modification time under `path` (a file or a directory). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = 0;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

const buildId = join(here, '.next', 'BUILD_ID');
const sources = ['app', 'lib', 'instrumentation.ts', 'next.config.mjs', 'package.json'].map((p) => join(here, p));
// The kit's own builds too, so a change to the packages is picked up.
for (const dir of ['packages/core/dist', 'packages/fetch/dist', 'internal/example-support/dist']) {
  sources.push(join(here, '..', '..', dir));
}
if (!existsSync(buildId) || statSync(buildId).mtimeMs < Math.max(...sources.map(newest))) {
  const build = spawnSync(process.execPath, [next, 'build'], { cwd: here, stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) {
    console.error('next build failed');
    process.exit(1);
  }
}

/** PORT=0: a free port, found by listening on one and letting it go. */
function freePort(host) {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}
const port = config.port === 0 ? await freePort(config.host) : config.port;

const env = { ...process.env, PORT: String(port), NEXT_TELEMETRY_DISABLED: '1' };
if (config.demoKeys !== undefined) env.TWOFA_API_KEYS = config.demoKeys.map((k) => `${k.key}:${k.plan}`).join(',');
const child = spawn(process.execPath, [next, 'start', '-H', config.host, '-p', String(port)], {
  cwd: here,
  env,
  stdio: ['ignore', 'pipe', 'inherit'],
});

// Next.js's own banner is held back; the start-up message is the first line, once it is ready.
let banner = '';
let ready = false;
child.stdout.setEncoding('utf8').on('data', (text) => {
  if (ready) return void process.stdout.write(text);
  banner += text;
  // With TWOFA_METRICS=1 the kit (built when the server starts, `instrumentation.ts`) prints where
  // its metrics listen, just after Next.js is ready: the message waits for that line too.
  if (/Ready in/.test(banner) && (!withMetrics || /Prometheus metrics on/.test(banner))) {
    ready = true;
    const metricsUrl = /Prometheus metrics on (\S+)/.exec(banner)?.[1];
    console.log(startupMessage('nextjs', config.host, port, config.demoKeys, metricsUrl));
  }
});

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    stopping = true;
    child.kill(signal);
  });
}
child.on('exit', (code) => {
  if (!ready) process.stderr.write(banner);
  process.exit(stopping ? 0 : (code ?? 1));
});
