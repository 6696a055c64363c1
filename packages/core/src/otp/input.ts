import { TwoFaError } from '../http/errors.js';
import type { ParamValues } from '../http/params.js';
import { decodeSecret } from './secret.js';
import { ALGORITHMS, TOTP_BOUNDS, type TotpAlgorithm, type TotpParams } from './totp.js';

const OTPAUTH_PREFIX = 'otpauth://';

function badParameter(parameter: string): never {
  throw new TwoFaError('INVALID_PARAMETER', { data: { parameter } });
}

/** An explicit request parameter and the URI's value must agree when both are given. */
function merge<T>(name: string, explicit: T | undefined, fromUri: T | undefined, fallback: T): T {
  if (explicit !== undefined && fromUri !== undefined && explicit !== fromUri) badParameter(name);
  return explicit ?? fromUri ?? fallback;
}

function uriInteger(params: URLSearchParams, name: 'digits' | 'period'): number | undefined {
  const all = params.getAll(name);
  if (all.length === 0) return undefined;
  const raw = all[0] as string;
  const bounds = TOTP_BOUNDS[name];
  if (all.length > 1 || !isDigits(raw)) badParameter(name);
  const n = Number(raw);
  if (n < bounds.min || n > bounds.max) badParameter(name);
  return n;
}

/** 1 to 10 ASCII digits (a plain loop: no regular expression on request data). */
function isDigits(raw: string): boolean {
  if (raw.length === 0 || raw.length > 10) return false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/**
 * The TOTP parameters of a request: `secret` is a Base32 secret or an `otpauth://totp/...` URI whose
 * `secret`, `digits`, `period` and `algorithm` apply. An explicit `digits`/`period`/`algorithm`
 * that contradicts the URI is a 400 (INVALID_PARAMETER naming it); an equal one is accepted.
 */
export function totpParams(values: ParamValues, maxSecretChars: number, minSecretChars = 1): TotpParams {
  const secretInput = values.secret as string;
  let secretText = secretInput;
  let uriDigits: number | undefined;
  let uriPeriod: number | undefined;
  let uriAlgorithm: TotpAlgorithm | undefined;

  if (secretInput.slice(0, OTPAUTH_PREFIX.length).toLowerCase() === OTPAUTH_PREFIX) {
    let url: URL;
    try {
      url = new URL(secretInput);
    } catch {
      throw new TwoFaError('INVALID_SECRET');
    }
    if (url.host.toLowerCase() !== 'totp') throw new TwoFaError('INVALID_SECRET');
    const q = url.searchParams;
    const secrets = q.getAll('secret');
    if (secrets.length !== 1) throw new TwoFaError('INVALID_SECRET');
    secretText = secrets[0] as string;
    uriDigits = uriInteger(q, 'digits');
    uriPeriod = uriInteger(q, 'period');
    const algs = q.getAll('algorithm');
    if (algs.length > 1) badParameter('algorithm');
    if (algs.length === 1) {
      const a = (algs[0] as string).toUpperCase();
      uriAlgorithm = ALGORITHMS.find((x) => x === a) ?? badParameter('algorithm');
    }
  }

  const key = decodeSecret(secretText, maxSecretChars, minSecretChars);
  if (key === undefined) throw new TwoFaError('INVALID_SECRET');
  return {
    key,
    digits: merge('digits', values.digits as number | undefined, uriDigits, TOTP_BOUNDS.digits.default),
    period: merge('period', values.period as number | undefined, uriPeriod, TOTP_BOUNDS.period.default),
    algorithm: merge('algorithm', values.algorithm as TotpAlgorithm | undefined, uriAlgorithm, 'SHA1'),
  };
}
