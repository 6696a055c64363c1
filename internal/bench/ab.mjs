/**
 * `node ab.mjs <rounds> <seconds> <server>[:ENV=value,...] ...` — an A/B run of benchmark servers
 * (`servers.mjs` names, the `diag-…` ones included), each variant in its own child process with
 * its own environment, alternated round by round under the benchmark's load. Prints each
 * variant's median req/s and server CPU per request with every round's figures, e.g.
 *
 *   node ab.mjs 6 3 fastify-bare diag-fastify-bare-headers
 *
 * For measuring one change against another; the table rows and targets are `pnpm bench`'s.
 */
import { spawnServer } from './lib/children.mjs';
import { cannon } from './lib/load.mjs';
import { median } from './lib/targets.mjs';

const [rounds, seconds, ...variants] = process.argv.slice(2);
if (variants.length === 0) throw new Error('usage: node ab.mjs <rounds> <seconds> <server>[:ENV=value,...] ...');
const servers = [];
try {
  for (const variant of variants) {
    const [name, envs = ''] = variant.split(':');
    const env = Object.fromEntries(
      envs
        .split(',')
        .filter(Boolean)
        .map((e) => e.split('=')),
    );
    const server = await spawnServer(name, { env });
    if (server.unavailable) throw new Error(`${name}: ${server.unavailable}`);
    await cannon(server.port, 1.5); // warm-up
    servers.push({ variant, server, rps: [], cpu: [] });
  }
  for (let r = 0; r < Number(rounds); r++) {
    for (const s of servers) {
      const before = await s.server.cpu();
      const result = await cannon(s.server.port, Number(seconds));
      const after = await s.server.cpu();
      s.rps.push(result['2xx'] / result.duration);
      s.cpu.push((after.cpu - before.cpu) / result['2xx']);
    }
  }
  for (const s of servers) {
    console.log(
      `${s.variant.padEnd(40)} ${Math.round(median(s.rps)).toString().padStart(6)} req/s  ${median(s.cpu).toFixed(1).padStart(6)} µs/req  rounds: ${s.cpu.map((c) => c.toFixed(0)).join(' ')} | ${s.rps.map(Math.round).join(' ')}`,
    );
  }
} finally {
  await Promise.all(servers.map((s) => s.server.stop()));
}
