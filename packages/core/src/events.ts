import type { ErrorKind } from './http/errors.js';
import type { WindowState } from './limits/stores/types.js';

/**
 * Outcome events for metrics and logs: one per request, plus the notices `quota.threshold` and
 * `credits.low` (emitted just before the event of the request that crossed the threshold; a
 * listener that counts requests skips them). They never carry the secret, the generated code or the raw
 * API key: only the identity's id and plan, the route, the status, the limiter's answer and the
 * time taken.
 */
export type TwoFaEventType =
  | 'generated'
  | 'verified'
  | 'usage'
  | 'openapi'
  | 'docs'
  | 'rate_limited'
  | 'unauthorized'
  | 'rejected'
  | 'error'
  | 'quota.threshold'
  | 'credits.low';

export interface TwoFaEvent {
  readonly type: TwoFaEventType;
  /** Route id (`generate`, `verify`, `usage`, `openapi`; `docs`, `docsInit`, `docsRenderer` with `docs: true`), or null for an unmatched path. */
  readonly route: string | null;
  readonly status: number;
  /** The identity's id, when the key was resolved. */
  readonly identityId: string | null;
  /** The identity's plan, when the key was resolved. */
  readonly plan: string | null;
  /**
   * What the limiter decided for this request: `admitted` (counted in every window), `refused`
   * (429, counted nowhere) or `peeked` (read without counting: `/usage`, or a request refused for
   * its input under `countInvalidRequests: false`). Absent when no limiter was asked.
   */
  readonly limiter?: 'admitted' | 'refused' | 'peeked';
  /** The limiter's windows after this request (limit, remaining, reset), when it was asked. */
  readonly windows?: readonly WindowState[];
  /** Handling time in milliseconds. */
  readonly durationMs: number;
  /** For `error`: the error, to log. Never sent to the client. */
  readonly error?: unknown;
  /** For `verified`: whether the code matched. */
  readonly valid?: boolean;
  /** For error outcomes: the error kind (`INVALID_SECRET`, `RATE_LIMITED`, `TOO_MANY_AUTH_FAILURES`, ...). */
  readonly kind?: ErrorKind;
  /** For `quota.threshold`: the window (`hour`, `day`, `month`). */
  readonly window?: string;
  /** For `quota.threshold`: 80 or 100 (% of the window's limit now used). */
  readonly percent?: 80 | 100;
  /** For `quota.threshold`: Unix seconds when the window's current period started. */
  readonly periodStart?: number;
  /** For `credits.low`: the balance after the request that took it below `credits.lowBalance`. */
  readonly balance?: number;
}
