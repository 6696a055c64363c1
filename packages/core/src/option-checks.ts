// The checks every options object of the kit goes through (`createTwoFa`, the stores, the key-store
// helpers, the adapters): unknown names are refused with the closest known one, and values are
// checked by one function each, so a typo or a bad value fails at start-up with the same message
// wherever it is made.
import { TwoFaConfigError } from './http/errors.js';

/**
 * The optimal-string-alignment distance (Levenshtein plus adjacent transpositions) between two
 * option names, case-insensitive: `prefx` → `prefix` is 1, `bodylimit` → `bodyLimit` is 0.
 */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let before: number[] = [];
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) {
        best = Math.min(best, (before[j - 2] ?? 0) + 1);
      }
      row.push(best);
    }
    before = previous;
    previous = row;
  }
  return previous[t.length] ?? 0;
}

/** The known name closest to `name`, when it is close enough to be a likely typo. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/**
 * Refuses any own property of `options` not in `known`, naming the closest known one:
 * `twofa-kit: unknown option "prefx" in createTwoFa (did you mean "prefix"?)`.
 */
export function checkKnownOptions(where: string, options: object, known: readonly string[], what = 'option'): void {
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const suggestion = closestName(name, known);
    const hint = suggestion === undefined ? `known ${what}s: ${known.join(', ')}` : `did you mean "${suggestion}"?`;
    throw new TwoFaConfigError(`unknown ${what} "${name}" in ${where} (${hint})`, 'ERR_TWOFA_UNKNOWN_OPTION');
  }
}

/** The allowed range of a number option; `integer` (default true) also refuses fractions. */
export interface NumberRule {
  readonly min: number;
  readonly max?: number;
  readonly integer?: boolean;
  /** What else the option accepts, for the message (`or null (unlimited)`). */
  readonly alternative?: string;
}

/**
 * A number option: `fallback` when absent, else `value` if it is a finite number in the rule's
 * range; anything else is a `TwoFaConfigError` naming the option, the range and the value given.
 */
export function checkNumber(name: string, value: unknown, rule: NumberRule, fallback: number): number {
  if (value === undefined) return fallback;
  const integer = rule.integer ?? true;
  const max = rule.max ?? Number.MAX_SAFE_INTEGER;
  const valid =
    typeof value === 'number' &&
    (integer ? Number.isSafeInteger(value) : Number.isFinite(value)) &&
    value >= rule.min &&
    value <= max;
  if (valid) return value;
  const kind = integer ? 'an integer' : 'a number';
  const range = rule.max === undefined ? `≥ ${rule.min}` : `from ${rule.min} to ${max}`;
  const alternative = rule.alternative === undefined ? '' : ` ${rule.alternative}`;
  throw new TwoFaConfigError(`${name} must be ${kind} ${range}${alternative}, got ${describe(value)}`);
}

/** A boolean option: `fallback` when absent. */
export function checkFlag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TwoFaConfigError(`${name} must be true or false, got ${describe(value)}`);
  return value;
}

/** An options object (absent is `{}`), whose names are checked against `known`. */
export function checkOptionsObject<T extends object>(
  where: string,
  options: T | undefined,
  known: readonly string[],
): T {
  if (options === undefined) return {} as T;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TwoFaConfigError(`${where} options must be an object, got ${describe(options)}`);
  }
  checkKnownOptions(where, options, known);
  return options;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
