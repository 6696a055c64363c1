import { isAscii } from 'node:buffer';
import type { Readable } from 'node:stream';
import type { BodySource, HeaderMap } from '../types.js';
import { type ErrorKind, TwoFaError } from './errors.js';

/**
 * Request parameters from one source (body or query): every value of a name, as strings, or the
 * JSON value itself for JSON bodies. Reading a name checks it was given once.
 */
export interface ParamSource {
  /** `undefined` when absent; `[]`-like repeats and non-strings are reported as `invalid`. */
  get(name: string): ParamValue;
}

export type ParamValue =
  | { readonly kind: 'absent' }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'invalid' };

const ABSENT: ParamValue = { kind: 'absent' };
const INVALID: ParamValue = { kind: 'invalid' };
const NO_KEYS: ReadonlySet<string> = new Set();

/** Parameters from a query string or a form body: a name given twice is invalid. */
export function formParams(raw: string | URLSearchParams): ParamSource {
  const params = typeof raw === 'string' ? new URLSearchParams(raw) : raw;
  return {
    get(name) {
      const all = params.getAll(name);
      if (all.length === 0) return ABSENT;
      if (all.length > 1) return INVALID;
      return { kind: 'string', value: all[0] as string };
    },
  };
}

/**
 * Parameters from a JSON object (or an object the host's parser produced). A name in `repeated`
 * (given twice in the JSON text) is invalid, like a repeated form field.
 */
export function objectParams(
  obj: Readonly<Record<string, unknown>>,
  repeated: ReadonlySet<string> = NO_KEYS,
): ParamSource {
  return {
    get(name) {
      if (repeated.has(name)) return INVALID;
      if (!Object.hasOwn(obj, name)) return ABSENT;
      const v = obj[name];
      if (v === undefined) return ABSENT;
      if (typeof v === 'string') return { kind: 'string', value: v };
      if (typeof v === 'number') return Number.isFinite(v) ? { kind: 'number', value: v } : INVALID;
      if (typeof v === 'boolean') return { kind: 'boolean', value: v };
      return INVALID;
    },
  };
}

export const EMPTY_PARAMS: ParamSource = { get: () => ABSENT };

function headerValue(headers: HeaderMap, name: string): string | undefined {
  const v = headers[name];
  return typeof v === 'string' ? v : v?.[0];
}

/**
 * `{ type, charset }` of a Content-Type header value, lower case; undefined when absent. One
 * forward pass with `indexOf` cursors that only move forward (no split, no regular expression), so
 * a value of 16 KiB of `;` costs what its length costs.
 */
export function mediaType(headers: HeaderMap): { type: string; charset: string | undefined } | undefined {
  const raw = headerValue(headers, 'content-type');
  if (raw === undefined || raw.trim() === '') return undefined;
  let semi = raw.indexOf(';');
  const type = (semi < 0 ? raw : raw.slice(0, semi)).trim().toLowerCase();
  let charset: string | undefined;
  let eq = -1;
  while (semi >= 0) {
    const start = semi + 1;
    const next = raw.indexOf(';', start);
    const end = next < 0 ? raw.length : next;
    if (eq < start) eq = raw.indexOf('=', start);
    if (eq < 0) break; // no parameter with a value is left
    if (eq < end && raw.slice(start, eq).trim().toLowerCase() === 'charset') {
      charset = unquote(raw.slice(eq + 1, end).trim()).toLowerCase();
    }
    semi = next;
  }
  return { type, charset };
}

/** A parameter value without one surrounding pair of double quotes (string operations only). */
function unquote(value: string): string {
  const start = value.startsWith('"') ? 1 : 0;
  const end = value.length > start && value.endsWith('"') ? value.length - 1 : value.length;
  return value.slice(start, end);
}

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
const UTF8 = new Set(['utf-8', 'utf8', 'us-ascii']);
/** Stateless without `stream: true`, so one decoder serves every request. */
const UTF8_DECODER = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a body stream into a Buffer, refusing past `limit` bytes (413) as soon as the declared
 * length or the bytes received exceed it. A stream that errors or is aborted is a 400.
 */
export function readStream(stream: Readable, headers: HeaderMap, limit: number): Promise<Buffer> {
  const declared = Number(headerValue(headers, 'content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    stream.resume();
    return Promise.reject(new TwoFaError('PAYLOAD_TOO_LARGE'));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: TwoFaError | null, buf?: Buffer) => {
      if (done) return;
      done = true;
      stream.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted);
      if (err) {
        stream.resume(); // drain what is left so the connection can be reused
        reject(err);
      } else resolve(buf as Buffer);
    };
    const onData = (chunk: Buffer | string) => {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += b.length;
      if (size > limit) finish(new TwoFaError('PAYLOAD_TOO_LARGE'));
      else chunks.push(b);
    };
    const onEnd = () => finish(null, Buffer.concat(chunks, size));
    const onError = (cause: unknown) => finish(new TwoFaError('MALFORMED_BODY', { cause }));
    const onAborted = () => finish(new TwoFaError('MALFORMED_BODY'));
    stream.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onAborted);
    if (stream.readableEnded) finish(null, Buffer.alloc(0));
  });
}

/**
 * Reads a WHATWG body stream (`Request.body`) into a Buffer, refusing past `limit` bytes (413) as
 * soon as the declared length or the bytes received exceed it; the rest of the stream is then
 * cancelled, not read. A stream that errors is a 400.
 */
export async function readWebStream(
  stream: ReadableStream<Uint8Array>,
  headers: HeaderMap,
  limit: number,
): Promise<Buffer> {
  const declared = Number(headerValue(headers, 'content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    stream.cancel().catch(() => {});
    throw new TwoFaError('PAYLOAD_TOO_LARGE');
  }
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        reader.cancel().catch(() => {});
        throw new TwoFaError('PAYLOAD_TOO_LARGE');
      }
      chunks.push(value);
    }
  } catch (cause) {
    throw cause instanceof TwoFaError ? cause : new TwoFaError('MALFORMED_BODY', { cause });
  }
  return Buffer.concat(chunks, size);
}

/**
 * Reads a body whose length the request declares, after checking that length against `limit`
 * (413 without reading when it is over, or absent); a body that still turns out longer is a 413,
 * one that cannot be read a 400.
 */
async function readSized(
  read: () => Promise<ArrayBuffer | Uint8Array>,
  headers: HeaderMap,
  limit: number,
): Promise<Buffer> {
  const declared = Number(headerValue(headers, 'content-length'));
  if (!(declared <= limit)) throw new TwoFaError('PAYLOAD_TOO_LARGE');
  let bytes: ArrayBuffer | Uint8Array;
  try {
    bytes = await read();
  } catch (cause) {
    throw new TwoFaError('MALFORMED_BODY', { cause });
  }
  if (bytes.byteLength > limit) throw new TwoFaError('PAYLOAD_TOO_LARGE');
  return bytes instanceof Uint8Array
    ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    : Buffer.from(bytes);
}

/** Parses raw body bytes by Content-Type: form or JSON object; anything else non-empty is 415. */
export function parseRawBody(raw: Buffer, headers: HeaderMap): ParamSource {
  if (raw.length === 0) return EMPTY_PARAMS;
  const media = mediaType(headers);
  if (media === undefined || (media.type !== FORM && media.type !== JSON_TYPE)) {
    throw new TwoFaError('UNSUPPORTED_MEDIA_TYPE');
  }
  if (media.charset !== undefined && !UTF8.has(media.charset)) throw new TwoFaError('UNSUPPORTED_MEDIA_TYPE');
  // An ASCII form body (the usual one) reads the same as Latin-1: no UTF-8 validation needed.
  if (media.type === FORM && isAscii(raw)) return formParams(raw.toString('latin1'));
  let text: string;
  try {
    text = UTF8_DECODER.decode(raw);
  } catch (cause) {
    throw new TwoFaError('MALFORMED_BODY', { cause });
  }
  if (media.type === FORM) return formParams(text);
  // Before JSON.parse, in one linear pass: nesting is bounded, and a top-level key given twice is
  // remembered so that reading it is refused like a repeated form field (JSON.parse keeps the last).
  const repeated = repeatedJsonKeys(text);
  if (repeated === TOO_DEEP) throw new TwoFaError('MALFORMED_BODY');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new TwoFaError('MALFORMED_BODY', { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TwoFaError('MALFORMED_BODY');
  }
  return objectParams(value as Record<string, unknown>, repeated);
}

/** Deepest nesting of arrays and objects accepted in a JSON body; deeper is a 400. */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

const TOO_DEEP = 'too-deep';

/**
 * The keys a JSON text's top-level object has more than once (compared after unescaping, so
 * `"secret"` and `"\u0073ecret"` are the same key), or `too-deep` when it nests deeper than
 * `MAX_JSON_DEPTH`. One forward pass; text that is not JSON is left to `JSON.parse` to refuse.
 */
export function repeatedJsonKeys(text: string): ReadonlySet<string> | typeof TOO_DEEP {
  const keys = new Set<string>();
  let repeated: Set<string> | undefined;
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let j = i + 1;
      let escaped = false;
      while (j < text.length) {
        const d = text.charCodeAt(j);
        if (d === BACKSLASH) {
          escaped = true;
          j += 2;
        } else if (d === QUOTE) break;
        else j++;
      }
      if (depth === 1 && expectKey) {
        let key: unknown = text.slice(i + 1, j);
        if (escaped) {
          try {
            key = JSON.parse(text.slice(i, j + 1));
          } catch {
            return NO_KEYS; // not JSON: JSON.parse answers
          }
        }
        if (!keys.has(key as string)) keys.add(key as string);
        else {
          repeated = repeated ?? new Set();
          repeated.add(key as string);
        }
        expectKey = false;
      }
      i = j;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > MAX_JSON_DEPTH) return TOO_DEEP;
      expectKey = depth === 1 && c === OPEN_OBJECT;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
    else if (c === COMMA && depth === 1) expectKey = true;
  }
  return repeated ?? NO_KEYS;
}

/**
 * The body's parameters, whatever form the adapter handed it over in: at once, except for a stream
 * still to read.
 */
export function bodyParams(body: BodySource, headers: HeaderMap, limit: number): ParamSource | Promise<ParamSource> {
  switch (body.kind) {
    case 'none':
      return EMPTY_PARAMS;
    case 'stream':
      return readStream(body.stream, headers, limit).then((raw) => parseRawBody(raw, headers));
    case 'web':
      return readWebStream(body.stream, headers, limit).then((raw) => parseRawBody(raw, headers));
    case 'sized':
      return readSized(body.read, headers, limit).then((raw) => parseRawBody(raw, headers));
    case 'failed':
      throw new TwoFaError(hostParserErrorKind(body.error), { cause: body.error });
    case 'parsed':
      // The host's parser has its own limit; ours still holds for the length the client declared.
      if (Number(headerValue(headers, 'content-length')) > limit) throw new TwoFaError('PAYLOAD_TOO_LARGE');
      return parsedParams(body.value, headers);
  }
}

/** A body the host's own parser produced: an object, a string, a Buffer, or nothing. */
function parsedParams(value: unknown, headers: HeaderMap): ParamSource {
  if (value === undefined || value === null) return EMPTY_PARAMS;
  if (Buffer.isBuffer(value)) return parseRawBody(value, headers);
  if (typeof value === 'string') return parseRawBody(Buffer.from(value), headers);
  if (typeof value !== 'object' || Array.isArray(value)) throw new TwoFaError('MALFORMED_BODY');
  return objectParams(value as Record<string, unknown>);
}

/** The kind of a host body parser's error (body-parser, co-body, Fastify's parsers), by its status. */
function hostParserErrorKind(error: unknown): ErrorKind {
  const status =
    typeof error === 'object' && error !== null
      ? Number(
          (error as { status?: unknown; statusCode?: unknown }).status ??
            (error as { statusCode?: unknown }).statusCode,
        )
      : NaN;
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 415) return 'UNSUPPORTED_MEDIA_TYPE';
  if (status === 400) return 'MALFORMED_BODY';
  return 'INTERNAL';
}
