/**
 * Secret hygiene: with the host's logger at its most verbose (pino at `trace` for Fastify; a
 * request-logging middleware for Koa and Express) and everything written to the console or stderr
 * captured, a run through every route and error path leaves the TOTP secret, the generated codes
 * and the raw API key in zero log lines, zero events and zero responses. Query-string keys and
 * secrets reach the logs only as `[REDACTED]` (the host logs `redactUrl(url)`); no response
 * carries a stack trace.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import {
  createTwoFa,
  type Identity,
  REDACTED,
  redactUrl,
  staticKeys,
  type TwoFa,
  type TwoFaEvent,
  type TwoFaOptions,
} from '@twofa-kit/core';
import { twoFaRouter as expressRouter } from '@twofa-kit/express';
import { twoFaFrameworkErrors, twoFaPlugin } from '@twofa-kit/fastify';
import { twoFaRouter as koaRouter } from '@twofa-kit/koa';
import { express, fastify, koa } from '@twofa-kit/testing/frameworks';
import { send, type WireRequest, type WireResponse } from '@twofa-kit/testing/wire';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const SECRET = 'KRUGS4ZANFZSA5DIMUQHGZLDOJSXI3DZ';
const KEY = 'Hygiene-Key-7f3a9c1e';
const TINY = 'Hygiene-Tiny-2b8d4e6f';
const BROKEN = 'Hygiene-Broken-9a1c3e5b';
const HANGING = 'Hygiene-Hang-4d6f8a0c';
const P = '/api/2fa';

function options(events: TwoFaEvent[]): TwoFaOptions {
  const table = staticKeys({ [KEY]: 'pro', [TINY]: { id: 'tiny-1', plan: 'tiny' } });
  return {
    resolveKey: (key): Identity | null | undefined | Promise<Identity | null | undefined> => {
      if (key === BROKEN) throw new Error('key store unavailable'); // a host error without the key in it
      if (key === HANGING) return new Promise<Identity | null | undefined>(() => {});
      return table(key) ?? null;
    },
    plans: { tiny: { minute: 1 } },
    keyLookupTimeoutMs: 100,
    onEvent: (event) => events.push(event),
  };
}

interface Running {
  port: number;
  close(): Promise<void>;
}

/** Every route and error path, some with the key and the secret in the query string. */
function scenario(codes: () => string[]): Array<() => WireRequest> {
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const json = { 'content-type': 'application/json' };
  const k = { 'x-api-key': KEY };
  return [
    () => ({
      method: 'POST',
      target: `${P}/generate`,
      headers: { ...k, ...form },
      body: Buffer.from(`secret=${SECRET}`),
    }),
    () => ({ method: 'GET', target: `${P}/generate?secret=${SECRET}&api_key=${KEY}&digits=8`, headers: {} }),
    () => ({
      method: 'POST',
      target: `${P}/generate`,
      headers: { ...k, ...json },
      body: Buffer.from(JSON.stringify({ secret: SECRET, algorithm: 'SHA256' })),
    }),
    () => ({
      method: 'POST',
      target: `${P}/verify`,
      headers: { ...k, ...form },
      body: Buffer.from(`secret=${SECRET}&code=${codes()[0]}`),
    }),
    () => ({ method: 'POST', target: `${P}/verify?api_key=${KEY}&secret=${SECRET}&code=${codes()[0]}`, headers: {} }),
    () => ({ method: 'GET', target: `${P}/usage?api_key=${KEY}`, headers: {} }),
    () => ({ method: 'GET', target: `${P}/openapi.json`, headers: {} }),
    // 401: a near-miss key (contains the real one) in the header and in the query
    () => ({
      method: 'POST',
      target: `${P}/generate?api_key=${KEY}x`,
      headers: { 'x-api-key': `${KEY}x`, ...form },
      body: Buffer.from(`secret=${SECRET}`),
    }),
    // 400: invalid secret (contains the real one), malformed JSON around it, a repeated field
    () => ({
      method: 'POST',
      target: `${P}/generate`,
      headers: { ...k, ...form },
      body: Buffer.from(`secret=${SECRET}!`),
    }),
    () => ({
      method: 'POST',
      target: `${P}/generate`,
      headers: { ...k, ...json },
      body: Buffer.from(`{"secret":"${SECRET}"`),
    }),
    () => ({
      method: 'POST',
      target: `${P}/generate?secret=${SECRET}`,
      headers: { ...k, ...form },
      body: Buffer.from(`secret=${SECRET}&secret=${SECRET}`),
    }),
    // 413, 415, malformed Content-Type
    () => ({
      method: 'POST',
      target: `${P}/generate`,
      headers: { ...k, ...form },
      body: Buffer.from(`secret=${SECRET.repeat(700)}`),
    }),
    () => ({
      method: 'POST',
      target: `${P}/generate`,
      headers: { ...k, 'content-type': 'text/plain' },
      body: Buffer.from(SECRET),
    }),
    () => ({
      method: 'POST',
      target: `${P}/generate`,
      headers: { ...k, 'content-type': ';;;' },
      body: Buffer.from(SECRET),
    }),
    // 404 (also a URL Fastify cannot decode), 405
    () => ({ method: 'GET', target: `${P}/nope?api_key=${KEY}&secret=${SECRET}`, headers: {} }),
    () => ({ method: 'GET', target: `${P}/%E0%A4%A?api_key=${KEY}&secret=${SECRET}`, headers: {} }),
    () => ({ method: 'DELETE', target: `${P}/generate?api_key=${KEY}&secret=${SECRET}`, headers: {} }),
    // 429 (limit 1 a minute), 500 (key store throws), 503 (key store never answers)
    () => ({ method: 'GET', target: `${P}/generate?api_key=${TINY}&secret=${SECRET}`, headers: {} }),
    () => ({ method: 'GET', target: `${P}/generate?api_key=${TINY}&secret=${SECRET}`, headers: {} }),
    () => ({ method: 'GET', target: `${P}/generate?api_key=${BROKEN}&secret=${SECRET}`, headers: {} }),
    () => ({ method: 'GET', target: `${P}/generate?api_key=${HANGING}&secret=${SECRET}`, headers: {} }),
  ];
}

const EXPECTED_STATUSES = [
  200, 200, 200, 200, 200, 200, 200, 401, 400, 400, 400, 413, 415, 415, 404, 404, 405, 200, 429, 500, 503,
];

/** A log line or message that gives away a credential, or null. */
function leak(text: string, codes: readonly string[]): string | null {
  const raw = [KEY, TINY, BROKEN, HANGING, SECRET];
  for (const s of raw) {
    if (text.includes(s) || text.toLowerCase().includes(s.toLowerCase())) return s;
  }
  for (const c of codes) if (new RegExp(`(?<![0-9])${c}(?![0-9])`).test(text)) return `code ${c}`;
  return null;
}

/** Everything the process writes to the console or stdio while `fn` runs. */
const captured: string[] = [];
const restore: Array<() => void> = [];
beforeEach(() => {
  captured.length = 0;
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream);
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      captured.push(String(chunk));
      return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    restore.push(() => {
      stream.write = original as typeof stream.write;
    });
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    const original = console[method];
    console[method] = (...args: unknown[]) => {
      captured.push(args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : String(a))).join(' '));
      original(...args);
    };
    restore.push(() => {
      console[method] = original;
    });
  }
});
afterEach(() => {
  for (const r of restore.splice(0)) r();
});

function serialiseEvent(e: TwoFaEvent): string {
  const chain: string[] = [];
  for (let err: unknown = e.error; err !== undefined && err !== null; err = (err as { cause?: unknown }).cause) {
    chain.push(err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err));
    if (chain.length > 5) break;
  }
  return `${JSON.stringify({ ...e, error: undefined })}\n${chain.join('\n')}`;
}

async function run(running: Running, lines: string[], events: TwoFaEvent[]) {
  const codes: string[] = [];
  const agent = new http.Agent({ keepAlive: false });
  const answers: WireResponse[] = [];
  for (const make of scenario(() => codes)) {
    const res = await send(agent, running.port, make());
    answers.push(res);
    const body = res.body.toString('utf8');
    const code = /"code":"([0-9]{6,8})"/.exec(body)?.[1];
    if (code !== undefined) codes.push(code);
  }
  await new Promise((r) => setTimeout(r, 50)); // let async loggers flush
  expect(answers.map((a) => a.status)).toEqual(EXPECTED_STATUSES);
  expect(codes.length).toBeGreaterThanOrEqual(3);
  for (const res of answers) {
    const text = res.body.toString('utf8');
    expect(text).not.toMatch(/\n\s+at |Error:|node:internal|node_modules/);
    expect(leak(text.replace(/"code":"[0-9]{6,8}"/, ''), codes)).toBeNull();
  }
  for (const line of lines) expect(leak(line, codes), line).toBeNull();
  for (const text of captured) expect(leak(text, codes), text).toBeNull();
  for (const e of events) expect(leak(serialiseEvent(e), codes), serialiseEvent(e)).toBeNull();
  return { codes, lines };
}

function memoryStream(lines: string[]): Writable {
  return new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
}

/** The documented Fastify logger setup: pino's request serializer logs the URL redacted. */
const redactingSerializers = {
  req: (req: { method: string; url: string; ip?: string }) => ({
    method: req.method,
    url: redactUrl(req.url),
    remoteAddress: req.ip,
  }),
};

async function startFastify(lines: string[], events: TwoFaEvent[], redact = true): Promise<Running> {
  const twoFa: TwoFa = createTwoFa(options(events));
  const app = fastify({
    logger: { level: 'trace', stream: memoryStream(lines), ...(redact ? { serializers: redactingSerializers } : {}) },
    frameworkErrors: twoFaFrameworkErrors(twoFa),
  });
  await app.register(twoFaPlugin, { twoFa });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
}

function listen(server: http.Server, close: () => Promise<void>): Promise<Running> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((done) => server.close(() => done())).then(close),
      }),
    ),
  );
}

async function startKoa(lines: string[], events: TwoFaEvent[]): Promise<Running> {
  const app = new koa();
  const router = koaRouter(options(events));
  app.use(async (ctx, next) => {
    lines.push(`--> ${ctx.method} ${redactUrl(ctx.originalUrl)} ${JSON.stringify(ctx.headers['user-agent'] ?? '')}`);
    try {
      await next();
    } finally {
      lines.push(
        `<-- ${ctx.method} ${redactUrl(ctx.originalUrl)} ${ctx.status} ${JSON.stringify(ctx.response.headers)}`,
      );
    }
  });
  app.use(router.routes()).use(router.allowedMethods());
  return listen(http.createServer(app.callback()), () => router.twoFa.close());
}

async function startExpress(lines: string[], events: TwoFaEvent[]): Promise<Running> {
  const app = express();
  const router = expressRouter(options(events));
  app.use((req, res, next) => {
    lines.push(`--> ${req.method} ${redactUrl(req.originalUrl)}`);
    res.on('finish', () =>
      lines.push(
        `<-- ${req.method} ${redactUrl(req.originalUrl)} ${res.statusCode} ${JSON.stringify(res.getHeaders())}`,
      ),
    );
    next();
  });
  app.use(router);
  return listen(http.createServer(app), () => router.twoFa.close());
}

describe('secret hygiene with the host logging everything', () => {
  for (const [name, start] of [
    ['fastify (pino at trace)', startFastify],
    ['koa (request logger middleware)', startKoa],
    ['express (request logger middleware)', startExpress],
  ] as const) {
    it(`${name}: no secret, code or key in logs, events, console or responses`, async () => {
      const lines: string[] = [];
      const events: TwoFaEvent[] = [];
      const running = await start(lines, events);
      try {
        await run(running, lines, events);
      } finally {
        await running.close();
      }
      expect(lines.length).toBeGreaterThan(20);
      expect(lines.join('\n')).toContain(`api_key=${REDACTED}`);
      expect(lines.join('\n')).toContain(`secret=${REDACTED}`);
      expect(events.map((e) => e.status)).toEqual(
        expect.arrayContaining([200, 400, 401, 404, 405, 413, 415, 429, 500, 503]),
      );
    });
  }

  it('control: Fastify with its default serializers logs the query key — the redaction is what prevents it', async () => {
    const lines: string[] = [];
    const running = await startFastify(lines, [], false);
    try {
      await send(new http.Agent(), running.port, { method: 'GET', target: `${P}/usage?api_key=${KEY}`, headers: {} });
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      await running.close();
    }
    expect(lines.join('\n')).toContain(KEY);
  });
});
