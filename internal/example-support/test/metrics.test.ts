import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createMetrics, metricsAddressFromEnv, metricsFromEnv, metricsServer } from '../src/metrics.js';

const doc = readFileSync(fileURLToPath(new URL('../../../docs/reference/metrics.md', import.meta.url)), 'utf8');

describe('metrics', () => {
  it('TWOFA_METRICS: 1 on; unset, empty or 0 off; anything else a start-up error', () => {
    expect(metricsFromEnv({})).toBeUndefined();
    expect(metricsFromEnv({ TWOFA_METRICS: '' })).toBeUndefined();
    expect(metricsFromEnv({ TWOFA_METRICS: '0' })).toBeUndefined();
    expect(metricsFromEnv({ TWOFA_METRICS: '1' })).toBeDefined();
    expect(() => metricsFromEnv({ TWOFA_METRICS: 'true' })).toThrow(/TWOFA_METRICS must be 1 \(on\) or 0 \(off\)/);
  });

  it('TWOFA_METRICS_ADDR: host:port of their own, loopback by default; anything else a start-up error', () => {
    expect(metricsAddressFromEnv({})).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(metricsAddressFromEnv({ TWOFA_METRICS_ADDR: '10.0.0.5:9100' })).toEqual({ host: '10.0.0.5', port: 9100 });
    expect(metricsAddressFromEnv({ TWOFA_METRICS_ADDR: '[::1]:0' })).toEqual({ host: '::1', port: 0 });
    for (const bad of ['9464', ':9464', '127.0.0.1:', '127.0.0.1:99999', 'host:port', '[::1:9464']) {
      expect(() => metricsAddressFromEnv({ TWOFA_METRICS_ADDR: bad })).toThrow(/TWOFA_METRICS_ADDR must be host:port/);
    }
  });

  it('metricsServer answers GET /metrics and nothing else', async () => {
    const server = metricsServer(createMetrics());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('process_cpu_user_seconds_total');
      expect((await fetch(`${base}/api/2fa/generate`)).status).toBe(404);
      expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(404);
    } finally {
      server.close();
    }
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
