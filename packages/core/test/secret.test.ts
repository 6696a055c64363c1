import { decodeSecret, encodeBase32 } from '@twofa-kit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_SECRET_CHARS } from '../src/otp/secret.js';

const hex = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString('hex'));

describe('decodeSecret', () => {
  it("decodes the API documentation's 10-byte example", () => {
    expect(hex(decodeSecret('JBSWY3DPEHPK3PXP'))).toBe(Buffer.from('Hello!\xde\xad\xbe\xef', 'latin1').toString('hex'));
  });

  it('normalises like authenticator apps: case, spaces, hyphens, = padding', () => {
    const want = hex(decodeSecret('JBSWY3DPEHPK3PXP'));
    for (const variant of [
      'jbswy3dpehpk3pxp',
      'JBSW Y3DP EHPK 3PXP',
      'jbsw-y3dp-ehpk-3pxp',
      'JBSWY3DPEHPK3PXP====',
      ' JbSw y3DP-ehpk3pxp= ',
    ]) {
      expect(hex(decodeSecret(variant))).toBe(want);
    }
    expect(hex(decodeSecret('MZXW6==='))).toBe(Buffer.from('foo').toString('hex'));
  });

  it('rejects what is not Base32', () => {
    for (const bad of [
      '',
      ' ',
      '-',
      '====',
      'A',
      'JBSWY3DPEHPK3PX1',
      'JBSWY3DPEHPK3PX8',
      'JBSWY3DP=EHPK3PXP',
      'JBSW\tY3DP',
      'ＪBSWY3DP',
      'JBSWY3DP\u0000',
    ]) {
      expect(decodeSecret(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });

  it('enforces the documented maximum length', () => {
    expect(decodeSecret('A'.repeat(MAX_SECRET_CHARS))).toBeDefined();
    expect(decodeSecret('A'.repeat(MAX_SECRET_CHARS + 1))).toBeUndefined();
    expect(decodeSecret(`${'A'.repeat(MAX_SECRET_CHARS)}${' '.repeat(2000)}`)).toBeUndefined();
  });

  it('round-trips any bytes through encodeBase32', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 150 }), (bytes) => {
        expect(hex(decodeSecret(encodeBase32(bytes)))).toBe(hex(bytes));
        expect(hex(decodeSecret(encodeBase32(bytes).toLowerCase()))).toBe(hex(bytes));
      }),
    );
  });
});
