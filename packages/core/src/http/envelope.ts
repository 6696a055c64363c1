import type { TwoFaResponse } from '../types.js';
import { ERROR_KINDS, type ErrorKind } from './errors.js';

/** The only content type the surface ever answers with. */
export const CONTENT_TYPE = 'application/json; charset=utf-8';

export interface Envelope<D = Record<string, unknown> | null> {
  code: number;
  message: string;
  data: D;
}

/** Builds the `{code, message, data}` response. The one place an envelope is made. */
export function envelope(
  status: number,
  message: string,
  data: Record<string, unknown> | null,
  headers: Record<string, string> = {},
): TwoFaResponse {
  const body: Envelope = { code: status, message, data };
  return {
    status,
    headers: { ...headers, 'content-type': CONTENT_TYPE },
    body: JSON.stringify(body),
  };
}

/** The envelope of an error kind from the table in `errors.ts`. */
export function errorEnvelope(
  kind: ErrorKind,
  data: Record<string, unknown> | null = null,
  headers: Record<string, string> = {},
): TwoFaResponse {
  const { status, message } = ERROR_KINDS[kind];
  return envelope(status, message, data, headers);
}
