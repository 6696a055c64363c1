/**
 * What the benchmark servers (`bench/servers.mjs`, `bench/diagnostic-servers.mjs`) build on: the
 * kit's options over the workload's keys and plans, a Fastify app, the raw form parser, the peer
 * stacks' otplib route.
 */
import { generateSync } from 'otplib';
import { apiKeys, keyTable, PATH, PLANS } from './workload.mjs';

/** A row that cannot be built (yet): the server tells the parent `{ unavailable }` and exits. */
export class Unavailable extends Error {}

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

const KEYS = new Set(apiKeys());
const UNAUTHORIZED = { code: 401, message: 'Invalid or missing API key', data: null };
const BAD_SECRET = { code: 400, message: 'Invalid or missing secret', data: null };

/** The API documentation's success envelope for a code made now (what the peer stacks answer). */
function generated(code) {
  const timestamp = Math.floor(Date.now() / 1000);
  const remaining = 30 - (timestamp % 30);
  return {
    code: 200,
    message: 'Code generated successfully',
    data: { code, remaining_time: remaining, timestamp, valid_until: timestamp + remaining },
  };
}

/** Fastify + otplib: the handler both peer stacks share; the limiter runs before it. */
export function otplibRoute(app, limit) {
  rawFormParser(app);
  app.post(PATH, async (req, reply) => {
    const key = req.headers['x-api-key'];
    if (typeof key !== 'string' || !KEYS.has(key)) return reply.code(401).send(UNAUTHORIZED);
    if (limit !== undefined) {
      try {
        await limit(key);
      } catch {
        return reply.code(429).send({ code: 429, message: 'Rate limit exceeded', data: null });
      }
    }
    const secret = new URLSearchParams(req.body).get('secret');
    if (secret === null) return reply.code(400).send(BAD_SECRET);
    return generated(generateSync({ secret }));
  });
}
