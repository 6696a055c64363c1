/**
 * `node report.mjs` — rewrites the generated part of ../BENCHMARKS.md (between the
 * `<!-- generated:start -->` and `<!-- generated:end -->` markers) from results/full.json and
 * results/soak.json, and redraws ratios.svg. Everything else in BENCHMARKS.md is prose. The
 * targets table comes from lib/targets.mjs, as in run.mjs's printout.
 */

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { httpTable, memoryTable, microTable, soakTable } from './lib/format.mjs';
import { evaluateTargets, targetsTable } from './lib/targets.mjs';

const read = (name) => {
  const url = new URL(`./results/${name}.json`, import.meta.url);
  return existsSync(url) ? JSON.parse(readFileSync(url, 'utf8')) : undefined;
};
const full = read('full');
const soak = read('soak');
if (full === undefined) throw new Error('run `pnpm bench` first (results/full.json is missing)');

const m = full.machine;
const sections = [
  `Machine: ${m.cpu}, ${m.cores} cores (\`nproc\`), Node ${m.node}. Command: \`${m.command}\`. Date: ${m.date}.` +
    (m.loadAtStart === undefined
      ? ''
      : ` Load average (1 min) at start / end: ${m.loadAtStart.toFixed(1)} / ${m.loadAtEnd.toFixed(1)} — the machine was shared with other work.`),
  '',
  '### Targets',
  '',
  // The targets of lib/targets.mjs, measured by the full run and the soak.
  targetsTable(evaluateTargets({ ...full, soak: soak?.soak })),
  '',
  '### HTTP: POST /api/2fa/generate, form bodies, 10,000 secrets × 100 keys',
  '',
  httpTable(full.http),
  '',
  '![ratios](bench/ratios.svg)',
  '',
  '### Micro-benchmarks',
  '',
  microTable(full.micro),
  '',
  '### MemoryStore bytes per identity',
  '',
  memoryTable(full.memory),
];
if (soak !== undefined) {
  sections.push(
    '',
    '### Soak',
    '',
    `Command: \`${soak.machine.command}\`. Date: ${soak.machine.date}.`,
    '',
    soakTable(soak.soak),
  );
}
const generated = sections.join('\n');

const file = new URL('../../BENCHMARKS.md', import.meta.url);
const text = readFileSync(file, 'utf8');
const start = '<!-- generated:start -->';
const end = '<!-- generated:end -->';
const a = text.indexOf(start);
const b = text.indexOf(end);
if (a < 0 || b < a) throw new Error('BENCHMARKS.md has no generated:start/end markers');
writeFileSync(file, `${text.slice(0, a + start.length)}\n${generated}\n${text.slice(b)}`);
execFileSync(process.execPath, [new URL('./chart.mjs', import.meta.url).pathname], { stdio: 'inherit' });
console.log('BENCHMARKS.md updated');
