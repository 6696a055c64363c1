import type { ParamSource } from './body.js';
import { type ErrorKind, TwoFaError } from './errors.js';

/**
 * A route's input parameters, declared as data. The same declarations validate requests and
 * produce the OpenAPI document and the Fastify route schemas, so they cannot disagree.
 */
export type ParamDef = StringParam | IntegerParam | EnumParam;

interface ParamBase {
  readonly name: string;
  readonly description: string;
  readonly required?: boolean;
  /** The error kind a missing or invalid value raises. */
  readonly error: ErrorKind;
  readonly example?: string | number;
}
export interface StringParam extends ParamBase {
  readonly kind: 'string';
  readonly maxLength: number;
  /** A regular expression (ECMAScript, as JSON Schema's `pattern`) the whole value must match. */
  readonly pattern?: string;
}
export interface IntegerParam extends ParamBase {
  readonly kind: 'integer';
  readonly minimum: number;
  readonly maximum: number;
  /** Documented default (applied by the route, not by the reader). */
  readonly default?: number;
}
export interface EnumParam extends ParamBase {
  readonly kind: 'enum';
  readonly values: readonly string[];
  /** Documented default (applied by the route, not by the reader). */
  readonly default?: string;
  /** Accept any letter case, answering with the canonical spelling from `values`. */
  readonly caseInsensitive?: boolean;
}

export type ParamValues = Readonly<Record<string, string | number | undefined>>;

function fail(def: ParamDef): never {
  throw new TwoFaError(def.error, def.error === 'INVALID_PARAMETER' ? { data: { parameter: def.name } } : {});
}

const INTEGER = /^[0-9]{1,10}$/;

/** Compiled `pattern`s of the declared parameters (a handful, compiled once). */
const PATTERNS = new Map<string, RegExp>();
function patternOf(source: string): RegExp {
  let re = PATTERNS.get(source);
  if (re === undefined) {
    re = new RegExp(source, 'u');
    PATTERNS.set(source, re);
  }
  return re;
}

/** Reads one parameter: the body's value wins over the query's. */
function readOne(def: ParamDef, body: ParamSource, query: ParamSource): string | number | undefined {
  let v = body.get(def.name);
  if (v.kind === 'absent') v = query.get(def.name);
  if (v.kind === 'absent') {
    if (def.required) fail(def);
    return undefined; // defaults are applied by the route, which knows what else may supply them
  }
  if (v.kind === 'invalid' || v.kind === 'boolean') fail(def);
  switch (def.kind) {
    case 'string': {
      if (v.kind !== 'string' || v.value.length > def.maxLength) fail(def);
      if (def.required && v.value.trim() === '') fail(def);
      if (def.pattern !== undefined && !patternOf(def.pattern).test(v.value)) fail(def);
      return v.value;
    }
    case 'integer': {
      let n: number;
      if (v.kind === 'number') n = v.value;
      else if (INTEGER.test(v.value.trim())) n = Number(v.value.trim());
      else fail(def);
      if (!Number.isSafeInteger(n) || n < def.minimum || n > def.maximum) fail(def);
      return n;
    }
    case 'enum': {
      if (v.kind !== 'string') fail(def);
      const want = def.caseInsensitive ? v.value.trim().toUpperCase() : v.value;
      const hit = def.values.find((x) => (def.caseInsensitive ? x.toUpperCase() === want : x === want));
      if (hit === undefined) fail(def);
      return hit;
    }
  }
}

/** Validates every declared parameter; the first invalid one raises its error kind. */
export function readParams(defs: readonly ParamDef[], body: ParamSource, query: ParamSource): ParamValues {
  const out: Record<string, string | number | undefined> = {};
  for (const def of defs) out[def.name] = readOne(def, body, query);
  return out;
}
