/**
 * Secret normalisation the way authenticator apps do it: case-insensitive; spaces, hyphens and
 * trailing `=` padding ignored. Decoding is RFC 4648 Base32; trailing bits that do not fill a byte
 * are dropped (as authenticator apps do), so any length of at least two characters decodes.
 */

/** Most characters accepted in a `secret` value before normalisation. */
export const MAX_SECRET_INPUT_LENGTH = 1024;
/** Most Base32 characters after normalisation: 256 characters = 160 bytes of key. */
export const MAX_SECRET_CHARS = 256;
/** Fewest Base32 characters the routes accept (the `minSecretLength` default): 16 = 10 bytes, the API documentation's example. */
export const MIN_SECRET_CHARS = 16;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** Char code → 5-bit value, -1 for characters outside the alphabet (both cases accepted). */
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) {
  DECODE[ALPHABET.charCodeAt(i)] = i;
  DECODE[ALPHABET.toLowerCase().charCodeAt(i)] = i;
}
const SPACE = 0x20;
const HYPHEN = 0x2d;
const EQUALS = 0x3d;

/**
 * Decodes a user-supplied Base32 secret to key bytes, or returns `undefined` when it is not one:
 * empty, too long, a character outside the alphabet, `=` anywhere but at the end, under 1 byte,
 * or fewer than `minChars` Base32 characters (the routes pass their `minSecretLength`).
 */
export function decodeSecret(input: string, maxChars = MAX_SECRET_CHARS, minChars = 1): Uint8Array | undefined {
  if (input.length === 0 || input.length > MAX_SECRET_INPUT_LENGTH) return undefined;
  const out = new Uint8Array(Math.floor((Math.min(input.length, maxChars) * 5) / 8));
  let chars = 0;
  let bits = 0;
  let acc = 0;
  let o = 0;
  let padding = false;
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c === SPACE || c === HYPHEN) continue;
    if (c === EQUALS) {
      padding = true;
      continue;
    }
    const v = c < 128 ? (DECODE[c] as number) : -1;
    if (v < 0 || padding) return undefined;
    if (++chars > maxChars) return undefined;
    acc = ((acc << 5) | v) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  // A clean secret fills `out` exactly; only spaces, hyphens or padding leave a shorter view.
  if (o === 0 || chars < minChars) return undefined;
  return o === out.length ? out : out.subarray(0, o);
}

/** Encodes key bytes as unpadded upper-case Base32 (for tests and otpauth URIs). */
export function encodeBase32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const b of bytes) {
    acc = ((acc << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >>> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}
