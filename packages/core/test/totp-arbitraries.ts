import type { TotpAlgorithm } from '@twofa-kit/core';
import fc from 'fast-check';

/** The inputs the HOTP/TOTP property tests draw from, shared so each suite covers the same ranges. */
export const anyKey = (maxLength: number) => fc.uint8Array({ minLength: 1, maxLength });
/** A counter, or a Unix time in seconds: up to 2^40. */
export const anyCounter = fc.integer({ min: 0, max: 2 ** 40 });
export const anyDigits = fc.integer({ min: 6, max: 8 });
export const anyAlgorithm = fc.constantFrom<TotpAlgorithm>('SHA1', 'SHA256', 'SHA512');
