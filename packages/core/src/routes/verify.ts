import { TwoFaError } from '../errors.js';
import { totpParams } from '../otp-input.js';
import type { ParamDef } from '../params.js';
import { TOTP_BOUNDS, verifyTotp } from '../totp.js';
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
    'Checks a code against the secret for the current time step and `window` steps either side. Answers 200 whether or not it matches (`valid`), with the matching step offset in `delta`. Stateless: a code stays valid for its whole window (no replay memory). Counts against the quota.',
  auth: true,
  quota: 'consume',
  params: [SECRET_PARAM, CODE_PARAM, ...TOTP_OPTION_PARAMS, WINDOW_PARAM],
  success: {
    message: 'Code checked successfully',
    data: {
      type: 'object',
      required: ['valid', 'delta'],
      additionalProperties: false,
      properties: {
        valid: { type: 'boolean', description: 'Whether the code matches a step inside the window.' },
        delta: {
          type: ['integer', 'null'],
          minimum: -TOTP_BOUNDS.window.max,
          maximum: TOTP_BOUNDS.window.max,
          description:
            'The matching step relative to the current one (-1: the previous code, 0: the current one, 1: the next); null when the code does not match.',
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
  handle({ values, nowMs, config }) {
    const params = totpParams(values, config.maxSecretLength, config.minSecretLength);
    const code = values.code as string;
    if (code.length !== params.digits) throw new TwoFaError('INVALID_CODE'); // the pattern is checked by readParams
    const window = (values.window as number | undefined) ?? TOTP_BOUNDS.window.default;
    const timestamp = Math.floor(nowMs / 1000);
    if (timestamp < 0) throw new TwoFaError('INTERNAL');
    const delta = verifyTotp(params, code, timestamp, window, config.totpEngine);
    return { event: 'verified', eventFields: { valid: delta !== null }, data: { valid: delta !== null, delta } };
  },
};
