import { describe, expect, it } from 'vitest';
import { EMPTY_PARAMS, formParams, objectParams } from '../src/http/body.js';
import { TwoFaError } from '../src/http/errors.js';
import { type ParamDef, readParams } from '../src/http/params.js';

const SECRET: ParamDef = {
  name: 'secret',
  kind: 'string',
  required: true,
  maxLength: 10,
  error: 'INVALID_SECRET',
  description: 'test',
};
const DIGITS: ParamDef = {
  name: 'digits',
  kind: 'integer',
  minimum: 6,
  maximum: 8,
  error: 'INVALID_PARAMETER',
  description: 'test',
};
const ALGORITHM: ParamDef = {
  name: 'algorithm',
  kind: 'enum',
  values: ['SHA1', 'SHA256'],
  caseInsensitive: true,
  error: 'INVALID_PARAMETER',
  description: 'test',
};
const MODE: ParamDef = {
  name: 'mode',
  kind: 'enum',
  values: ['fast'],
  error: 'INVALID_PARAMETER',
  description: 'test',
};
const DEFS = [SECRET, DIGITS, ALGORITHM, MODE];

/** The TwoFaError `readParams` raises, or null when it accepts. */
function failure(body: ReturnType<typeof formParams>, query = EMPTY_PARAMS): TwoFaError | null {
  try {
    readParams(DEFS, body, query);
    return null;
  } catch (error) {
    if (error instanceof TwoFaError) return error;
    throw error;
  }
}

describe('readParams', () => {
  it('reads every declared parameter, absent optional ones as undefined', () => {
    expect(readParams(DEFS, formParams('secret=ABC'), EMPTY_PARAMS)).toEqual({
      secret: 'ABC',
      digits: undefined,
      algorithm: undefined,
      mode: undefined,
    });
  });

  it('lets the body win over the query, per parameter', () => {
    const values = readParams(DEFS, formParams('secret=BODY'), formParams('secret=QUERY&digits=7'));
    expect(values.secret).toBe('BODY');
    expect(values.digits).toBe(7);
    // An invalid body value is not rescued by a valid query value.
    expect(failure(formParams('secret=a&secret=b'), formParams('secret=OK'))?.kind).toBe('INVALID_SECRET');
  });

  it('raises the parameter’s own error kind; INVALID_PARAMETER names the parameter', () => {
    const missing = failure(EMPTY_PARAMS);
    expect(missing?.kind).toBe('INVALID_SECRET');
    expect(missing?.data).toBeNull();
    const digits = failure(formParams('secret=A&digits=9'));
    expect(digits?.kind).toBe('INVALID_PARAMETER');
    expect(digits?.data).toEqual({ parameter: 'digits' });
  });

  it.each([
    ['empty', formParams('secret=')],
    ['blank', formParams('secret=%20%20')],
    ['over maxLength', formParams(`secret=${'A'.repeat(11)}`)],
    ['repeated', formParams('secret=A&secret=B')],
    ['a number', objectParams({ secret: 123 })],
    ['a boolean', objectParams({ secret: true })],
    ['an array', objectParams({ secret: ['A'] })],
    ['an object', objectParams({ secret: { a: 'A' } })],
    ['null', objectParams({ secret: null })],
  ])('refuses a required string that is %s', (_name, body) => {
    expect(failure(body)?.kind).toBe('INVALID_SECRET');
  });

  it('accepts a string of exactly maxLength', () => {
    expect(readParams(DEFS, formParams(`secret=${'A'.repeat(10)}`), EMPTY_PARAMS).secret).toBe('A'.repeat(10));
  });

  it('reads integers from strings (trimmed) and JSON numbers, within bounds', () => {
    expect(readParams(DEFS, formParams('secret=A&digits=%206%20'), EMPTY_PARAMS).digits).toBe(6);
    expect(readParams(DEFS, objectParams({ secret: 'A', digits: 8 }), EMPTY_PARAMS).digits).toBe(8);
  });

  it.each(['5', '9', '7.0', '1e1', '-7', '+7', '0x7', '', 'seven'])('refuses the integer text %j', (text) => {
    expect(failure(formParams(`secret=A&digits=${encodeURIComponent(text)}`))?.data).toEqual({ parameter: 'digits' });
  });

  it('refuses non-integer or boolean JSON values for an integer', () => {
    for (const digits of [6.5, true, '6.5', [6]]) {
      expect(failure(objectParams({ secret: 'A', digits }))?.data).toEqual({ parameter: 'digits' });
    }
  });

  it('matches enums case-insensitively when declared so, answering the canonical spelling', () => {
    expect(readParams(DEFS, formParams('secret=A&algorithm=sha256'), EMPTY_PARAMS).algorithm).toBe('SHA256');
    expect(readParams(DEFS, formParams('secret=A&algorithm=%20Sha1%20'), EMPTY_PARAMS).algorithm).toBe('SHA1');
    expect(failure(formParams('secret=A&algorithm=MD5'))?.data).toEqual({ parameter: 'algorithm' });
    expect(readParams(DEFS, formParams('secret=A&mode=fast'), EMPTY_PARAMS).mode).toBe('fast');
    expect(failure(formParams('secret=A&mode=FAST'))?.data).toEqual({ parameter: 'mode' });
  });

  it('checks parameters in declaration order: the first invalid one is reported', () => {
    expect(failure(formParams('secret=&digits=99'))?.kind).toBe('INVALID_SECRET');
    expect(failure(formParams('secret=A&digits=99&algorithm=MD5'))?.data).toEqual({ parameter: 'digits' });
  });
});

describe('pattern', () => {
  const CODE: ParamDef = {
    name: 'code',
    kind: 'string',
    required: true,
    maxLength: 8,
    pattern: '^[0-9]{6,8}$',
    error: 'INVALID_CODE',
    description: 'test',
  };

  it('accepts only whole-value matches and raises the declared error kind otherwise', () => {
    expect(readParams([CODE], formParams('code=012345'), EMPTY_PARAMS)).toEqual({ code: '012345' });
    for (const bad of ['12345', '12345a', ' 123456', '１２３４５６', '123456\n']) {
      let error: unknown;
      try {
        readParams([CODE], objectParams({ code: bad }), EMPTY_PARAMS);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(bad)).toBeInstanceOf(TwoFaError);
      expect((error as TwoFaError).kind).toBe('INVALID_CODE');
    }
  });
});
