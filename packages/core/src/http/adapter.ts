// What every adapter does the same way before it translates: pick the core it serves, tell a body
// a host parser already read from one still to read, and split a request URL. Framework-free.
import type { Readable } from 'node:stream';
import { createTwoFa, type TwoFa } from '../handler.js';
import { checkKnownOptions } from '../option-checks.js';
import { TWOFA_OPTION_NAMES, type TwoFaOptions } from '../options.js';
import type { BodySource, HeaderMap } from '../types.js';
import { TwoFaConfigError } from './errors.js';

/** Either the core's options, or a core built elsewhere (so several apps can share one). */
export type TwoFaSource = TwoFaOptions | { readonly twoFa: TwoFa };

/**
 * The core an adapter serves: the one it was given, or a new one built from the options. `where`
 * names the adapter's entry point in the error about an unknown option (`twoFaRouter`): its options
 * are the core's, or `{ twoFa }` alone.
 */
export function twoFaOf(source: TwoFaSource, where = 'createTwoFa'): TwoFa {
  if (typeof source !== 'object' || source === null) throw new TwoFaConfigError(`${where}: options are required`);
  if ('twoFa' in source) {
    checkKnownOptions(where, source, ['twoFa']);
    return source.twoFa;
  }
  checkKnownOptions(where, source, TWOFA_OPTION_NAMES);
  return createTwoFa(source);
}

/**
 * The body of a request a host body parser may have run on: when it consumed the stream it left its
 * result (`parsed`), which the core takes as it is; otherwise the core reads the stream itself.
 */
export function hostBody(parsed: unknown, stream: Readable): BodySource {
  return parsed !== undefined && stream.readableEnded ? { kind: 'parsed', value: parsed } : { kind: 'stream', stream };
}

/** A request URL (`/generate?secret=...`) split at its first `?` into the path and the raw query. */
export function splitUrl(url: string): { path: string; rawQuery: string } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, rawQuery: '' } : { path: url.slice(0, q), rawQuery: url.slice(q + 1) };
}

/**
 * The URL of a WHATWG `Request`, absolute (`http://host/api/2fa/generate?x` → `/api/2fa/generate` and
 * `x`), split as `splitUrl` splits a path: the path from the first `/` after the host (`/` when there
 * is none), the raw query after its first `?`. One pass and no string in between: the fetch and Hono
 * adapters run it on every request.
 */
export function splitWebUrl(url: string): { path: string; rawQuery: string } {
  const scheme = url.indexOf('://');
  const start = url.indexOf('/', scheme < 0 ? 0 : scheme + 3);
  if (start < 0) return { path: '/', rawQuery: '' };
  const q = url.indexOf('?', start);
  return q < 0 ? { path: url.slice(start), rawQuery: '' } : { path: url.slice(start, q), rawQuery: url.slice(q + 1) };
}

/** A WHATWG `Headers` as the core reads headers: lower-case names, repeated values joined. */
export function webHeaders(headers: Headers): HeaderMap {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

/**
 * The body of a WHATWG `Request` still to read, from its headers (as `webHeaders` made them, or the
 * server's own header map): read whole by `arrayBuffer()` when it declares its length (a fast path
 * on most servers; the core checks the length first), else streamed within the limit; none for a
 * GET or HEAD without one. `request.body` is touched only for a streamed body.
 */
export function webBody(request: Request, headers: HeaderMap): BodySource {
  if (headers['content-length'] !== undefined) return { kind: 'sized', read: () => request.arrayBuffer() };
  if (headers['transfer-encoding'] === undefined && (request.method === 'GET' || request.method === 'HEAD')) {
    return { kind: 'none' };
  }
  const stream = request.body;
  return stream === null ? { kind: 'none' } : { kind: 'web', stream };
}

/**
 * The client address behind `hops` trusted reverse proxies, read as Express's `trust proxy` = n
 * reads it: the peer, then the `X-Forwarded-For` entries from the right; the address `hops` steps
 * back (or the furthest one there is). With `hops` 0 the peer itself: the header, which the client
 * can write, is not read.
 */
export function forwardedAddress(
  forwardedFor: string | null | undefined,
  peer: string | undefined,
  hops: number,
): string | undefined {
  if (hops <= 0 || forwardedFor === null || forwardedFor === undefined || forwardedFor === '') return peer;
  let end = forwardedFor.length;
  let address = peer;
  for (let hop = 0; hop < hops && end >= 0; hop++) {
    const start = forwardedFor.lastIndexOf(',', end - 1);
    const entry = forwardedFor.slice(start + 1, end).trim();
    if (entry !== '') address = entry;
    end = start;
  }
  return address;
}
