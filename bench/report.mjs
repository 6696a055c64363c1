/**
 * `node report.mjs` — rewrites the generated part of ../BENCHMARKS.md (between the
 * `<!-- generated:start -->` and `<!-- generated:end -->` markers) from results/full.json and
 * results/soak.json, and redraws ratios.svg. Everything else in BENCHMARKS.md is prose.
 */

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { httpTable, memoryTable, microTable, soakTable } from './lib/format.mjs';

const read = (name) => {
  const url = new URL(`./results/${name}.json`, import.meta.url);
  return existsSync(url) ? JSON.parse(readFileSync(url, 'utf8')) : undefined;
};
const full = read('full');
const soak = read('soak');
if (full === undefined) throw new Error('run `pnpm bench` first (results/full.json is missing)');

/** The issue's targets, each with what this run measured and the gap when missed. */
function targetsTable() {
  const row = (name) => full.http?.rows.find((r) => r.name === name);
  const lines = ['| target | measured | verdict |', '|---|--:|---|'];
  const add = (label, value, target, fmt = (x) => x.toFixed(2), lowerIsBetter = false) => {
    if (value === undefined || value === null) return lines.push(`| ${label} | not measured | |`);
    const met = lowerIsBetter ? value <= target : value >= target;
    const gap = lowerIsBetter
      ? `${fmt(value - target)} over`
      : `short by ${(((target - value) / target) * 100).toFixed(0)} %`;
    lines.push(`| ${label} | ${fmt(value)} | ${met ? 'met' : `**missed** (${gap})`} |`);
  };
  add('Fastify + kit (memory) ≥ 0.75 × bare Fastify', row('fastify-kit')?.ratio, 0.75);
  add('Fastify + kit (Redis) ≥ 0.60 × bare Fastify', row('fastify-kit-redis')?.ratio, 0.6);
  add('Fastify + kit (Redis) ≥ 1.6 × the rate-limiter-flexible stack', row('fastify-kit-redis')?.vsPeer, 1.6);
  add('Koa + kit ≥ 0.80 × bare Koa', row('koa-kit')?.ratio, 0.8);
  add('Express + kit ≥ 0.80 × bare Express', row('express-kit')?.ratio, 0.8);
  const totp = full.micro?.totp.find((t) => t.label.startsWith('core totpAt (engine node)'));
  add('core TOTP ≥ 0.8 × raw node:crypto HMAC', totp?.ratio, 0.8);
  const mem = full.memory?.find((x) => x.n === 1_000_000);
  add('MemoryStore ≤ 300 B / identity at 1M', mem?.perIdentity, 300, (x) => `${x.toFixed(0)} B`, true);
  if (soak !== undefined) {
    const growth = (soak.soak.heapEnd - soak.soak.heapAt1Min) / soak.soak.heapAt1Min;
    const max = (soak.soak.heapMax - soak.soak.heapAt1Min) / soak.soak.heapAt1Min;
    lines.push(
      `| no heap growth over the soak | end ${(growth * 100).toFixed(1)} %, max ${(max * 100).toFixed(1)} % vs 1 min | ${growth <= 0.05 ? 'met' : '**missed**'} |`,
    );
  }
  return lines.join('\n');
}

const m = full.machine;
const sections = [
  `Machine: ${m.cpu}, ${m.cores} cores (\`nproc\`), Node ${m.node}. Command: \`${m.command}\`. Date: ${m.date}.` +
    (m.loadAtStart === undefined
      ? ''
      : ` Load average (1 min) at start / end: ${m.loadAtStart.toFixed(1)} / ${m.loadAtEnd.toFixed(1)} — the machine was shared with other work.`),
  '',
  '### Targets',
  '',
  targetsTable(),
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

const file = new URL('../BENCHMARKS.md', import.meta.url);
const text = readFileSync(file, 'utf8');
const start = '<!-- generated:start -->';
const end = '<!-- generated:end -->';
const a = text.indexOf(start);
const b = text.indexOf(end);
if (a < 0 || b < a) throw new Error('BENCHMARKS.md has no generated:start/end markers');
writeFileSync(file, `${text.slice(0, a + start.length)}\n${generated}\n${text.slice(b)}`);
execFileSync(process.execPath, [new URL('./chart.mjs', import.meta.url).pathname], { stdio: 'inherit' });
console.log('BENCHMARKS.md updated');
