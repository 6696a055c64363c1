import type { ErrorKind } from './errors.js';

/**
 * Outcome events for metrics and logs. They never carry the secret, the generated code or the raw
 * API key: only the identity's id, the route, the status and the time taken.
 */
export type TwoFaEventType =
  | 'generated'
  | 'verified'
  | 'usage'
  | 'openapi'
  | 'rate_limited'
  | 'unauthorized'
  | 'rejected'
  | 'error';

export interface TwoFaEvent {
  readonly type: TwoFaEventType;
  /** Route id (`generate`, `verify`, `usage`, `openapi`), or null for an unmatched path. */
  readonly route: string | null;
  readonly status: number;
  /** The identity's id, when the key was resolved. */
  readonly identityId: string | null;
  /** Handling time in milliseconds. */
  readonly durationMs: number;
  /** For `error`: the error, to log. Never sent to the client. */
  readonly error?: unknown;
  /** For `verified`: whether the code matched. */
  readonly valid?: boolean;
  /** For error outcomes: the error kind (`INVALID_SECRET`, `RATE_LIMITED`, `TOO_MANY_AUTH_FAILURES`, ...). */
  readonly kind?: ErrorKind;
}
