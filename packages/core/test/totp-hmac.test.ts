import { createHmac } from 'node:crypto';
import { hotp, type TotpAlgorithm } from '@twofa-kit/core';
import fc from 'fast-check';
import { createGuardrails, generateSync } from 'otplib';
import { describe, expect, it } from 'vitest';
import { anyAlgorithm, anyCounter, anyDigits, anyKey } from './totp-arbitraries.js';

// hotp() computes its HMAC as two one-shot hashes over reused blocks (when crypto.hash exists).
// These tests pin it to node:crypto's createHmac and to otplib for every key length, including
// keys longer than the hash block (64 bytes for SHA-1/SHA-256, 128 for SHA-512), which RFC 2104
// hashes first, and for consecutive calls with different algorithms and key lengths.

/** RFC 4226 truncation over a reference createHmac, independent of the code under test. */
function reference(key: Uint8Array, counter: number, digits: number, algorithm: TotpAlgorithm): string {
  const msg = Buffer.alloc(8);
  msg.writeUInt32BE(Math.floor(counter / 0x1_0000_0000), 0);
  msg.writeUInt32BE(counter >>> 0, 4);
  const mac = createHmac(algorithm.toLowerCase(), key).update(msg).digest();
  const off = (mac[mac.length - 1] as number) & 0xf;
  const bin =
    (((mac[off] as number) & 0x7f) << 24) |
    ((mac[off + 1] as number) << 16) |
    ((mac[off + 2] as number) << 8) |
    (mac[off + 3] as number);
  return String(bin % 10 ** digits).padStart(digits, '0');
}

describe('hotp HMAC', () => {
  it('equals createHmac for keys of 1 to 200 bytes (shorter and longer than the block)', () => {
    fc.assert(
      fc.property(anyKey(200), anyCounter, anyDigits, anyAlgorithm, (key, counter, digits, alg) => {
        expect(hotp(key, counter, digits, alg)).toBe(reference(key, counter, digits, alg));
      }),
      { numRuns: 500 },
    );
  });

  it('equals createHmac at the block boundaries', () => {
    for (const alg of ['SHA1', 'SHA256', 'SHA512'] as const) {
      for (const len of [63, 64, 65, 127, 128, 129]) {
        const key = Uint8Array.from({ length: len }, (_, i) => (i * 37 + len) & 0xff);
        expect(hotp(key, 123_456, 6, alg)).toBe(reference(key, 123_456, 6, alg));
      }
    }
  });

  it('leaves nothing behind between calls: a long key then a short one', () => {
    const long = new Uint8Array(150).fill(0xab);
    const short = new Uint8Array(10).fill(0x01);
    for (const alg of ['SHA1', 'SHA256', 'SHA512'] as const) {
      hotp(long, 1, 6, alg);
      expect(hotp(short, 1, 6, alg)).toBe(reference(short, 1, 6, alg));
    }
  });

  it('agrees with otplib for long secrets (160-byte keys, the longest a secret decodes to)', () => {
    const key = Uint8Array.from({ length: 160 }, (_, i) => (i * 11) & 0xff);
    for (const alg of ['SHA1', 'SHA256', 'SHA512'] as const) {
      const expected = generateSync({
        secret: key,
        epoch: 1_772_035_200,
        algorithm: alg.toLowerCase() as 'sha1' | 'sha256' | 'sha512',
        guardrails: createGuardrails({ MIN_SECRET_BYTES: 1, MAX_SECRET_BYTES: 1024 }),
      });
      expect(hotp(key, Math.floor(1_772_035_200 / 30), 6, alg)).toBe(expected);
    }
  });
});
