import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createMetrics, metricsFromEnv } from '../src/metrics.js';

const doc = readFileSync(fileURLToPath(new URL('../../../docs/reference/metrics.md', import.meta.url)), 'utf8');

describe('metrics', () => {
  it('TWOFA_METRICS: 1 on; unset, empty or 0 off; anything else a start-up error', () => {
    expect(metricsFromEnv({})).toBeUndefined();
    expect(metricsFromEnv({ TWOFA_METRICS: '' })).toBeUndefined();
    expect(metricsFromEnv({ TWOFA_METRICS: '0' })).toBeUndefined();
    expect(metricsFromEnv({ TWOFA_METRICS: '1' })).toBeDefined();
    expect(() => metricsFromEnv({ TWOFA_METRICS: 'true' })).toThrow(/TWOFA_METRICS must be 1 \(on\) or 0 \(off\)/);
  });

  it('docs/reference/metrics.md lists every twofa_ series the registry has, and no other', async () => {
    const metrics = createMetrics();
    metrics.onRedisConnection(true);
    const registered = (await metrics.registry.getMetricsAsJSON())
      .map((m) => m.name)
      .filter((n) => n.startsWith('twofa_'));
    const documented = [...doc.matchAll(/^\| `(twofa_\w+)/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(registered.sort());
  });

  it('keeps at most maxIdentities identity series, dropping the least recently counted', async () => {
    const metrics = createMetrics({ maxIdentities: 2 });
    const windows = [{ name: 'month', seconds: 2_592_000, limit: 10, remaining: 4, resetMs: 1000 }];
    for (const id of ['a', 'b', 'a', 'c']) {
      metrics.onEvent({
        type: 'generated',
        route: 'generate',
        status: 200,
        identityId: id,
        plan: 'metered',
        durationMs: 1,
        limiter: 'admitted',
        windows,
      });
    }
    const { body } = await metrics.scrape();
    const ids = [...body.matchAll(/^twofa_identity_quota_used_ratio\{identity="(\w+)"[^}]*\} ([\d.]+)$/gm)];
    expect(ids.map((m) => [m[1], Number(m[2])]).sort()).toEqual([
      ['a', 0.6],
      ['c', 0.6],
    ]);
  });
});
