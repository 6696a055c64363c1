/** Markdown tables of the results (printed by run.mjs, pasted into BENCHMARKS.md by report.mjs). */
import { evaluateTargets, PEER_TARGETS, TARGETS } from './targets.mjs';

const n0 = (x) => Math.round(x).toLocaleString('en-US');
const ratio = (x) => (x === null || x === undefined ? '—' : x.toFixed(2));

export function httpTable(http) {
  // The target column and the peer lines show the verdicts of targets.mjs, as the targets table does.
  const verdicts = new Map(evaluateTargets({ http }).map((l) => [l.id, l]));
  // Rows warmed up longer than the others (load.mjs `warmupFactor`), named with their warm-up.
  const longer = http.rows
    .filter((r) => r.warmupS > http.warmupS)
    .map((r) => `; ${r.name} ${r.warmupS} s`)
    .join('');
  const lines = [
    `${http.connections} connections, ${http.rounds} alternating rounds × ${http.durationS} s per row (after a ${http.warmupS} s warm-up${longer}); medians over rounds; ratio = median of per-round (row ÷ its framework's bare route).`,
    '',
    '| row | req/s | p50 ms | p99 ms | ratio to bare | target | server CPU µs/req | non-2xx |',
    '|---|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of http.rows) {
    const t = TARGETS.find((x) => x.vsBare && x.row === r.name);
    const v = t && verdicts.get(t.id);
    const target = v ? `≥ ${v.target.toFixed(2)} ${v.verdict === 'missed' ? '**missed**' : v.verdict}` : '';
    lines.push(
      `| ${r.label} | ${n0(r.rps)} | ${r.p50} | ${r.p99} | ${ratio(r.ratio)} | ${target} | ${r.cpuUs.toFixed(0)} | ${r.non2xx + r.errors} |`,
    );
  }
  for (const t of PEER_TARGETS) {
    const v = verdicts.get(t.id);
    if (v.measured === null) continue;
    const label = (name) => http.rows.find((r) => r.name === name).label;
    lines.push(
      '',
      `${label(t.row)} ÷ ${label(t.peer)}, median of per-round req/s ratios: **${v.measured.toFixed(2)}** (target ≥ ${v.target.toFixed(2)} ${v.verdict}).`,
    );
  }
  for (const s of http.skipped) lines.push('', `Not measured: ${s.label} — ${s.reason}.`);
  return lines.join('\n');
}

export function microTable(micro) {
  const lines = ['| micro-benchmark | ops/s | ratio |', '|---|--:|--:|'];
  for (const r of micro.totp) lines.push(`| ${r.label} | ${n0(r.ops)} | ${ratio(r.ratio)} |`);
  for (const r of micro.stores) lines.push(`| ${r.label} | ${n0(r.ops)} | ${ratio(r.ratio)} |`);
  for (const s of micro.skipped ?? []) lines.push(`| ${s} | not measured | |`);
  for (const r of micro.handle ?? [])
    lines.push(`| ${r.label} | ${n0(r.ops)} (${r.usPerCall.toFixed(1)} µs each) | ${ratio(r.ratio)} |`);
  return lines.join('\n');
}

export function memoryTable(memory) {
  const lines = [
    '| MemoryStore identities | heap delta | bytes / identity | id string (held by the key store, not counted) |',
    '|--:|--:|--:|--:|',
  ];
  for (const m of memory) {
    lines.push(
      `| ${n0(m.n)} | ${(m.bytes / 1e6).toFixed(1)} MB | ${m.perIdentity.toFixed(0)} | ${m.idBytesPerIdentity.toFixed(0)} |`,
    );
  }
  return lines.join('\n');
}

export function soakTable(soak) {
  const mb = (x) => `${(x / 1e6).toFixed(2)} MB`;
  return [
    `Soak: ${soak.minutes} min of steady load on ${soak.server} (${soak.connections} connections), ${n0(soak.requests)} requests (${n0(soak.rps)} req/s), heap after a full GC every ${soak.sampleS} s.`,
    '',
    '| heap after 1 min | heap at end | change | min … max after 1 min | RSS at end |',
    '|--:|--:|--:|--:|--:|',
    `| ${mb(soak.heapAt1Min)} | ${mb(soak.heapEnd)} | ${(((soak.heapEnd - soak.heapAt1Min) / soak.heapAt1Min) * 100).toFixed(1)} % | ${mb(soak.heapMin)} … ${mb(soak.heapMax)} | ${mb(soak.rssEnd)} |`,
  ].join('\n');
}
