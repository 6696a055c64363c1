import { TwoFaError } from '../http/errors.js';
import type { ParamDef } from '../http/params.js';
import { totpParams } from '../otp/input.js';
import { MAX_SECRET_INPUT_LENGTH } from '../otp/secret.js';
import { ALGORITHMS, TOTP_BOUNDS, totpAt } from '../otp/totp.js';
import type { RouteDef } from './types.js';

export const SECRET_PARAM: ParamDef = {
  name: 'secret',
  kind: 'string',
  required: true,
  maxLength: MAX_SECRET_INPUT_LENGTH,
  error: 'INVALID_SECRET',
  example: 'JBSWY3DPEHPK3PXP',
  description:
    'Base32 secret (case-insensitive; spaces, hyphens and "=" padding ignored), or an otpauth://totp/ URI whose secret, digits, period and algorithm apply.',
};

export const TOTP_OPTION_PARAMS: readonly ParamDef[] = [
  {
    name: 'digits',
    kind: 'integer',
    minimum: TOTP_BOUNDS.digits.min,
    maximum: TOTP_BOUNDS.digits.max,
    default: TOTP_BOUNDS.digits.default,
    error: 'INVALID_PARAMETER',
    description: 'Code length.',
  },
  {
    name: 'period',
    kind: 'integer',
    minimum: TOTP_BOUNDS.period.min,
    maximum: TOTP_BOUNDS.period.max,
    default: TOTP_BOUNDS.period.default,
    error: 'INVALID_PARAMETER',
    description: 'Time step in seconds.',
  },
  {
    name: 'algorithm',
    kind: 'enum',
    values: ALGORITHMS,
    default: 'SHA1',
    caseInsensitive: true,
    error: 'INVALID_PARAMETER',
    description: 'HMAC algorithm.',
  },
];

export const generateRoute: RouteDef = {
  id: 'generate',
  path: '/generate',
  methods: ['POST', 'GET'],
  summary: 'Generate the current TOTP code',
  description: 'Returns the TOTP code valid now for the given secret. Counts against the quota.',
  auth: true,
  quota: 'consume',
  params: [SECRET_PARAM, ...TOTP_OPTION_PARAMS],
  success: {
    message: 'Code generated successfully',
    data: {
      type: 'object',
      required: ['code', 'remaining_time', 'timestamp', 'valid_until'],
      additionalProperties: false,
      properties: {
        code: { type: 'string', pattern: '^[0-9]{6,8}$', description: 'The TOTP code (leading zeros kept).' },
        remaining_time: { type: 'integer', minimum: 1, description: 'Seconds until this code expires.' },
        timestamp: { type: 'integer', description: 'Server Unix time in seconds.' },
        valid_until: { type: 'integer', description: 'Unix time (seconds) when this code expires.' },
      },
    },
  },
  errors: ['INVALID_SECRET', 'INVALID_PARAMETER', 'MALFORMED_BODY', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'],
  validate(values, config) {
    totpParams(values, config.maxSecretLength, config.minSecretLength);
  },
  handle({ values, nowMs, config, identity }) {
    const timestamp = Math.floor(nowMs / 1000);
    if (timestamp < 0) throw new TwoFaError('INTERNAL');
    const parse = () => totpParams(values, config.maxSecretLength, config.minSecretLength);
    const { params, code } =
      config.codes === undefined
        ? { params: parse(), code: undefined }
        : config.codes.code(identity?.id ?? '', values, timestamp, parse, config.totpEngine);
    const remaining = params.period - (timestamp % params.period);
    const generated = code ?? totpAt(params, timestamp, config.totpEngine);
    const validUntil = timestamp + remaining;
    return {
      event: 'generated',
      data: { code: generated, remaining_time: remaining, timestamp, valid_until: validUntil },
      // The same, serialised by hand: the code is digits only, the rest integers.
      json: `{"code":"${generated}","remaining_time":${remaining},"timestamp":${timestamp},"valid_until":${validUntil}}`,
    };
  },
};
