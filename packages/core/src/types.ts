import type { Readable } from 'node:stream';

/** Header values as Node's `IncomingMessage.headers` has them; names are lower case. */
export type HeaderMap = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Where the request body is, as the adapter found it. The core reads and parses it only after the
 * caller is authenticated, so an unauthenticated caller's body is never looked at.
 */
export type BodySource =
  /** Nobody has read the body yet: the core reads it, enforcing the body limit. */
  | { readonly kind: 'stream'; readonly stream: Readable }
  /**
   * Nobody has read the body yet, and it is a WHATWG stream (`Request.body` in Bun, Deno, Next.js
   * route handlers, Workers): the core reads it, enforcing the body limit.
   */
  | { readonly kind: 'web'; readonly stream: ReadableStream<Uint8Array> }
  /**
   * Nobody has read the body yet, and the request declares its length (`Content-Length`, which the
   * server's HTTP parser holds the body to): the core checks that length against the body limit,
   * then calls `read` (a server's fast path for the whole body, e.g. `Request.arrayBuffer()`).
   */
  | { readonly kind: 'sized'; readonly read: () => Promise<ArrayBuffer | Uint8Array> }
  /** The host app's own body parser already ran (express.json, koa bodyparser, ...). */
  | { readonly kind: 'parsed'; readonly value: unknown }
  /** No body (GET, or the framework reported none). */
  | { readonly kind: 'none' }
  /**
   * The host app's own body parser ran first and failed (malformed, too large, unsupported type).
   * Answered like a body the core could not read: after authentication and counting, 400/413/415
   * by the error's `status`/`statusCode` (anything else is a 500).
   */
  | { readonly kind: 'failed'; readonly error: unknown };

/** The neutral request every adapter maps its framework's request into. */
export interface TwoFaRequest {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Path below the mount prefix, starting with `/` (`/generate`), without the query string. */
  readonly path: string;
  /** The raw query string, without the leading `?` (empty when there is none). */
  readonly rawQuery: string;
  readonly headers: HeaderMap;
  readonly body: BodySource;
  /** The client address as the host app determines it (trust-proxy settings are the host's). */
  readonly ip?: string | undefined;
  /** The full mount prefix as clients see it (`/api/2fa`, or `/v1/api/2fa` when nested). */
  readonly basePath?: string | undefined;
}

/** The neutral response: adapters copy status, headers and body out verbatim. */
export interface TwoFaResponse {
  readonly status: number;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The serialised JSON envelope. */
  readonly body: string;
}

/** Limits of one plan. `null` means unlimited for that window. */
export interface PlanLimits {
  readonly minute: number | null;
  readonly hour: number | null;
  readonly day: number | null;
  /** The UTC calendar month (from the 1st at 00:00 UTC). */
  readonly month: number | null;
}

/** What the host's key store resolves an API key to. */
export interface Identity {
  /** Stable id of the key's owner; quotas are counted per id. Never the raw key itself. */
  readonly id: string;
  /** A plan name from the plan table (`free`, `pro`, `ultra` or one the host added). */
  readonly plan: string;
  /** Per-key overrides of the plan's limits (`null` = unlimited). */
  readonly limits?: Partial<PlanLimits> | undefined;
  /**
   * Prepaid credits (see the `credits` option): `true`, the identity pays for each request and
   * without a balance has 0 credits; `false`, it never pays; absent, it pays when it holds a
   * balance (or when the `credits` option says every identity must).
   */
  readonly credits?: boolean | undefined;
  /**
   * Set when the owner must pay before the key works again (an unpaid subscription past its grace):
   * every authenticated route answers 402 `Payment required` with `data: {"reason": <this>}`, before
   * any quota or credit is counted. E.g. `subscription_past_due`.
   */
  readonly paymentRequired?: string | undefined;
}

/** The host's key store: given the presented key, the identity or nothing. May be async. */
export type ResolveKey = (apiKey: string) => Identity | null | undefined | Promise<Identity | null | undefined>;

export type MaybePromise<T> = T | Promise<T>;
