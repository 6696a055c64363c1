import http from 'node:http';
import {
  createTwoFa,
  type Identity,
  staticKeys,
  type TwoFa,
  type TwoFaOptions,
  type TwoFaRequest,
} from '@twofa-kit/core';
import { createGuardrails, generateSync, ScureBase32Plugin } from 'otplib';
import { afterAll, beforeAll, expect } from 'vitest';
import type { AdapterHarness, HostSetup, RunningServer } from './harness.js';

export const PREFIX = '/api/2fa';
export const GENERATE = `${PREFIX}/generate`;
export const JSON_UTF8 = 'application/json; charset=utf-8';
/** The seed document's example secret: 16 Base32 characters, 10 bytes. */
export const SEED_SECRET = 'JBSWY3DPEHPK3PXP';

/** The API documentation's messages (binding); the other kinds' messages come from the core's table. */
export const MESSAGES = {
  generated: 'Code generated successfully',
  invalidSecret: 'Invalid or missing secret',
  unauthorized: 'Invalid or missing API key',
  rateLimited: 'Rate limit exceeded',
} as const;

/** API keys every contract server knows. */
export const KEYS = {
  free: 'contract-free-key',
  free2: 'contract-free-key-2',
  pro: 'contract-pro-key',
  ultra: 'contract-ultra-key',
  /** pro with a per-key day limit of 3. */
  proDay3: 'contract-pro-day3-key',
  /** free with the minute window lifted (unlimited) by a per-key override. */
  freeNoMinute: 'contract-free-nominute-key',
  /** a plan the host added: 2 per minute only. */
  tiny: 'contract-tiny-key',
  /** a plan the host added with a limit no test reaches (for tests about inputs, not limits). */
  big: 'contract-big-key',
  /** a plan the host added: 100 per minute and 3 per UTC calendar month. */
  metered: 'contract-metered-key',
} as const;

const IDENTITIES: Record<string, Identity> = {
  [KEYS.free]: { id: 'free-1', plan: 'free' },
  [KEYS.free2]: { id: 'free-2', plan: 'free' },
  [KEYS.pro]: { id: 'pro-1', plan: 'pro' },
  [KEYS.ultra]: { id: 'ultra-1', plan: 'ultra' },
  [KEYS.proDay3]: { id: 'pro-day3', plan: 'pro', limits: { day: 3 } },
  [KEYS.freeNoMinute]: { id: 'free-nominute', plan: 'free', limits: { minute: null } },
  [KEYS.tiny]: { id: 'tiny-1', plan: 'tiny' },
  [KEYS.big]: { id: 'big-1', plan: 'big' },
  [KEYS.metered]: { id: 'metered-1', plan: 'metered' },
};

/** A clock tests move by hand. Starts at 2026-01-01T12:00:15.250Z. */
export class TestClock {
  static readonly START = Date.UTC(2026, 0, 1, 12, 0, 15, 250);
  now = TestClock.START;
  readonly fn = (): number => this.now;
  set(ms: number): void {
    this.now = ms;
  }
  advance(ms: number): void {
    this.now += ms;
  }
  /** Unix seconds of the current time. */
  get seconds(): number {
    return Math.floor(this.now / 1000);
  }
}

/** The options every contract server starts with; suites add or override fields. */
export function contractOptions(clock: TestClock, extra: Partial<TwoFaOptions> = {}): TwoFaOptions {
  return {
    resolveKey: staticKeys(IDENTITIES),
    plans: { tiny: { minute: 2 }, big: { minute: 1_000_000 }, metered: { minute: 100, month: 3 } },
    clock: clock.fn,
    ...extra,
  };
}

/** Starts a server for the enclosing `describe` and closes it after; read `.url` inside tests. */
export function serve(
  harness: AdapterHarness,
  options: () => TwoFaOptions,
  host?: HostSetup,
): { readonly url: string; readonly server: RunningServer } {
  let running: RunningServer | undefined;
  beforeAll(async () => {
    running = await harness.start(options(), host);
  });
  afterAll(async () => {
    await running?.close();
  });
  return {
    get url() {
      if (running === undefined) throw new Error('server not started');
      return running.url;
    },
    get server() {
      if (running === undefined) throw new Error('server not started');
      return running;
    },
  };
}

/**
 * `serve` with the contract's options (its keys and plans) on a fresh `TestClock`, for the enclosing
 * `describe`: the app, and the clock its core reads (tests move it instead of sleeping).
 */
export function serveContract(
  harness: AdapterHarness,
  host?: HostSetup,
): { app: ReturnType<typeof serve>; clock: TestClock } {
  const clock = new TestClock();
  return { app: serve(harness, () => contractOptions(clock), host), clock };
}

/** Starts a server for one test and closes it when `fn` settles. */
export async function withServer<T>(
  harness: AdapterHarness,
  options: TwoFaOptions,
  fn: (url: string) => Promise<T>,
  host?: HostSetup,
): Promise<T> {
  const running = await harness.start(options, host);
  try {
    return await fn(running.url);
  } finally {
    await running.close();
  }
}

/** `withServer` with the contract's options on `clock`, plus `extra` (a plan table, a prefix, a key store). */
export function withContract<T>(
  harness: AdapterHarness,
  clock: TestClock,
  extra: Partial<TwoFaOptions>,
  fn: (url: string) => Promise<T>,
): Promise<T> {
  return withServer(harness, contractOptions(clock, extra), fn);
}

export interface Envelope {
  code: number;
  message: string;
  data: Record<string, unknown> | null;
}

interface ResponseLike {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text?: string;
}

/**
 * Asserts the contract's envelope: status, `application/json; charset=utf-8`, and a body of exactly
 * `{code, message, data}` with `code` equal to the status. Returns the parsed envelope.
 */
export function expectEnvelope(res: ResponseLike, status: number, message?: string): Envelope {
  expect(res.status, `status (body: ${res.text})`).toBe(status);
  expect(res.headers['content-type']).toBe(JSON_UTF8);
  const body = JSON.parse(res.text ?? '') as Envelope;
  expect(Object.keys(body).sort()).toEqual(['code', 'data', 'message']);
  expect(body.code).toBe(status);
  expect(typeof body.message).toBe('string');
  expect(body.message.length).toBeGreaterThan(0);
  expect(body.data === null || (typeof body.data === 'object' && !Array.isArray(body.data))).toBe(true);
  if (message !== undefined) expect(body.message).toBe(message);
  return body;
}

/** A plain HTTP request, for what supertest does not send: chunked bodies, raw bytes. */
export function rawRequest(
  baseUrl: string,
  options: { method: string; path: string; headers?: http.OutgoingHttpHeaders; chunks?: readonly (string | Buffer)[] },
): Promise<ResponseLike & { text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${baseUrl}${options.path}`, { method: options.method, headers: options.headers ?? {} });
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(parts).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const chunk of options.chunks ?? []) req.write(chunk);
    req.end();
  });
}

const scure = new ScureBase32Plugin();

/** RFC 4648 Base32, upper case, unpadded, by otplib's Base32 plugin (so tests do not trust the core's). */
export function base32(bytes: Uint8Array): string {
  return scure.encode(bytes, { padding: false });
}

const OPEN_GUARDRAILS = createGuardrails({ MIN_SECRET_BYTES: 1 });

/** The code otplib (its own Base32 and crypto plugins) computes for a canonical Base32 secret. */
export function otplibCode(
  secret: string,
  unixSeconds: number,
  opts: { digits?: 6 | 7 | 8; period?: number; algorithm?: 'sha1' | 'sha256' | 'sha512' } = {},
): string {
  return generateSync({
    secret,
    epoch: unixSeconds,
    digits: opts.digits ?? 6,
    period: opts.period ?? 30,
    algorithm: opts.algorithm ?? 'sha1',
    guardrails: OPEN_GUARDRAILS,
  });
}

/** What an adapter handed the core, minus the stream itself. */
export interface SeenRequest {
  method: string;
  path: string;
  rawQuery: string;
  basePath: string | undefined;
  ip: string | undefined;
  body: 'stream' | 'web' | 'sized' | 'parsed' | 'none' | 'failed';
  apiKeyHeader: boolean;
}

/**
 * A real core whose `handle` also records what the adapter passed in (for adapter tests of the
 * translation itself: path below the prefix, basePath when nested, query, ip, body kind).
 */
export function recordingTwoFa(options: TwoFaOptions): { twoFa: TwoFa; seen: SeenRequest[] } {
  const core = createTwoFa(options);
  const seen: SeenRequest[] = [];
  const record = (req: TwoFaRequest) =>
    seen.push({
      method: req.method,
      path: req.path,
      rawQuery: req.rawQuery,
      basePath: req.basePath,
      ip: req.ip,
      body: req.body.kind,
      apiKeyHeader: req.headers['x-api-key'] !== undefined,
    });
  const twoFa: TwoFa = {
    ...core,
    respond(req) {
      record(req);
      return core.respond(req);
    },
    handle(req) {
      record(req);
      return core.handle(req);
    },
    authenticateEarly(req) {
      // Recorded when it answers (the request then never reaches `respond`).
      const early = core.authenticateEarly(req);
      if (early instanceof Promise) {
        return early.then((res) => {
          if (res !== undefined) record(req);
          return res;
        });
      }
      if (early !== undefined) record(req);
      return early;
    },
  };
  return { twoFa, seen };
}
