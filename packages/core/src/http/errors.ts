/**
 * The one table of error kinds. Handlers raise `TwoFaError(kind)`; they cannot invent a status or a
 * message. The envelope for each kind is built by `envelope.ts`.
 */
export const ERROR_KINDS = {
  INVALID_SECRET: { status: 400, message: 'Invalid or missing secret' },
  INVALID_CODE: { status: 400, message: 'Invalid or missing code' },
  INVALID_PARAMETER: { status: 400, message: 'Invalid parameter' },
  MALFORMED_BODY: { status: 400, message: 'Malformed request body' },
  UNAUTHORIZED: { status: 401, message: 'Invalid or missing API key' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported content type' },
  RATE_LIMITED: { status: 429, message: 'Rate limit exceeded' },
  TOO_MANY_AUTH_FAILURES: { status: 429, message: 'Too many failed authentication attempts' },
  INTERNAL: { status: 500, message: 'Internal server error' },
  UNAVAILABLE: { status: 503, message: 'Service temporarily unavailable' },
} as const satisfies Record<string, { status: number; message: string }>;

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

/** A configuration mistake found at construction time. */
export class TwoFaConfigError extends Error {
  constructor(message: string) {
    super(`twofa-kit: ${message}`);
    this.name = 'TwoFaConfigError';
  }
}
