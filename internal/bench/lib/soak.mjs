/**
 * Soak: steady load on Fastify + kit (memory store) for N minutes. Every 10 s the server runs a full
 * GC and reports heapUsed, so the samples show retained memory, not garbage not yet collected.
 */
import { spawnServer } from './children.mjs';
import { CONNECTIONS, cannon } from './load.mjs';

const SAMPLE_S = 10;

export async function runSoak({ minutes, server = 'fastify-kit', log = console.log }) {
  const s = await spawnServer(server, { execArgv: ['--expose-gc'] });
  if (s.unavailable) throw new Error(`soak needs ${server}: ${s.unavailable}`);
  const samples = [];
  const started = Date.now();
  try {
    const load = cannon(s.port, minutes * 60);
    const timer = setInterval(async () => {
      const m = await s.heap();
      const t = Math.round((Date.now() - started) / 1000);
      samples.push({ t, heap: m.heap, rss: m.rss });
      log(`  soak t=${t}s heap ${(m.heap / 1e6).toFixed(2)} MB rss ${(m.rss / 1e6).toFixed(1)} MB`);
    }, SAMPLE_S * 1000);
    const result = await load;
    clearInterval(timer);
    const end = await s.heap();
    samples.push({ t: Math.round((Date.now() - started) / 1000), heap: end.heap, rss: end.rss });
    const first = samples.find((x) => x.t >= 60) ?? samples[0];
    const after = samples.filter((x) => x.t >= first.t);
    return {
      server,
      minutes,
      connections: CONNECTIONS,
      sampleS: SAMPLE_S,
      requests: result['2xx'],
      non2xx: result.non2xx,
      rps: result['2xx'] / result.duration,
      heapAt1Min: first.heap,
      heapEnd: end.heap,
      heapMin: Math.min(...after.map((x) => x.heap)),
      heapMax: Math.max(...after.map((x) => x.heap)),
      rssEnd: end.rss,
      samples,
    };
  } finally {
    await s.stop();
  }
}
