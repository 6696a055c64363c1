/**
 * Generated hostile input over real HTTP, per adapter: ≥ 10,000 requests from fast-check (in
 * batches of 16 sent concurrently over a keep-alive agent, plus raw sockets for what node:http will
 * not send). Every answer is the envelope with a status the contract allows for that input class, or — for
 * exactly the inputs Node's own HTTP parser refuses (NUL in a header, a broken framing, headers
 * past 16 KiB) — Node's bare 400/431. No 5xx, no stack trace, the server still answers afterwards,
 * and no prototype is polluted.
 *
 * FUZZ_RUNS (batches, default 640 = 10,240 requests) and FUZZ_SEED reproduce or widen a run.
 */
import http from 'node:http';
import { ADAPTERS, type RunningServer } from '@twofa-kit/contract';
import { ERROR_KINDS, staticKeys } from '@twofa-kit/core';
import { BODY_LIMIT, type Hostile, hostileArb, KEY, PREFIX, SECRET, TINY_KEY } from '@twofa-kit/testing/hostile';
import { send, sendRaw, stats, type WireResponse } from '@twofa-kit/testing/wire';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BATCH = 16;
const RUNS = Number(process.env.FUZZ_RUNS ?? 640);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

const MESSAGES: Record<number, readonly string[]> = {};
for (const { status, message } of Object.values(ERROR_KINDS)) MESSAGES[status] = [...(MESSAGES[status] ?? []), message];

const SNAPSHOT = new Map<object, string[]>(
  [Object.prototype, Array.prototype, Function.prototype, String.prototype].map((p) => [
    p,
    Reflect.ownKeys(p).map(String).sort(),
  ]),
);

function options() {
  return {
    resolveKey: staticKeys({
      [KEY]: { id: 'hard-1', plan: 'hard' },
      [TINY_KEY]: { id: 'hard-tiny', plan: 'tiny' },
    }),
    plans: { hard: { minute: 1_000_000_000 }, tiny: { minute: 2 } },
    bodyLimit: BODY_LIMIT,
    // Every generated request comes from 127.0.0.1: keep the failed-auth guard running with a limit
    // the run never reaches, so 401 stays the expected answer for a bad key.
    authFailureLimit: { max: 1_000_000 },
  };
}

function isEnvelope(text: string): boolean {
  try {
    const body = JSON.parse(text) as { code?: unknown };
    return typeof body.code === 'number';
  } catch {
    return false;
  }
}

/** Why this answer is wrong for this input, or null when it is one the contract allows. */
function verdict(h: Hostile, res: WireResponse, method: string): string | null {
  const { expect: want } = h;
  if (res.status === 0) return want.noAnswerOk ? null : 'no answer';
  if (res.status >= 500) return `unintended ${res.status}`;
  const text = res.body.toString('utf8');
  if (/\n\s+at |Error:|node:internal|\/node_modules\//.test(text)) return 'stack trace or internal path in the body';
  const ct = res.headers['content-type'];
  // Node's parser (bare answer) or the framework's clientError handler (Fastify's JSON) refused the
  // request head before any route ran: outside the envelope by necessity, for exactly these inputs.
  if (want.node.includes(res.status) && !isEnvelope(text)) return null;
  if (ct !== 'application/json; charset=utf-8') return `content-type ${String(ct)} (status ${res.status})`;
  if (!want.allowed.includes(res.status)) return `status ${res.status} not in [${want.allowed.join(', ')}]`;
  if (method === 'HEAD') return res.body.length === 0 ? null : 'HEAD answered with a body';
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'body is not JSON';
  }
  if (want.document && res.status === 200) return typeof body === 'object' && body !== null ? null : 'bad document';
  const env = body as Record<string, unknown>;
  if (Object.keys(env).sort().join() !== 'code,data,message') return `not an envelope: ${text.slice(0, 200)}`;
  if (env.code !== res.status) return `code ${String(env.code)} ≠ status ${res.status}`;
  if (typeof env.message !== 'string' || !(MESSAGES[res.status] ?? []).includes(env.message)) {
    // 200 messages differ per route; any non-empty string is fine there.
    if (!(res.status === 200 && typeof env.message === 'string' && env.message !== '')) {
      return `message ${JSON.stringify(env.message)} for ${res.status}`;
    }
  }
  if (env.data !== null && (typeof env.data !== 'object' || Array.isArray(env.data))) return 'data is not object|null';
  if (res.status === 405 && res.headers.allow === undefined) return '405 without Allow';
  if (res.status === 429 && !/^[1-9][0-9]*$/.test(String(res.headers['retry-after']))) return '429 without Retry-After';
  if (text.includes(KEY) || text.includes(TINY_KEY)) return 'the API key is echoed';
  return null;
}

/**
 * With the host's own body parsers in front (express.json/urlencoded, @koa/bodyparser), the host
 * reads bodies first, on every path: its limits and errors apply before routing and authentication.
 * For requests with a body, its answers (400/413/415) are allowed too; the envelope stays exact.
 */
const BODY_STATUSES = [200, 400, 401, 413, 415];
function withHostParsers(h: Hostile): Hostile {
  if (h.kind !== 'http' || h.req.body === undefined) return h;
  return { ...h, expect: { ...h.expect, allowed: [...new Set([...h.expect.allowed, ...BODY_STATUSES])] } };
}
const HOST_PARSER_RUNS = Math.ceil(RUNS / 4);

/** Where a WHATWG URL parser (`Request.url`) puts a target: dot segments, `%2e%2e` too, resolved. */
function leavesPrefix(target: string): boolean {
  let path: string;
  try {
    path = new URL(target, 'http://x').pathname.toLowerCase();
  } catch {
    return false;
  }
  return path !== PREFIX && !path.startsWith(`${PREFIX}/`);
}

/**
 * What only a fetch-standard server does before the app runs: a target whose dot segments resolve
 * outside the prefix reaches the host's routes (its 404, not the envelope), and @hono/node-server
 * refuses a request without a Host header (it cannot build the URL) with a bare 400.
 */
function fetchServerAnswer(h: Hostile, res: WireResponse): boolean {
  const text = res.body.toString('utf8');
  if (h.kind === 'http') return res.status === 404 && !isEnvelope(text) && leavesPrefix(h.req.target);
  return h.label === 'HTTP/1.0 without Host' && res.status === 400 && text === '';
}

for (const [harness, hostParsers] of ADAPTERS.flatMap((a) => [[a, false] as const, [a, true] as const])) {
  const runs = hostParsers ? HOST_PARSER_RUNS : RUNS;
  describe(`hostile input over HTTP: ${harness.name}${hostParsers ? ' behind host body parsers' : ''}`, () => {
    let running: RunningServer;
    let port: number;
    let agent: http.Agent;
    const statuses = new Map<string, number>();
    let total = 0;

    beforeAll(async () => {
      running = await harness.start(options(), { withHostParsers: hostParsers });
      port = Number(new URL(running.url).port);
      agent = new http.Agent({ keepAlive: true, maxSockets: BATCH });
    });
    afterAll(async () => {
      agent.destroy();
      await running.close();
    });

    it(`answers ≥ ${runs * BATCH} generated requests with an allowed envelope, no 5xx`, async () => {
      const started = performance.now();
      const retriesBefore = stats.staleSocketRetries;
      const out = await fc.check(
        fc.asyncProperty(
          fc.array(hostileArb.map(hostParsers ? withHostParsers : (h) => h), { minLength: BATCH, maxLength: BATCH }),
          async (batch) => {
            const answers = await Promise.all(
              batch.map((h) =>
                h.kind === 'http'
                  ? send(agent, port, h.req).catch((error: NodeJS.ErrnoException) => {
                      // The server may close a connection after answering (431, 413 with an unread body).
                      if (error.code === 'ECONNRESET' || error.code === 'EPIPE')
                        return { status: 0, headers: {}, body: Buffer.alloc(0) };
                      // Fastify's clientError handler answers a HEAD whose head Node refused (431)
                      // with a JSON body, which the client cannot parse after a HEAD: framework
                      // territory, and only for those inputs.
                      if (error.code?.startsWith('HPE_') && h.req.method === 'HEAD' && h.expect.node.length > 0) {
                        return { status: 0, headers: {}, body: Buffer.alloc(0) };
                      }
                      throw new Error(
                        `${h.label}: ${error.message}\n  request: ${h.req.method} ${h.req.target.slice(0, 200)} ${JSON.stringify(h.req.headers).slice(0, 300)} chunked=${h.req.chunked} body=${h.req.body?.length}`,
                      );
                    })
                  : sendRaw(port, h.bytes, h.endAfterWrite, 5000),
              ),
            );
            total += batch.length;
            batch.forEach((h, i) => {
              const res = answers[i] as WireResponse;
              const method = h.kind === 'http' ? h.req.method : 'RAW';
              const key = `${res.status}${res.headers['content-type'] === undefined ? ' (bare)' : ''}`;
              statuses.set(key, (statuses.get(key) ?? 0) + 1);
              // A connection reset is acceptable only where the client itself broke the framing or
              // Node refused the head (431): then the answer may be lost with the connection.
              const lenient: Hostile =
                res.status === 0 &&
                h.kind === 'http' &&
                (h.expect.node.length > 0 || (h.req.body?.length ?? 0) > BODY_LIMIT)
                  ? { ...h, expect: { ...h.expect, noAnswerOk: true } }
                  : h;
              const why =
                harness.requestUrl === 'whatwg' && fetchServerAnswer(h, res) ? null : verdict(lenient, res, method);
              if (why !== null) {
                const shown = h.kind === 'http' ? `${h.req.method} ${h.req.target.slice(0, 300)}` : h.label;
                throw new Error(
                  `${h.label}: ${why}\n  request: ${shown}\n  body: ${res.body.toString('utf8').slice(0, 300)}`,
                );
              }
            });
          },
        ),
        { numRuns: runs, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: true },
      );
      if (out.failed) {
        // The batch itself is too long to print; the failing element is named in the error.
        const cause = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
        throw new Error(`FUZZ_SEED=${out.seed} (path ${out.counterexamplePath}): ${cause}`);
      }
      const seconds = (performance.now() - started) / 1000;
      const histogram = [...statuses.entries()]
        .sort()
        .map(([s, n]) => `${s}:${n}`)
        .join(' ');
      console.log(
        `[fuzz] ${harness.name}${hostParsers ? ' (host parsers)' : ''}: ${total} requests in ${seconds.toFixed(1)} s — ${histogram} — stale keep-alive retries: ${stats.staleSocketRetries - retriesBefore}`,
      );
      expect(total).toBeGreaterThanOrEqual(runs * BATCH);
    }, 300_000);

    it('checks the key before a malformed Content-Type (401, then 415 with a key)', async () => {
      for (const ct of [';;;', 'a', 'x/y/z', 'application/json, text/plain']) {
        const fresh = new http.Agent({ keepAlive: false });
        const req = (headers: Record<string, string>) =>
          send(fresh, port, {
            method: 'POST',
            target: `${PREFIX}/generate`,
            headers: { 'content-type': ct, ...headers },
            body: Buffer.from('x'),
          });
        expect((await req({})).status, ct).toBe(401);
        expect((await req({ 'x-api-key': KEY })).status, ct).toBe(415);
      }
    });

    it('is alive afterwards and still answers a valid request with 200', async () => {
      const res = await send(new http.Agent({ keepAlive: false }), port, {
        method: 'POST',
        target: `${PREFIX}/generate`,
        headers: { 'x-api-key': KEY, 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(`secret=${SECRET}`),
      });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body.toString('utf8')).data.code).toMatch(/^\d{6}$/);
    });

    it('left no prototype polluted', () => {
      for (const [proto, keys] of SNAPSHOT) expect(Reflect.ownKeys(proto).map(String).sort()).toEqual(keys);
      const probe = {} as Record<string, unknown>;
      expect(probe.polluted).toBeUndefined();
      expect(probe.secret).toBeUndefined();
    });
  });
}
