/**
 * What the benchmark servers (`bench/servers.mjs`, `bench/diagnostic-servers.mjs`) build on: the
 * kit's options over the workload's keys and plans, a Fastify app, the raw form parser.
 */
import { keyTable, PLANS } from './workload.mjs';

export function kitOptions(extra = {}) {
  return import('@twofa-kit/core').then(({ staticKeys }) => ({
    resolveKey: staticKeys(keyTable()),
    plans: PLANS,
    // The pathological-input rows send 401s on purpose; the failed-auth guard would turn them into 429s.
    ...(process.env.BENCH_NO_AUTH_GUARD === '1' ? { authFailureLimit: false } : {}),
    ...extra,
  }));
}

export async function fastifyApp() {
  const { default: Fastify } = await import('fastify');
  return Fastify({ logger: false });
}

/** Fastify refuses form bodies without a parser: the bare route and the peers take the raw text. */
export function rawFormParser(app) {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );
}
