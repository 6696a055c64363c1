import type { TwoFaEventType } from '../events.js';
import type { ErrorKind } from '../http/errors.js';
import type { ParamDef, ParamValues } from '../http/params.js';
import type { ConsumeResult } from '../limits/stores/types.js';
import type { ResolvedConfig } from '../options.js';
import type { Identity, TwoFaRequest } from '../types.js';

/** A JSON Schema object (draft 2020-12, as OpenAPI 3.1 uses). */
export type JsonSchema = { readonly [key: string]: unknown };

export type RouteMethod = 'GET' | 'POST';

/** What a route's handler sees. */
export interface RouteContext {
  readonly request: TwoFaRequest;
  /** The caller (routes with `auth: true` only; null otherwise). */
  readonly identity: Identity | null;
  /** The declared parameters, validated. */
  readonly values: ParamValues;
  /** The limiter's answer for this request (consume or peek), when the identity has limits. */
  readonly limit: ConsumeResult | undefined;
  /** The time of the request, Unix ms, from the configured clock. */
  readonly nowMs: number;
  readonly config: ResolvedConfig;
}

/** A handler's successful outcome: the envelope's `data`, and the event to report. */
export interface RouteOutcome {
  readonly data: Record<string, unknown> | null;
  /** `data` already serialised, when the route writes it itself: exactly `JSON.stringify(data)`. */
  readonly json?: string;
  readonly event: TwoFaEventType;
  /** Extra fields for the event (never secrets or codes). */
  readonly eventFields?: { readonly valid?: boolean };
  /**
   * A body that is not an envelope (the OpenAPI document, the API reference page and its scripts).
   * Sent with status 200 as `application/json; charset=utf-8` unless `headers` say otherwise.
   */
  readonly document?: string;
  /** Response headers of a `document` (its content type, the page's Content-Security-Policy). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** One entry of the route table: everything the core and the adapters know about a route. */
export interface RouteDef {
  /** Stable id used in events and OpenAPI operationIds. */
  readonly id: string;
  /** Path below the prefix, e.g. `/generate`. */
  readonly path: string;
  readonly methods: readonly RouteMethod[];
  readonly summary: string;
  readonly description: string;
  /** Needs an API key. */
  readonly auth: boolean;
  /** `consume`: counts against the quota; `peek`: reports it without counting; `none`. */
  readonly quota: 'consume' | 'peek' | 'none';
  /** Parameters, read from the body (POST) or the query string; the body wins. */
  readonly params: readonly ParamDef[];
  /** The success message and the schema of `data`. */
  readonly success: { readonly message: string; readonly data: JsonSchema };
  /** Error kinds the route can answer with, besides the ones every route can (404/405/500). */
  readonly errors: readonly ErrorKind[];
  /**
   * Checks the parameters the way `handle` will, throwing the same 400s, without doing the work.
   * Run before counting when the host chose not to count invalid requests (`countInvalidRequests`).
   */
  validate?(values: ParamValues, config: ResolvedConfig): void;
  /** Whether the route is in the OpenAPI document and has JSON schemas. Default true (the page's routes: false). */
  readonly documented?: boolean;
  handle(ctx: RouteContext): RouteOutcome | Promise<RouteOutcome>;
}
