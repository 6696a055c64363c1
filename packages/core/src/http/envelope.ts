import type { RateHeaders } from '../limits/headers.js';
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

/**
 * The headers of a response: the RateLimit pair of an authenticated request (when it has limits),
 * then `extra` (`Retry-After`, `Allow`), then the content type. Built in one object, no spread.
 */
export function responseHeaders(
  rate: RateHeaders | undefined,
  extra?: Readonly<Record<string, string>>,
): Record<string, string> {
  const headers: Record<string, string> =
    rate === undefined ? {} : { 'ratelimit-policy': rate.policy, ratelimit: rate.value };
  if (extra !== undefined) for (const name in extra) headers[name] = extra[name] as string;
  headers['content-type'] = CONTENT_TYPE;
  return headers;
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
  rate?: RateHeaders,
  extra?: Readonly<Record<string, string>>,
  json?: string,
): TwoFaResponse {
  return {
    status,
    headers: responseHeaders(rate, extra),
    body: `{"code":${status},"message":${messageJson(message)},"data":${json ?? JSON.stringify(data)}}`,
  };
}

/** The envelope of an error kind from the table in `errors.ts`. */
export function errorEnvelope(
  kind: ErrorKind,
  data: Record<string, unknown> | null = null,
  rate?: RateHeaders,
): TwoFaResponse {
  const { status, message } = ERROR_KINDS[kind];
  return envelope(status, message, data, rate);
}
