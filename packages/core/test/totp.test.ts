import { decodeSecret, encodeBase32, hotp, type TotpAlgorithm, totpAt, verifyTotp } from '@twofa-kit/core';
import fc from 'fast-check';
import { createGuardrails, generateSync } from 'otplib';
import { describe, expect, it } from 'vitest';
import { anyAlgorithm, anyCounter, anyDigits, anyKey } from './totp-arbitraries.js';

// RFC 6238 appendix B: seeds are the ASCII strings below, 8 digits, period 30.
const SEEDS: Record<TotpAlgorithm, string> = {
  SHA1: '12345678901234567890',
  SHA256: '12345678901234567890123456789012',
  SHA512: '1234567890123456789012345678901234567890123456789012345678901234',
};
const VECTORS: [number, string, TotpAlgorithm][] = [
  [59, '94287082', 'SHA1'],
  [59, '46119246', 'SHA256'],
  [59, '90693936', 'SHA512'],
  [1111111109, '07081804', 'SHA1'],
  [1111111109, '68084774', 'SHA256'],
  [1111111109, '25091201', 'SHA512'],
  [1111111111, '14050471', 'SHA1'],
  [1111111111, '67062674', 'SHA256'],
  [1111111111, '99943326', 'SHA512'],
  [1234567890, '89005924', 'SHA1'],
  [1234567890, '91819424', 'SHA256'],
  [1234567890, '93441116', 'SHA512'],
  [2000000000, '69279037', 'SHA1'],
  [2000000000, '90698825', 'SHA256'],
  [2000000000, '38618901', 'SHA512'],
  [20000000000, '65353130', 'SHA1'],
  [20000000000, '77737706', 'SHA256'],
  [20000000000, '47863826', 'SHA512'],
];

describe('TOTP: RFC 6238 appendix B', () => {
  for (const engine of ['node', 'otplib'] as const) {
    it.each(VECTORS)(`${engine} engine: T=%i → %s (%s)`, (t, code, algorithm) => {
      const key = new Uint8Array(Buffer.from(SEEDS[algorithm], 'ascii'));
      expect(totpAt({ key, digits: 8, period: 30, algorithm }, t, engine)).toBe(code);
    });
  }

  it('decodes the Base32 form of the RFC seeds to the same key', () => {
    for (const seed of Object.values(SEEDS)) {
      const key = Buffer.from(seed, 'ascii');
      expect(Buffer.from(decodeSecret(encodeBase32(key)) ?? [])).toEqual(key);
    }
  });
});

const guardrails = createGuardrails({ MIN_SECRET_BYTES: 1, MAX_SECRET_BYTES: 1024 });

describe('TOTP: the node fast path equals otplib for any input', () => {
  it('same codes as otplib generateSync for random keys, times, digits, periods and algorithms', () => {
    fc.assert(
      fc.property(
        anyKey(80),
        anyCounter,
        anyDigits,
        fc.integer({ min: 1, max: 3600 }),
        anyAlgorithm,
        (key, t, digits, period, algorithm) => {
          const ours = totpAt({ key, digits, period, algorithm }, t, 'node');
          // otplib's own default plugins (noble crypto, scure Base32): an independent reference.
          const reference = generateSync({
            secret: encodeBase32(key),
            epoch: t,
            digits,
            period,
            algorithm: algorithm.toLowerCase() as 'sha1' | 'sha256' | 'sha512',
            guardrails,
          });
          expect(ours).toBe(reference);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('hotp keeps leading zeros', () => {
    // RFC 4226 appendix D, counter 0..9 for "12345678901234567890".
    const key = new Uint8Array(Buffer.from(SEEDS.SHA1));
    const expected = [
      '755224',
      '287082',
      '359152',
      '969429',
      '338314',
      '254676',
      '287922',
      '162583',
      '399871',
      '520489',
    ];
    expect(expected.map((_, c) => hotp(key, c, 6, 'SHA1'))).toEqual(expected);
  });
});

describe('verifyTotp', () => {
  const params = { key: new Uint8Array(Buffer.from(SEEDS.SHA1)), digits: 6, period: 30, algorithm: 'SHA1' as const };
  const now = 1_700_000_015;

  it('finds the step offset within the window and nothing outside it', () => {
    for (const d of [-2, -1, 0, 1, 2]) {
      const code = totpAt(params, now + d * 30);
      expect(verifyTotp(params, code, now, 2)).toBe(d);
      if (Math.abs(d) > 1) expect(verifyTotp(params, code, now, 1)).toBeNull();
    }
  });

  it('rejects codes of another length or content', () => {
    const code = totpAt(params, now);
    expect(verifyTotp(params, `${code}0`, now, 1)).toBeNull();
    expect(verifyTotp(params, code.slice(1), now, 1)).toBeNull();
  });
});
