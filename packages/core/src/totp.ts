import { createHmac, timingSafeEqual } from 'node:crypto';
import { createGuardrails, dynamicTruncate, type HashAlgorithm, truncateDigits } from '@otplib/core';
import { generateSync } from '@otplib/totp';

/**
 * TOTP (RFC 6238) for the routes. The algorithm is otplib's: its dynamic truncation and digit
 * encoding are called directly, and the `otplib` engine runs otplib's own `generateSync`. The
 * default `node` engine skips otplib's per-call option handling and hashes with node:crypto
 * synchronously; the tests prove both engines give the same codes (RFC 6238 appendix B vectors and
 * random secrets, times, digits and algorithms).
 */

export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';
export type TotpEngine = 'node' | 'otplib';

export interface TotpParams {
  /** Decoded key bytes. */
  readonly key: Uint8Array;
  readonly digits: number;
  /** Seconds. */
  readonly period: number;
  readonly algorithm: TotpAlgorithm;
}

export const TOTP_BOUNDS = {
  digits: { min: 6, max: 8, default: 6 },
  period: { min: 1, max: 3600, default: 30 },
  window: { min: 0, max: 10, default: 1 },
} as const;

export const ALGORITHMS: readonly TotpAlgorithm[] = ['SHA1', 'SHA256', 'SHA512'];

const NODE_ALGORITHM: Record<TotpAlgorithm, string> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };
const OTPLIB_ALGORITHM: Record<TotpAlgorithm, HashAlgorithm> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };

/** The 8-byte counter message, reused: `update()` copies it synchronously before any other call. */
const COUNTER = Buffer.alloc(8);

/** HOTP value for one counter (RFC 4226), node:crypto HMAC + otplib's truncation. */
export function hotp(key: Uint8Array, counter: number, digits: number, algorithm: TotpAlgorithm): string {
  COUNTER.writeUInt32BE(Math.floor(counter / 0x1_0000_0000), 0);
  COUNTER.writeUInt32BE(counter >>> 0, 4);
  const mac = createHmac(NODE_ALGORITHM[algorithm], key).update(COUNTER).digest();
  return truncateDigits(dynamicTruncate(mac), digits);
}

/** otplib's crypto plugin contract, on node:crypto, synchronous. */
const nodeCryptoPlugin = {
  name: 'twofa-kit-node',
  hmac: (algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array =>
    createHmac(algorithm, key).update(data).digest(),
  randomBytes: (length: number): Uint8Array => {
    throw new Error(`not used (${length})`);
  },
  constantTimeEqual: (a: string | Uint8Array, b: string | Uint8Array): boolean => {
    const x = typeof a === 'string' ? Buffer.from(a) : a;
    const y = typeof b === 'string' ? Buffer.from(b) : b;
    return x.length === y.length && timingSafeEqual(x, y);
  },
};

/** Guardrails open enough for the seed's 10-byte example secret; our own bounds apply instead. */
const guardrails = createGuardrails({ MIN_SECRET_BYTES: 1, MAX_SECRET_BYTES: 1024 });

/** The code for the time step containing `unixSeconds`. */
export function totpAt(params: TotpParams, unixSeconds: number, engine: TotpEngine = 'node'): string {
  if (engine === 'otplib') {
    return generateSync({
      secret: params.key,
      crypto: nodeCryptoPlugin,
      epoch: unixSeconds,
      period: params.period,
      digits: params.digits,
      algorithm: OTPLIB_ALGORITHM[params.algorithm],
      guardrails,
    });
  }
  return hotp(params.key, Math.floor(unixSeconds / params.period), params.digits, params.algorithm);
}

/**
 * Checks `code` against the steps `-window … +window` around `unixSeconds`, comparing every
 * candidate in constant time (no early exit). Returns the matching step offset, or null.
 */
export function verifyTotp(
  params: TotpParams,
  code: string,
  unixSeconds: number,
  window: number,
  engine: TotpEngine = 'node',
): number | null {
  const given = Buffer.from(code);
  let delta: number | null = null;
  // Offsets nearest to the current step first (0, -1, +1, -2, +2, …), so a repeated code reports
  // the smallest drift; every candidate is still compared.
  for (let i = 0; i <= 2 * window; i++) {
    const d = i % 2 === 0 ? i / 2 : -(i + 1) / 2;
    const at = unixSeconds + d * params.period;
    if (at < 0) continue;
    const expected = Buffer.from(totpAt(params, at, engine));
    if (expected.length === given.length && timingSafeEqual(expected, given) && delta === null) delta = d;
  }
  return delta;
}
