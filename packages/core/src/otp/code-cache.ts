import { TwoFaConfigError } from '../http/errors.js';
import type { ParamValues } from '../http/params.js';
import { checkKnownOptions, checkNumber } from '../option-checks.js';
import { type TotpEngine, type TotpParams, totpAt } from './totp.js';

/**
 * The codes of secrets asked for again: a caller polling for its code, or many callers of one
 * account, ask for the same secret many times within one time step, and each repeat would cost a
 * Base32 decode and two SHA hashes. The cache keeps, per caller and exact request values (secret,
 * digits, period, algorithm), the decoded parameters and the last code with its time step; a
 * repeat within the step is a lookup, a repeat in a later step one HMAC.
 *
 * Bounded in size and in time: two generations of at most `max` entries each, turned over every
 * `GENERATION_MS` (and when the newer one is full), so a secret is held at most two generations
 * after it was last asked for (checked on each request; an idle process drops nothing until its
 * next request). Entries are per identity: one caller's requests never make another's faster.
 * `codeCache: false` keeps no secret past its request.
 */
export interface CodeCacheOptions {
  /** Entries per generation. Default 10,000 (about 3 MB with 32-character secrets, both generations full). */
  max?: number;
}

export const DEFAULT_CODE_CACHE_MAX = 10_000;
/** How long a generation lasts (ms): an entry not asked for again is dropped within two. */
export const GENERATION_MS = 30_000;

interface Entry {
  /** What the entry was made for, besides the secret (its key): the caller and the other values. */
  readonly scope: string;
  readonly digits: ParamValues[string];
  readonly period: ParamValues[string];
  readonly algorithm: ParamValues[string];
  readonly params: TotpParams;
  step: number;
  code: string;
}

/** Validates the `codeCache` option (undefined → the default size; false → off). */
export function resolveCodeCache(option: CodeCacheOptions | false | undefined): { max: number } | false {
  if (option === false) return false;
  if (option === undefined) return { max: DEFAULT_CODE_CACHE_MAX };
  if (typeof option !== 'object' || option === null) {
    throw new TwoFaConfigError('codeCache must be false or { max }');
  }
  checkKnownOptions('codeCache', option, ['max']);
  return { max: checkNumber('codeCache.max', option.max, { min: 1, max: 10_000_000 }, DEFAULT_CODE_CACHE_MAX) };
}

export class CodeCache {
  readonly #max: number;
  readonly #clock: () => number;
  #newer = new Map<string, Entry>();
  #older = new Map<string, Entry>();
  #turnedAt: number;

  constructor(max: number, clock: () => number) {
    this.#max = max;
    this.#clock = clock;
    this.#turnedAt = clock();
  }

  /** Entries held (both generations). */
  get size(): number {
    return this.#newer.size + this.#older.size;
  }

  /**
   * The parameters and the code for `values` at `unixSeconds`, for the caller `scope`. `parse`
   * validates and decodes the values (throwing the request's 400) when they are not held.
   */
  code(
    scope: string,
    values: ParamValues,
    unixSeconds: number,
    parse: () => TotpParams,
    engine: TotpEngine,
  ): { params: TotpParams; code: string } {
    this.#turnOver();
    // Keyed by the secret as given; the entry holds the rest, so no key string is built per request.
    const key = values.secret as string;
    let entry = this.#newer.get(key);
    if (entry === undefined) {
      entry = this.#older.get(key);
      if (entry !== undefined) {
        this.#older.delete(key);
        this.#remember(key, entry);
      }
    }
    if (
      entry === undefined ||
      entry.scope !== scope ||
      entry.digits !== values.digits ||
      entry.period !== values.period ||
      entry.algorithm !== values.algorithm
    ) {
      // New, or the same secret asked for by another caller or with other values: replaced.
      const params = parse();
      const made: Entry = {
        scope,
        digits: values.digits,
        period: values.period,
        algorithm: values.algorithm,
        params,
        step: Math.floor(unixSeconds / params.period),
        code: totpAt(params, unixSeconds, engine),
      };
      this.#remember(key, made);
      return made;
    }
    const step = Math.floor(unixSeconds / entry.params.period);
    if (entry.step !== step) {
      entry.code = totpAt(entry.params, unixSeconds, engine);
      entry.step = step;
    }
    return entry;
  }

  #remember(key: string, entry: Entry): void {
    if (this.#newer.size >= this.#max) this.#turn();
    this.#newer.set(key, entry);
  }

  /** A new generation every GENERATION_MS; after two idle ones, nothing is left. */
  #turnOver(): void {
    const now = this.#clock();
    const age = now - this.#turnedAt;
    if (age >= 0 && age < GENERATION_MS) return;
    if (age >= 2 * GENERATION_MS || age < 0) this.#newer = new Map(); // idle (or the clock went back): drop all
    this.#turn();
    this.#turnedAt = now;
  }

  #turn(): void {
    this.#older = this.#newer;
    this.#newer = new Map();
  }
}
