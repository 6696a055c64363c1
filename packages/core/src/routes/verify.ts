import { createHash } from 'node:crypto';
import { TwoFaError } from '../http/errors.js';
import type { ParamDef } from '../http/params.js';
import { secondsCeil } from '../limits/headers.js';
import { totpParams } from '../otp/input.js';
import { canonicalHmacKey, TOTP_BOUNDS, verifyTotp } from '../otp/totp.js';
import { SECRET_PARAM, TOTP_OPTION_PARAMS } from './generate.js';
import type { RouteDef } from './types.js';

/** A code is 6–8 ASCII digits; it must also have exactly the `digits` in force. */
const CODE_PATTERN = `^[0-9]{${TOTP_BOUNDS.digits.min},${TOTP_BOUNDS.digits.max}}$`;

export const CODE_PARAM: ParamDef = {
  name: 'code',
  kind: 'string',
  required: true,
  maxLength: TOTP_BOUNDS.digits.max,
  pattern: CODE_PATTERN,
  error: 'INVALID_CODE',
  example: '123456',
  description:
    'The code to check: a string of exactly `digits` ASCII digits (leading zeros kept; in JSON send a string, not a number).',
};

export const WINDOW_PARAM: ParamDef = {
  name: 'window',
  kind: 'integer',
  minimum: TOTP_BOUNDS.window.min,
  maximum: TOTP_BOUNDS.window.max,
  default: TOTP_BOUNDS.window.default,
  error: 'INVALID_PARAMETER',
  description: `Accepted clock drift in time steps on either side of the current one (${TOTP_BOUNDS.window.min}–${TOTP_BOUNDS.window.max}).`,
};

export const verifyRoute: RouteDef = {
  id: 'verify',
  path: '/verify',
  methods: ['POST'],
  summary: 'Check a TOTP code',
  description:
    'Checks a code against the secret for the current time step and `window` steps either side. Answers 200 whether or not it matches (`valid`), with the matching step offset in `delta`. Replay-safe (RFC 6238 §5.2): once a code is accepted for a secret and key, that step and every earlier one answer `valid: false, replayed: true`. After 5 failed verifications of one secret within 5 minutes, verifying it answers 429 with `retry_after` until the window ends. Counts against the quota.',
  auth: true,
  quota: 'consume',
  params: [SECRET_PARAM, CODE_PARAM, ...TOTP_OPTION_PARAMS, WINDOW_PARAM],
  success: {
    message: 'Code checked successfully',
    data: {
      type: 'object',
      required: ['valid', 'delta', 'replayed'],
      additionalProperties: false,
      properties: {
        valid: { type: 'boolean', description: 'Whether the code matches a step inside the window.' },
        delta: {
          type: ['integer', 'null'],
          minimum: -TOTP_BOUNDS.window.max,
          maximum: TOTP_BOUNDS.window.max,
          description:
            'The matching step relative to the current one (-1: the previous code, 0: the current one, 1: the next); null when the code does not match or was replayed.',
        },
        replayed: {
          type: 'boolean',
          description:
            'True when the code matched a step already accepted for this secret and key (or an earlier one): it is refused (`valid: false`).',
        },
      },
    },
  },
  errors: [
    'INVALID_SECRET',
    'INVALID_CODE',
    'INVALID_PARAMETER',
    'MALFORMED_BODY',
    'PAYLOAD_TOO_LARGE',
    'UNSUPPORTED_MEDIA_TYPE',
  ],
  validate(values, config) {
    const params = totpParams(values, config.maxSecretLength, config.minSecretLength);
    if ((values.code as string).length !== params.digits) throw new TwoFaError('INVALID_CODE');
  },
  async handle({ values, nowMs, config, identity }) {
    const params = totpParams(values, config.maxSecretLength, config.minSecretLength);
    const code = values.code as string;
    if (code.length !== params.digits) throw new TwoFaError('INVALID_CODE'); // the pattern is checked by readParams
    const window = (values.window as number | undefined) ?? TOTP_BOUNDS.window.default;
    const timestamp = Math.floor(nowMs / 1000);
    if (timestamp < 0) throw new TwoFaError('INTERNAL');
    const delta = verifyTotp(params, code, timestamp, window, config.totpEngine);
    // The matched step by its start time, so that steps of any period compare; remembered until no
    // window (up to the largest allowed) can accept it again.
    const step = delta === null ? null : (Math.floor(timestamp / params.period) + delta) * params.period;
    const rememberMs =
      step === null ? 0 : (step + (TOTP_BOUNDS.window.max + 1) * params.period - timestamp) * 1000 + 1000;
    const limit = config.verifyFailureLimit;
    const record = await config.verifyMemory.recordVerification(
      verificationKey(identity?.id ?? '', canonicalHmacKey(params.key, params.algorithm)),
      { step, rememberMs },
      { maxFailures: limit.max, failureWindowMs: limit.windowSeconds * 1000 },
    );
    if (record.status === 'blocked') {
      const retryAfter = secondsCeil(record.retryAfterMs);
      throw new TwoFaError('RATE_LIMITED', {
        data: { retry_after: retryAfter },
        headers: { 'retry-after': String(retryAfter) },
      });
    }
    const valid = record.status === 'accepted';
    const replayed = record.status === 'replayed';
    return { event: 'verified', eventFields: { valid }, data: { valid, delta: valid ? delta : null, replayed } };
  },
};

/**
 * The name of one identity's memory of one secret: a SHA-256 of both, never the secret itself. The
 * secret is given as the key HMAC uses (`canonicalHmacKey`), so every spelling of a secret that
 * gives the same codes shares one memory.
 */
function verificationKey(identityId: string, secret: Uint8Array): string {
  return createHash('sha256').update('twofa-verify\0').update(identityId).update('\0').update(secret).digest('hex');
}
