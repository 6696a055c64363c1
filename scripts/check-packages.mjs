#!/usr/bin/env node
// Checks the published packages as npm would ship them (run after `pnpm build`):
// `publint --strict` (package.json, exports, files) and `attw --pack` (types for every module
// resolution: node10, node16 from CommonJS and from ES modules, bundler). Any problem, or a
// warning or suggestion of either, fails the run.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'node_modules', '.bin');
let failed = 0;
for (const name of ['core', 'fastify', 'koa', 'express', 'nestjs', 'fetch', 'hono']) {
  const dir = join(ROOT, 'packages', name);
  for (const [tool, args, clean] of [
    ['publint', ['--strict'], /All good!/],
    ['attw', ['--pack', '.'], /No problems found/],
  ]) {
    const run = spawnSync(join(BIN, tool), args, { cwd: dir, encoding: 'utf8' });
    const output = `${run.stdout}${run.stderr}`;
    const ok = run.status === 0 && clean.test(output);
    if (!ok) {
      failed++;
      console.log(output);
    }
    console.log(`${ok ? 'ok  ' : 'FAIL'} @twofa-kit/${name}: ${tool} ${args.join(' ')}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
