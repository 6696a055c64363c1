/**
 * Property tests of the core's parsers and helpers: whatever the input, they answer or raise a
 * TwoFaError of a documented kind (never another exception), and they agree with a reference.
 */

import { decodeSecret, ERROR_KINDS, encodeBase32, REDACTED, redactUrl, TwoFaError } from '@twofa-kit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRawBody } from '../src/http/body.js';

const RUNS = 2000;
const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ maxLength: 60 }));

describe('redactUrl', () => {
  const name = fc.oneof(
    fc.constantFrom('api_key', 'secret', 'code', 'api%5Fkey', 'secr%65t', 'api_key ', 'API_KEY', 'digits', 'x'),
    fc.string({ maxLength: 8 }).map((s) => s.replace(/[&=#]/g, '')),
  );
  const value = anyText.map((v) => encodeURIComponent(v.replace(/[\uD800-\uDFFF]/g, 'x')));
  const url = fc
    .tuple(fc.constantFrom('/api/2fa/generate', '/x', '/'), fc.array(fc.tuple(name, value), { maxLength: 6 }))
    .map(([path, pairs]) => ({ path, pairs, url: `${path}?${pairs.map(([n, v]) => `${n}=${v}`).join('&')}` }));

  it('replaces exactly the values the kit would read as api_key, secret or code', () => {
    fc.assert(
      fc.property(url, ({ path, url }) => {
        const out = redactUrl(url);
        expect(out.startsWith(`${path}?`)).toBe(true);
        const before = [...new URLSearchParams(url.slice(path.length + 1))];
        const after = [...new URLSearchParams(out.slice(path.length + 1))];
        expect(after.length).toBe(before.length);
        before.forEach(([n, v], i) => {
          const [n2, v2] = after[i] as [string, string];
          expect(n2).toBe(n);
          expect(v2).toBe(['api_key', 'secret', 'code'].includes(n) ? REDACTED : v);
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('keeps URLs without a query, drops fragments, passes non-strings through', () => {
    expect(redactUrl('/api/2fa/usage')).toBe('/api/2fa/usage');
    expect(redactUrl('/a?secret=S#frag')).toBe(`/a?secret=${REDACTED}`);
    expect(redactUrl(undefined)).toBeUndefined();
    expect(redactUrl('/a?api_key=k&digits=8', ['api_key'])).toBe(`/a?api_key=${REDACTED}&digits=8`);
  });
});

describe('decodeSecret', () => {
  it('agrees with an independent Base32 round trip, whatever the case, spaces and hyphens', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 100 }),
        fc.array(fc.constantFrom('', ' ', '-'), { maxLength: 200 }),
        fc.boolean(),
        (bytes, seps, lower) => {
          const canonical = encodeBase32(bytes);
          const spaced = [...canonical].map((c, i) => c + (seps[i] ?? '')).join('');
          const input = lower ? spaced.toLowerCase() : spaced;
          const decoded = decodeSecret(input, 1024);
          expect(decoded === undefined ? undefined : Buffer.from(decoded).toString('hex')).toBe(
            Buffer.from(bytes).toString('hex'),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('rejects any character outside the alphabet, look-alikes included, and never throws', () => {
    const foreign = fc.constantFrom(
      '0',
      '1',
      '8',
      '9',
      'О',
      'Ѕ',
      'Ｊ',
      '𝟐',
      '\u200b',
      '\u0000',
      '_',
      '+',
      '/',
      'ß',
      'ı',
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 40 }), foreign, fc.nat(), (bytes, bad, at) => {
        const s = encodeBase32(bytes);
        const i = at % (s.length + 1);
        expect(decodeSecret(s.slice(0, i) + bad + s.slice(i))).toBeUndefined();
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(anyText, (s) => {
        const out = decodeSecret(s);
        expect(out === undefined || out instanceof Uint8Array).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('parseRawBody', () => {
  const KINDS = new Set(Object.keys(ERROR_KINDS));
  const contentType = fc.oneof(
    fc.constantFrom(
      'application/json',
      'application/x-www-form-urlencoded',
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'text/plain',
      ';',
      '',
    ),
    fc.string({ maxLength: 30 }),
  );
  const body = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)),
    fc.json().map((t) => Buffer.from(t)),
    fc.jsonValue().map((v) => Buffer.from(JSON.stringify({ __proto__: v, secret: v }))),
    anyText.map((t) => Buffer.from(t)),
  );

  it('gives parameters or a TwoFaError of kind 400/415, never another exception or a polluted prototype', () => {
    fc.assert(
      fc.property(body, contentType, (raw, ct) => {
        try {
          const params = parseRawBody(raw, { 'content-type': ct });
          for (const n of ['secret', '__proto__', 'constructor', 'digits']) {
            expect(['absent', 'string', 'number', 'boolean', 'invalid']).toContain(params.get(n).kind);
          }
        } catch (error) {
          expect(error).toBeInstanceOf(TwoFaError);
          expect(KINDS.has((error as TwoFaError).kind)).toBe(true);
          expect([400, 415]).toContain((error as TwoFaError).status);
        }
        expect(({} as Record<string, unknown>).secret).toBeUndefined();
      }),
      { numRuns: RUNS },
    );
  });
});
