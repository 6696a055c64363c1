#!/usr/bin/env node
// The consumer test: the published packages as a user gets them. Builds them, packs them with
// `pnpm pack`, then, in a temporary directory outside the workspace, installs the tarballs with npm
// (no workspace links) into these apps (`apps/`):
//   express-cjs      CommonJS Express 5 app using require()
//   koa-esm          ES module Koa 3 app with @koa/router and its own @koa/bodyparser
//   fastify-cjs      TypeScript Fastify 5 app, module nodenext, "type": "commonjs"
//   fastify-esm      the same source, "type": "module"
//   nestjs-express   TypeScript NestJS 12 app on @nestjs/platform-express, "type": "module"
//   nestjs-fastify   TypeScript NestJS 12 app on @nestjs/platform-fastify, its key store an injected service
//   hono-esm         a Hono 4 app, run on Node.js (@hono/node-server), on Bun and on Deno
//   fetch-bun        the fetch entry on Bun.serve (TypeScript, run by Bun)
//   fetch-deno       the fetch entry on Deno.serve (TypeScript, run by Deno)
//   nextjs           a Next.js App Router route handler, built once with `next build`, run with `next start`
// The TypeScript apps are type-checked with TypeScript 5.x `tsc` and run from its output. Each app
// must answer the API documentation's curl example (`curl -X POST -H "X-API-Key: ..." -d
// "secret=JBSWY3DPEHPK3PXP" .../api/2fa/generate`) with the RFC 6238 code, 401 without a key, then
// 429 after the free plan's 5 requests a minute.
// Node.js lines: each app is installed and compiled once, then run under the Node.js running this
// script and under each line of NODE_LINES (default 22, 24 and 26), each brought once from npm's
// `node@N` package (`npx -y node@N`) while the apps install. Only the run step repeats per line.
// Bun and Deno come from npm (`npx -y bun@1`, `npx -y deno@2`); the Bun, Deno and Next.js runs use
// the Node.js running this script only.
// Run by .ci/run; locally: `node internal/consumer-tests/run.mjs` (needs the npm registry, npm and
// curl; `NODE_LINES=` runs the current Node.js only). Prints one line per check and ends with
// `consumer: N passed, N failed`.
import { execFileSync, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const APPS = join(ROOT, 'internal', 'consumer-tests', 'apps');
const PACKAGES = ['core', 'fastify', 'koa', 'express', 'nestjs', 'fetch', 'hono'];
const SECRET = 'JBSWY3DPEHPK3PXP';
const KEY = 'consumer-free-key';
const FREE_PER_MINUTE = 5;
/** The Node.js lines every app also runs on, besides the one running this script. */
const NODE_LINES = (process.env.NODE_LINES ?? '22,24,26').split(',').filter((line) => line.trim() !== '');
/** What a user would install next to the kit (the frameworks' current majors, TypeScript 5.x). */
const FRAMEWORKS = {
  express: { express: '^5.1.0' },
  koa: { koa: '^3.0.0', '@koa/router': '^15.0.0', '@koa/bodyparser': '^6.0.0' },
  fastify: { fastify: '^5.0.0' },
  nestjs: { '@nestjs/common': '^12.0.0', '@nestjs/core': '^12.0.0', 'reflect-metadata': '^0.2.0', rxjs: '^7.8.0' },
  'nestjs-express': { '@nestjs/platform-express': '^12.0.0' },
  'nestjs-fastify': { '@nestjs/platform-fastify': '^12.0.0' },
  typescript: { typescript: '~5.9.0', '@types/node': '^20.19.0' },
};
/** What the Hono and Next.js apps install beside the kit. */
const WEB_FRAMEWORKS = {
  hono: { hono: '^4.9.0', '@hono/node-server': '^2.0.0' },
  next: { next: '^16.0.0', react: '^19.0.0', 'react-dom': '^19.0.0', '@types/react': '^19.0.0' },
};
/**
 * The other runtimes' executables, from npm (found once through `npx`, so stopping an app stops the
 * runtime itself: a signal to `npx` would not reach it).
 */
let runtimes;
function runtime(name) {
  runtimes ??= {
    bun: run('npx', ['-y', 'bun@1', '-e', 'console.log(process.execPath)']).trim(),
    deno: run('npx', ['-y', 'deno@2', 'eval', 'console.log(Deno.execPath())']).trim(),
  };
  return name === 'bun' ? [runtimes.bun] : [runtimes.deno, 'run', '-A'];
}

let passed = 0;
let failed = 0;
/** Seconds spent per step, printed at the end (what each Node.js line adds to CI). */
const timing = new Map();
function timed(step, since) {
  timing.set(step, (timing.get(step) ?? 0) + (performance.now() - since) / 1000);
}
function check(name, ok, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok || detail === '' ? '' : ` — ${detail}`}`);
}
/** The line of a failed command's output that names the error. */
function firstError(error) {
  const text = `${error.stderr ?? ''}${error.stdout ?? ''}` || String(error.message);
  return text.split('\n').find((line) => /Error|error TS/.test(line)) ?? text.slice(0, 300);
}
function run(cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30 s) of a Base32 secret at Unix time `seconds`. */
function totp(secretBase32, seconds) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretBase32) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => Number.parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(seconds / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(value).padStart(6, '0');
}

/** The documentation's curl example, with only the host and key replaced. */
function curlGenerate(port) {
  const out = run('curl', [
    '-sS',
    '-i',
    '-X',
    'POST',
    `http://127.0.0.1:${port}/api/2fa/generate`,
    '-H',
    `X-API-Key: ${KEY}`,
    '-H',
    'Content-Type: application/x-www-form-urlencoded',
    '-d',
    `secret=${SECRET}`,
  ]);
  const [head, body] = out.split(/\r?\n\r?\n/, 2);
  const status = Number(head.split(' ')[1]);
  const headers = Object.fromEntries(
    head
      .split(/\r?\n/)
      .slice(1)
      .map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  return { status, headers, body: JSON.parse(body) };
}

/**
 * Starts `command` in `cwd`, resolves with the port it prints (`listening on N`, or Next.js's `Ready`
 * on the port it was given), and a stop function.
 */
function start(cwd, command, port = 0) {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = command;
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, PORT: String(port), API_KEY: KEY, NEXT_TELEMETRY_DISABLED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => fail(new Error('no "listening on" line within 30 s')), 30_000);
    const fail = (error) => {
      clearTimeout(timer);
      child.kill();
      reject(new Error(`${error.message}\n${out}`));
    };
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (\d+)/.exec(out) ?? (port !== 0 && /Ready in/.test(out) ? [out, port] : null);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), output: () => out, stop: () => child.kill() });
      }
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('exit', (code) => fail(new Error(`exited with ${code}`)));
  });
}

/** A free TCP port on 127.0.0.1 (for `next start`, which needs one given). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Waits past a minute boundary when fewer than 5 s are left, so the free plan's minute holds all requests. */
async function awayFromMinuteEnd() {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 5_000) await new Promise((r) => setTimeout(r, left + 200));
}

async function exercise(name, cwd, entry, node, command = [node, entry], port = 0) {
  let app;
  try {
    app = await start(cwd, command, port);
  } catch (error) {
    check(`${name}: starts`, false, firstError({ stderr: error.message }));
    return;
  }
  try {
    check(`${name}: starts`, true);
    // A malformed JSON body without a key: 401 first, whatever the host's parser made of it.
    const noKey = run('curl', [
      '-sS',
      '-X',
      'POST',
      `http://127.0.0.1:${app.port}/api/2fa/generate`,
      '-H',
      'Content-Type: application/json',
      '-d',
      '{"secret":',
    ]);
    check(
      `${name}: a malformed body without a key is 401 Invalid or missing API key`,
      noKey === '{"code":401,"message":"Invalid or missing API key","data":null}',
      noKey,
    );
    await awayFromMinuteEnd();
    const first = curlGenerate(app.port);
    const ts = first.body.data?.timestamp;
    const okEnvelope =
      first.status === 200 && first.body.code === 200 && first.body.message === 'Code generated successfully';
    check(`${name}: curl example answers 200 in the envelope`, okEnvelope, JSON.stringify(first.body));
    check(
      `${name}: the code is the RFC 6238 code of the secret at data.timestamp`,
      typeof ts === 'number' && Math.abs(ts - Date.now() / 1000) < 60 && first.body.data.code === totp(SECRET, ts),
      JSON.stringify(first.body.data),
    );
    const statuses = [first.status];
    let last = first;
    for (let i = 1; i <= FREE_PER_MINUTE; i++) {
      last = curlGenerate(app.port);
      statuses.push(last.status);
    }
    const expected = [...Array(FREE_PER_MINUTE).fill(200), 429];
    const retry = Number(last.headers['retry-after']);
    check(
      `${name}: 429 Rate limit exceeded after the free plan's ${FREE_PER_MINUTE} a minute`,
      JSON.stringify(statuses) === JSON.stringify(expected) &&
        last.body.message === 'Rate limit exceeded' &&
        retry >= 1 &&
        last.body.data?.retry_after === retry,
      `statuses ${statuses}, last ${JSON.stringify(last.body)}`,
    );
  } finally {
    app.stop();
  }
}

/** The Node.js of one line from npm's `node@N` package, brought once: `{ line, path, version }`. */
async function nodeLine(line) {
  const { code, output } = await command('npx', [
    '-y',
    `node@${line}`,
    '-p',
    'process.version + " " + process.execPath',
  ]);
  const [version, path] = output.trim().split('\n').pop().split(' ');
  return code === 0 && version?.startsWith(`v${line}.`) ? { line, version, path } : { line, error: output };
}

/** `npm install` in `dir`, without blocking: resolves with its exit code and output. */
function npmInstall(dir) {
  return command('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], dir);
}

/** Runs a command without blocking: resolves with its exit code and output. */
function command(cmd, args, cwd) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    child.on('error', (error) => resolve({ code: 1, output: String(error) }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

function packageJson(name, type, dependencies) {
  return `${JSON.stringify({ name, version: '1.0.0', private: true, type, dependencies }, null, 2)}\n`;
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'twofa-consumer-'));
  try {
    // 1. Build and pack, as a release would.
    let since = performance.now();
    for (const p of PACKAGES) run('pnpm', ['run', 'build'], join(ROOT, 'packages', p));
    const tarballs = join(work, 'tarballs');
    mkdirSync(tarballs);
    for (const p of PACKAGES) run('pnpm', ['pack', '--pack-destination', tarballs], join(ROOT, 'packages', p));
    const tgz = Object.fromEntries(
      PACKAGES.map((p) => [
        p,
        join(
          tarballs,
          readdirSync(tarballs).find((f) => f.startsWith(`twofa-kit-${p}-`)),
        ),
      ]),
    );
    for (const p of PACKAGES) {
      const files = run('tar', ['-tzf', tgz[p]]).split('\n');
      const manifest = JSON.parse(run('tar', ['-xzOf', tgz[p], 'package/package.json']));
      const need = ['package/LICENSE', 'package/README.md', 'package/dist/index.js', 'package/dist/index.cjs'];
      check(
        `@twofa-kit/${p}: tarball has LICENSE, README.md and both entries; no workspace: ranges`,
        need.every((f) => files.includes(f)) && !JSON.stringify(manifest).includes('workspace:'),
        `${need.filter((f) => !files.includes(f))} ${JSON.stringify(manifest.dependencies ?? {})}`,
      );
    }
    const kit = (...names) => Object.fromEntries(names.map((n) => [`@twofa-kit/${n}`, `file:${tgz[n]}`]));

    timed('build and pack', since);

    // 2. The apps, outside the workspace, installed by npm.
    const typescript = (name, type, from, kitNames, frameworks) => ({
      name,
      type,
      from,
      kit: `@twofa-kit/${kitNames[1]}`,
      deps: { ...kit(...kitNames), ...frameworks, ...FRAMEWORKS.typescript },
      typescript: true,
    });
    const apps = [
      {
        name: 'express-cjs',
        type: 'commonjs',
        from: 'express-cjs',
        deps: { ...kit('core', 'express'), ...FRAMEWORKS.express },
      },
      { name: 'koa-esm', type: 'module', from: 'koa-esm', deps: { ...kit('core', 'koa'), ...FRAMEWORKS.koa } },
      ...['commonjs', 'module'].map((type) =>
        typescript(`fastify-${type === 'module' ? 'esm' : 'cjs'}`, type, 'fastify-ts', ['core', 'fastify'], {
          ...FRAMEWORKS.fastify,
        }),
      ),
      ...['express', 'fastify'].map((platform) =>
        typescript(`nestjs-${platform}`, 'module', `nestjs-${platform}`, ['core', 'nestjs', platform], {
          ...FRAMEWORKS.nestjs,
          ...FRAMEWORKS[`nestjs-${platform}`],
        }),
      ),
      {
        name: 'hono-esm',
        type: 'module',
        from: 'hono-esm',
        deps: { ...kit('core', 'hono'), ...WEB_FRAMEWORKS.hono },
        entry: 'node.mjs',
        runs: [
          { name: 'hono-esm on Bun', entry: 'bun.mjs', command: () => [...runtime('bun'), 'bun.mjs'] },
          { name: 'hono-esm on Deno', entry: 'deno.mjs', command: () => [...runtime('deno'), 'deno.mjs'] },
        ],
      },
      {
        name: 'fetch-bun',
        type: 'module',
        from: 'fetch-bun',
        deps: kit('core', 'fetch'),
        onlyRuns: true,
        runs: [{ name: 'fetch-bun on Bun.serve', entry: 'server.ts', command: () => [...runtime('bun'), 'server.ts'] }],
      },
      {
        name: 'fetch-deno',
        type: 'module',
        from: 'fetch-deno',
        deps: kit('core', 'fetch'),
        onlyRuns: true,
        runs: [
          { name: 'fetch-deno on Deno.serve', entry: 'server.ts', command: () => [...runtime('deno'), 'server.ts'] },
        ],
      },
      {
        name: 'nextjs',
        type: 'module',
        from: 'nextjs',
        deps: { ...kit('core', 'fetch'), ...WEB_FRAMEWORKS.next, ...FRAMEWORKS.typescript },
        next: true,
      },
    ];
    // The installs and the Node.js lines wait on the network: all at once.
    since = performance.now();
    const [installs, lines] = await Promise.all([
      Promise.all(
        apps.map((app) => {
          const dir = join(work, app.name);
          cpSync(join(APPS, app.from), dir, { recursive: true });
          writeFileSync(join(dir, 'package.json'), packageJson(app.name, app.type, app.deps));
          return npmInstall(dir);
        }),
      ),
      Promise.all(NODE_LINES.map(nodeLine)),
    ]);
    timed('npm install and Node.js lines', since);
    const nodes = [{ version: process.version, path: process.execPath }];
    for (const line of lines) {
      check(`Node.js ${line.line} from npm's node@${line.line}`, line.error === undefined, line.error);
      if (line.error === undefined) nodes.push(line);
    }
    for (const [i, app] of apps.entries()) {
      const dir = join(work, app.name);
      const install = installs[i];
      if (install.code !== 0) {
        check(`${app.name}: npm install`, false, install.output);
        continue;
      }
      if (app.next) {
        // One `next build` (it type-checks the route with the app's TypeScript), then `next start`.
        const next = join(dir, 'node_modules/next/dist/bin/next');
        try {
          run(process.execPath, [next, 'build'], dir);
          check(`${app.name}: next build`, true);
        } catch (error) {
          check(`${app.name}: next build`, false, String(error.stdout || error.message).slice(-2000));
          continue;
        }
        const port = await freePort();
        const command = [process.execPath, next, 'start', '-H', '127.0.0.1', '-p', String(port)];
        await exercise(`${app.name} (next start)`, dir, undefined, process.execPath, command, port);
        continue;
      }
      for (const extra of app.runs ?? []) {
        await exercise(extra.name, dir, extra.entry, undefined, extra.command());
      }
      if (app.onlyRuns) continue;
      let entry = app.entry ?? 'app.js';
      since = performance.now();
      if (app.typescript) {
        const version = run(process.execPath, [join(dir, 'node_modules/typescript/bin/tsc'), '--version'], dir).trim();
        try {
          run(process.execPath, [join(dir, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], dir);
          const emitted = readFileSync(join(dir, 'dist/app.js'), 'utf8');
          const cjs = new RegExp(`require\\(["']${app.kit}["']\\)`).test(emitted);
          const esm = new RegExp(`from ["']${app.kit}["']`).test(emitted);
          check(
            `${app.name}: type-checks with ${version} (module nodenext) and emits ${app.type === 'module' ? 'import' : 'require()'}`,
            app.type === 'module' ? esm && !cjs : cjs && !esm,
          );
        } catch (error) {
          check(`${app.name}: type-checks with ${version}`, false, String(error.stdout || error.message));
          continue;
        }
        entry = 'dist/app.js';
      }
      timed('tsc', since);
      // Installed and compiled once; run under each Node.js line.
      for (const node of nodes) {
        const name = `${app.name} on Node.js ${node.version}`;
        since = performance.now();
        // require() and import() give the same module: one copy of the code and of its state.
        let same;
        try {
          same = run(
            node.path,
            [
              '-e',
              `const c = require('@twofa-kit/core'); import('@twofa-kit/core').then((e) => console.log(e.createTwoFa === c.createTwoFa && e.MemoryStore === c.MemoryStore && e.TwoFaError === c.TwoFaError))`,
            ],
            dir,
          ).trim();
        } catch (error) {
          same = firstError(error);
        }
        check(`${name}: require() and import() of @twofa-kit/core give one instance`, same === 'true', same);
        await exercise(name, dir, entry, node.path);
        timed(`runs on ${node.version}`, since);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`consumer: seconds per step: ${[...timing].map(([step, s]) => `${step} ${s.toFixed(1)}`).join(', ')}`);
  console.log(`consumer: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

await main();
