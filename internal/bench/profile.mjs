/**
 * `node profile.mjs <server> [seconds]` — runs one benchmark server under `node --cpu-prof` with
 * the benchmark's load, then prints the top self-time functions (and writes the .cpuprofile under
 * results/profiles/ for Chrome DevTools or speedscope).
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnServer } from './lib/children.mjs';
import { cannon } from './lib/load.mjs';
import { startRedis } from './lib/redis.mjs';

const name = process.argv[2] ?? 'fastify-kit';
const seconds = Number(process.argv[3] ?? 10);
const dir = fileURLToPath(new URL(`./results/profiles/${name}-${Date.now()}/`, import.meta.url));
mkdirSync(dir, { recursive: true });

const redis = name.includes('redis') ? await startRedis() : undefined;
const server = await spawnServer(name, {
  execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
  env: redis ? { BENCH_REDIS_URL: redis.url } : {},
});
if (server.unavailable) throw new Error(server.unavailable);
const warm = await cannon(server.port, 2); // warm-up, inside the profile too but short
const result = await cannon(server.port, seconds);
const requests = warm['2xx'] + result['2xx'] + warm.non2xx + result.non2xx;
await server.stop();
await redis?.stop();
console.log(`${name}: ${Math.round(result['2xx'] / result.duration)} req/s under the profiler`);

const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
const profile = JSON.parse(readFileSync(dir + file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i++) {
  const node = byId.get(profile.samples[i]);
  const { functionName, url, lineNumber } = node.callFrame;
  const where = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/packages\//, '')}:${lineNumber + 1}`;
  self.set(where, (self.get(where) ?? 0) + (dt[i] ?? 0));
}
// Inclusive time of the kit's own functions (each function counted once per sample).
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (node) => {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/packages\//, '')}:${lineNumber + 1}`;
};
const inclusive = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const seen = new Set();
  for (let id = profile.samples[i]; id !== undefined; id = parent.get(id)) {
    const node = byId.get(id);
    if (!/packages\/(core|fastify|koa|express)\/dist/.test(node.callFrame.url)) continue;
    const key = label(node);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + (dt[i] ?? 0));
  }
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[4] ?? 30));
for (const [where, us] of top) console.log(`${((us / total) * 100).toFixed(1).padStart(5)} %  ${where}`);
// Self time by category, in µs per request (profiled wall time: includes time preempted in syscalls).
const classify = (c) => {
  const u = c.url;
  const f = c.functionName;
  if (f === '(idle)') return 'idle';
  if (f === '(garbage collector)') return 'GC';
  if (/^(writev|writeUtf8String|writeBuffer|writevGeneric|writeGeneric)$/.test(f)) return 'socket writes';
  if (f === '(program)') return 'program';
  if (/packages\/core\/dist/.test(u)) return 'kit core JS';
  if (/packages\/(fastify|koa|express)\/dist/.test(u)) return 'kit adapter JS';
  if (/node:internal\/crypto|node:crypto/.test(u)) return 'node:crypto';
  if (/otplib/.test(u)) return 'otplib';
  if (/lru-cache/.test(u)) return 'lru-cache';
  if (/node_modules\/(fastify|avvio|find-my-way|@fastify|koa|@koa|express|router|body-parser)/.test(u))
    return 'framework';
  if (/_http|node:internal\/http|node:http/.test(u)) return 'node http';
  if (/stream|node:events/.test(u)) return 'node streams/events';
  if (/task_queues|promises|timers/.test(u) || f === 'runMicrotasks') return 'ticks/microtasks';
  if (f.startsWith('RegExp')) return 'regexp';
  return u === '' ? 'native/builtins' : 'other JS';
};
const categories = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const k = classify(byId.get(profile.samples[i]).callFrame);
  categories.set(k, (categories.get(k) ?? 0) + (dt[i] ?? 0));
}
console.log(`\nself time by category (${requests} requests profiled):`);
for (const [k, us] of [...categories.entries()].sort((a, b) => b[1] - a[1])) {
  console.log(`${(us / requests).toFixed(1).padStart(7)} µs/req  ${k}`);
}
console.log("\ninclusive time of the kit's functions:");
for (const [where, us] of [...inclusive.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`${((us / total) * 100).toFixed(1).padStart(5)} %  ${where}`);
}
console.log(`profile: ${dir}${file}`);
