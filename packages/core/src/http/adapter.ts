// What every adapter does the same way before it translates: pick the core it serves, tell a body
// a host parser already read from one still to read, and split a request URL. Framework-free.
import type { Readable } from 'node:stream';
import { createTwoFa, type TwoFa } from '../handler.js';
import { checkKnownOptions } from '../option-checks.js';
import { TWOFA_OPTION_NAMES, type TwoFaOptions } from '../options.js';
import type { BodySource } from '../types.js';
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
