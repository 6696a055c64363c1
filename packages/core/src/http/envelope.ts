import type { TwoFaResponse } from '../types.js';
import { ERROR_KINDS, type ErrorKind } from './errors.js';

/** The only content type the surface ever answers with. */
export const CONTENT_TYPE = 'application/json; charset=utf-8';

export interface Envelope<D = Record<string, unknown> | null> {
  code: number;
  message: string;
  data: D;
}

/** The JSON text of a message: the messages are a handful of constants, each serialised once. */
const MESSAGE_JSON = new Map<string, string>();
function messageJson(message: string): string {
  let json = MESSAGE_JSON.get(message);
  if (json === undefined) {
    json = JSON.stringify(message);
    if (MESSAGE_JSON.size < 256) MESSAGE_JSON.set(message, json);
  }
  return json;
}

/** Response headers of an envelope: `headers` and the content type, in one object of one shape. */
function withContentType(headers: Readonly<Record<string, string>>): Record<string, string> {
  const policy = headers['ratelimit-policy'];
  const rate = headers.ratelimit;
  // The common case (only the two RateLimit headers, or none) without an object spread.
  let n = 0;
  for (const _ in headers) n++;
  if (n === 0) return { 'content-type': CONTENT_TYPE };
  if (n === 2 && policy !== undefined && rate !== undefined) {
    return { 'ratelimit-policy': policy, ratelimit: rate, 'content-type': CONTENT_TYPE };
  }
  return { ...headers, 'content-type': CONTENT_TYPE };
}

/**
 * Builds the `{code, message, data}` response. The one place an envelope is made. `json`, when
 * given, is `data` already serialised (a route that writes its own: it must equal
 * `JSON.stringify(data)`); the body is exactly `JSON.stringify({ code, message, data })`.
 */
export function envelope(
  status: number,
  message: string,
  data: Record<string, unknown> | null,
  headers: Readonly<Record<string, string>> = {},
  json?: string,
): TwoFaResponse {
  return {
    status,
    headers: withContentType(headers),
    body: `{"code":${status},"message":${messageJson(message)},"data":${json ?? JSON.stringify(data)}}`,
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
