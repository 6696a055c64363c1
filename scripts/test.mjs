#!/usr/bin/env node
// Runs the whole vitest suite and ends with one line `N passed, N failed` (from vitest's JSON
// results), so an empty or partial run is visible. Extra arguments go to vitest.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const out = join(process.cwd(), '.vitest-out');
mkdirSync(out, { recursive: true });
const results = join(out, 'results.json');
rmSync(results, { force: true });

const run = spawnSync(
  process.execPath,
  [
    join(process.cwd(), 'node_modules/vitest/vitest.mjs'),
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${results}`,
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
);

let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(results)) {
  const json = JSON.parse(readFileSync(results, 'utf8'));
  passed = json.numPassedTests ?? 0;
  failed = (json.numFailedTests ?? 0) + (json.numFailedTestSuites ?? 0);
  skipped = (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
} else {
  failed = 1;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(run.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
