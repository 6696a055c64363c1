import type { TwoFaEventType } from '../events.js';

/**
 * The one table of error kinds: the status and message of the envelope, and the type of the event
 * `handle()` emits for it (`withError`: the event carries the error, to log). Handlers raise
 * `TwoFaError(kind)`; they cannot invent a status, a message or an event type. The envelope for
 * each kind is built by `envelope.ts`.
 */
export const ERROR_KINDS = {
  INVALID_SECRET: { status: 400, message: 'Invalid or missing secret', event: 'rejected' },
  INVALID_CODE: { status: 400, message: 'Invalid or missing code', event: 'rejected' },
  INVALID_PARAMETER: { status: 400, message: 'Invalid parameter', event: 'rejected' },
  MALFORMED_BODY: { status: 400, message: 'Malformed request body', event: 'rejected' },
  UNAUTHORIZED: { status: 401, message: 'Invalid or missing API key', event: 'unauthorized' },
  INSUFFICIENT_CREDITS: { status: 402, message: 'Insufficient credits', event: 'rejected' },
  PAYMENT_REQUIRED: { status: 402, message: 'Payment required', event: 'rejected' },
  NOT_FOUND: { status: 404, message: 'Not found', event: 'rejected' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed', event: 'rejected' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body too large', event: 'rejected' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported content type', event: 'rejected' },
  RATE_LIMITED: { status: 429, message: 'Rate limit exceeded', event: 'rate_limited' },
  TOO_MANY_AUTH_FAILURES: { status: 429, message: 'Too many failed authentication attempts', event: 'rate_limited' },
  INTERNAL: { status: 500, message: 'Internal server error', event: 'error', withError: true },
  UNAVAILABLE: { status: 503, message: 'Service temporarily unavailable', event: 'error', withError: true },
} as const satisfies Record<string, { status: number; message: string; event: TwoFaEventType; withError?: true }>;

export type ErrorKind = keyof typeof ERROR_KINDS;

/** Raised by the core's handlers; turned into an envelope by `handle()`, never thrown out of it. */
export class TwoFaError extends Error {
  readonly kind: ErrorKind;
  readonly status: number;
  /** Extra `data` for the envelope (e.g. `{ retry_after }`, or which parameter was invalid). */
  readonly data: Record<string, unknown> | null;
  /** Extra response headers (e.g. `Retry-After`, `Allow`). */
  readonly headers: Record<string, string>;

  constructor(
    kind: ErrorKind,
    options: { data?: Record<string, unknown> | null; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(ERROR_KINDS[kind].message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TwoFaError';
    this.kind = kind;
    this.status = ERROR_KINDS[kind].status;
    this.data = options.data ?? null;
    this.headers = options.headers ?? {};
  }
}

/**
 * Stable codes of `TwoFaConfigError`, for a host that tells configuration mistakes apart:
 * `ERR_TWOFA_UNKNOWN_OPTION` (an option name the kit does not know, usually a typo; the message
 * names the closest known one) and `ERR_TWOFA_INVALID_OPTION` (a missing or out-of-range value).
 */
export type TwoFaConfigErrorCode = 'ERR_TWOFA_UNKNOWN_OPTION' | 'ERR_TWOFA_INVALID_OPTION';

/** A configuration mistake found at construction time. */
export class TwoFaConfigError extends Error {
  readonly code: TwoFaConfigErrorCode;

  constructor(message: string, code: TwoFaConfigErrorCode = 'ERR_TWOFA_INVALID_OPTION') {
    super(`twofa-kit: ${message}`);
    this.name = 'TwoFaConfigError';
    this.code = code;
  }
}
