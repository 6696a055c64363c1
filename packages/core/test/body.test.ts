import { PassThrough, Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forwardedAddress, splitUrl, splitWebUrl } from '../src/http/adapter.js';
import {
  bodyParams,
  formParams,
  mediaType,
  objectParams,
  parseRawBody,
  readStream,
  readWebStream,
} from '../src/http/body.js';
import { TwoFaError } from '../src/http/errors.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_CT = { 'content-type': 'application/json' };

/** The error kind a promise or a function fails with. */
async function kindOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof TwoFaError) return error.kind;
    throw error;
  }
  return 'no error';
}

describe('formParams (query strings and form bodies)', () => {
  it('reads one value, decoding + and percent escapes', () => {
    const p = formParams('secret=JBSW+Y3DP%2DEHPK&x=1');
    expect(p.get('secret')).toEqual({ kind: 'string', value: 'JBSW Y3DP-EHPK' });
    expect(p.get('missing')).toEqual({ kind: 'absent' });
    expect(formParams('secret=').get('secret')).toEqual({ kind: 'string', value: '' });
  });

  it('reports a name given twice as invalid (never picks one)', () => {
    expect(formParams('secret=a&secret=b').get('secret')).toEqual({ kind: 'invalid' });
    expect(formParams('secret=a&secret=a').get('secret')).toEqual({ kind: 'invalid' });
  });

  it('does not treat bracket names as the name itself', () => {
    expect(formParams('secret[]=a').get('secret')).toEqual({ kind: 'absent' });
  });
});

describe('objectParams (JSON and host-parsed bodies)', () => {
  it('keeps strings, finite numbers and booleans apart; anything else is invalid', () => {
    const p = objectParams({
      s: 'x',
      n: 8,
      b: true,
      inf: Number.POSITIVE_INFINITY,
      nul: null,
      arr: ['x'],
      obj: { a: 1 },
    });
    expect(p.get('s')).toEqual({ kind: 'string', value: 'x' });
    expect(p.get('n')).toEqual({ kind: 'number', value: 8 });
    expect(p.get('b')).toEqual({ kind: 'boolean', value: true });
    for (const name of ['inf', 'nul', 'arr', 'obj']) expect(p.get(name)).toEqual({ kind: 'invalid' });
  });

  it('sees only own properties, so prototype names are absent', () => {
    const p = objectParams(JSON.parse('{"__proto__":{"secret":"x"},"a":1}'));
    expect(p.get('secret')).toEqual({ kind: 'absent' });
    expect(p.get('toString')).toEqual({ kind: 'absent' });
    expect(p.get('constructor')).toEqual({ kind: 'absent' });
    expect(objectParams({ secret: undefined }).get('secret')).toEqual({ kind: 'absent' });
  });
});

describe('mediaType', () => {
  it('parses the type and charset, lower case, quotes removed', () => {
    expect(mediaType({ 'content-type': 'Application/JSON; Charset="UTF-8"' })).toEqual({
      type: 'application/json',
      charset: 'utf-8',
    });
    expect(mediaType({ 'content-type': 'application/x-www-form-urlencoded' })).toEqual({
      type: 'application/x-www-form-urlencoded',
      charset: undefined,
    });
  });

  it('is undefined without a Content-Type or with a blank one', () => {
    expect(mediaType({})).toBeUndefined();
    expect(mediaType({ 'content-type': '  ' })).toBeUndefined();
  });
});

describe('readStream', () => {
  it('reads the whole body, up to exactly the limit', async () => {
    const buf = await readStream(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), {}, 4);
    expect(buf.toString()).toBe('abcd');
  });

  it('refuses a declared Content-Length over the limit before reading (413)', async () => {
    const stream = new PassThrough();
    expect(await kindOf(() => readStream(stream, { 'content-length': '5' }, 4))).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses a body that grows over the limit without a declared length (413)', async () => {
    const stream = Readable.from([Buffer.from('abc'), Buffer.from('de')]);
    expect(await kindOf(() => readStream(stream, {}, 4))).toBe('PAYLOAD_TOO_LARGE');
  });

  it('turns a stream error or an aborted request into 400', async () => {
    const failing = new PassThrough();
    const read = readStream(failing, {}, 100);
    failing.destroy(new Error('socket hang up'));
    expect(await kindOf(() => read)).toBe('MALFORMED_BODY');
    const aborted = new PassThrough();
    const reading = readStream(aborted, {}, 100);
    aborted.emit('aborted');
    expect(await kindOf(() => reading)).toBe('MALFORMED_BODY');
  });

  it('gives an empty body for a stream somebody already read to the end', async () => {
    const stream = Readable.from([Buffer.from('x')]);
    for await (const _ of stream) {
      // consume it
    }
    expect((await readStream(stream, {}, 10)).length).toBe(0);
  });
});

describe('parseRawBody', () => {
  it('parses form and JSON bodies (charset utf-8 or us-ascii allowed)', () => {
    expect(parseRawBody(Buffer.from('secret=A'), FORM).get('secret')).toEqual({ kind: 'string', value: 'A' });
    const json = parseRawBody(Buffer.from('{"secret":"A","digits":8}'), {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(json.get('digits')).toEqual({ kind: 'number', value: 8 });
    const ascii = parseRawBody(Buffer.from('secret=A'), {
      'content-type': 'application/x-www-form-urlencoded; charset=us-ascii',
    });
    expect(ascii.get('secret')).toEqual({ kind: 'string', value: 'A' });
  });

  it('treats an empty body as no parameters, whatever the type', () => {
    expect(parseRawBody(Buffer.alloc(0), { 'content-type': 'text/plain' }).get('secret')).toEqual({ kind: 'absent' });
  });

  it.each([
    ['no Content-Type', {}],
    ['text/plain', { 'content-type': 'text/plain' }],
    ['multipart', { 'content-type': 'multipart/form-data; boundary=x' }],
    ['a charset other than UTF-8', { 'content-type': 'application/json; charset=latin1' }],
  ])('refuses a body with %s (415)', async (_name, headers) => {
    expect(await kindOf(() => parseRawBody(Buffer.from('secret=A'), headers))).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it.each([
    ['malformed JSON', '{"secret":', JSON_CT],
    ['a JSON array', '["A"]', JSON_CT],
    ['a JSON string', '"A"', JSON_CT],
    ['JSON null', 'null', JSON_CT],
  ])('refuses %s (400)', async (_name, text, headers) => {
    expect(await kindOf(() => parseRawBody(Buffer.from(text), headers))).toBe('MALFORMED_BODY');
  });

  it('refuses bytes that are not UTF-8 (400)', async () => {
    expect(await kindOf(() => parseRawBody(Buffer.from([0x73, 0x3d, 0xff, 0xfe]), FORM))).toBe('MALFORMED_BODY');
  });
});

describe('bodyParams', () => {
  it('reads a stream within the limit', async () => {
    const p = await bodyParams({ kind: 'stream', stream: Readable.from([Buffer.from('secret=A')]) }, FORM, 100);
    expect(p.get('secret')).toEqual({ kind: 'string', value: 'A' });
    expect(
      await kindOf(() => bodyParams({ kind: 'stream', stream: Readable.from([Buffer.from('secret=A')]) }, FORM, 3)),
    ).toBe('PAYLOAD_TOO_LARGE');
  });

  it('takes what a host parser produced: object, string or Buffer (parsed by Content-Type)', async () => {
    expect((await bodyParams({ kind: 'parsed', value: { secret: 'A' } }, JSON_CT, 100)).get('secret')).toEqual({
      kind: 'string',
      value: 'A',
    });
    expect((await bodyParams({ kind: 'parsed', value: 'secret=B' }, FORM, 100)).get('secret')).toEqual({
      kind: 'string',
      value: 'B',
    });
    expect(
      (await bodyParams({ kind: 'parsed', value: Buffer.from('{"secret":"C"}') }, JSON_CT, 100)).get('secret'),
    ).toEqual({ kind: 'string', value: 'C' });
    expect((await bodyParams({ kind: 'parsed', value: undefined }, {}, 100)).get('secret')).toEqual({ kind: 'absent' });
    expect((await bodyParams({ kind: 'none' }, {}, 100)).get('secret')).toEqual({ kind: 'absent' });
  });

  it('refuses a host-parsed array or scalar (400) and a declared length over the limit (413)', async () => {
    expect(await kindOf(() => bodyParams({ kind: 'parsed', value: ['A'] }, JSON_CT, 100))).toBe('MALFORMED_BODY');
    expect(await kindOf(() => bodyParams({ kind: 'parsed', value: 42 }, JSON_CT, 100))).toBe('MALFORMED_BODY');
    const declared = { ...JSON_CT, 'content-length': '101' };
    expect(await kindOf(() => bodyParams({ kind: 'parsed', value: { secret: 'A' } }, declared, 100))).toBe(
      'PAYLOAD_TOO_LARGE',
    );
  });
});

describe('form bodies read as Latin-1 when ASCII', () => {
  it('give the fields URLSearchParams gives for the UTF-8 text, ASCII or not', () => {
    // Field names, separators and escapes in ASCII, then non-ASCII characters raw and escaped.
    const ascii = ['a', 'b', 'secret', '=', '&', '?', ' ', 'x=1', '&&', '==', 'A', '\t', '%41', '+'];
    const alphabet = fc.constantFrom(...ascii, 'é', '%C3%A9', '€');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 30 }), (pieces) => {
        const text = pieces.join('');
        const fast = parseRawBody(Buffer.from(text), FORM);
        const reference = formParams(text);
        for (const name of ['a', 'b', 'secret', '', ' ', 'x', 'A', '?a', 'a b', '\t', 'é', 'A€']) {
          expect(fast.get(name)).toEqual(reference.get(name));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

/** A WHATWG stream of `chunks`, recording how far it was pulled and whether it was cancelled. */
function webStream(chunks: readonly string[], fail?: Error) {
  const seen = { pulled: 0, cancelled: false };
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) {
        seen.pulled++;
        controller.enqueue(new TextEncoder().encode(chunks[i++] as string));
      } else if (fail !== undefined) controller.error(fail);
      else controller.close();
    },
    cancel() {
      seen.cancelled = true;
    },
  });
  return { stream, seen };
}

describe('readWebStream (Request.body of Bun, Deno, Next.js)', () => {
  it('reads every chunk, up to exactly the limit', async () => {
    const { stream } = webStream(['secret=', 'JBSW', 'Y3DP']);
    expect((await readWebStream(stream, FORM, 15)).toString()).toBe('secret=JBSWY3DP');
    const p = await bodyParams({ kind: 'web', stream: webStream(['secret=A']).stream }, FORM, 100);
    expect(p.get('secret')).toEqual({ kind: 'string', value: 'A' });
  });

  it('refuses a body one byte over the limit (413) and cancels the rest unread', async () => {
    const { stream, seen } = webStream(['secret=', 'JBSW', 'Y3DPX', 'never read']);
    expect(await kindOf(() => readWebStream(stream, FORM, 15))).toBe('PAYLOAD_TOO_LARGE');
    expect(seen).toEqual({ pulled: 3, cancelled: true });
  });

  it('refuses a declared Content-Length over the limit before reading anything (413)', async () => {
    const { stream, seen } = webStream(['secret=A']);
    expect(await kindOf(() => readWebStream(stream, { ...FORM, 'content-length': '16' }, 15))).toBe(
      'PAYLOAD_TOO_LARGE',
    );
    expect(seen).toEqual({ pulled: 0, cancelled: true });
  });

  it('answers a stream that errors (a client that went away) with 400', async () => {
    const { stream } = webStream(['secret='], new Error('aborted'));
    expect(await kindOf(() => readWebStream(stream, FORM, 100))).toBe('MALFORMED_BODY');
  });
});

describe('splitWebUrl (the absolute URL of a fetch request)', () => {
  it('splits the path from the first `/` after the host, and the query after the first `?`', () => {
    expect(splitWebUrl('http://host/api/2fa/generate?secret=A&x=1')).toEqual({
      path: '/api/2fa/generate',
      rawQuery: 'secret=A&x=1',
    });
    expect(splitWebUrl('https://[::1]:8443/a/b?c?d=/e')).toEqual({ path: '/a/b', rawQuery: 'c?d=/e' });
    expect(splitWebUrl('http://host/')).toEqual({ path: '/', rawQuery: '' });
    expect(splitWebUrl('http://host/?')).toEqual({ path: '/', rawQuery: '' });
    expect(splitWebUrl('http://host')).toEqual({ path: '/', rawQuery: '' });
    expect(splitWebUrl('/no/origin?q')).toEqual({ path: '/no/origin', rawQuery: 'q' });
  });

  it('agrees with splitUrl on the path and query of any URL', () => {
    const origin = fc.constantFrom('http://host', 'https://example.com:8080', 'http://[2001:db8::1]');
    const pathAndQuery = fc.string().map((tail) => `/${tail}`);
    fc.assert(
      fc.property(origin, pathAndQuery, (o, rest) => {
        expect(splitWebUrl(o + rest)).toEqual(splitUrl(rest));
      }),
    );
  });
});

describe('forwardedAddress (a fetch host behind reverse proxies)', () => {
  it('reads the entry the nearest trusted proxy appended, never one the client wrote', () => {
    const header = 'forged, 203.0.113.7, 10.0.0.2';
    expect(forwardedAddress(header, '10.0.0.1', 0)).toBe('10.0.0.1');
    expect(forwardedAddress(header, '10.0.0.1', 1)).toBe('10.0.0.2');
    expect(forwardedAddress(header, '10.0.0.1', 2)).toBe('203.0.113.7');
    expect(forwardedAddress(header, undefined, 9)).toBe('forged'); // the furthest there is
    expect(forwardedAddress(null, '10.0.0.1', 1)).toBe('10.0.0.1');
    expect(forwardedAddress(' 2001:db8::1 ', undefined, 1)).toBe('2001:db8::1');
  });
});

describe('a body of declared length, read whole (`sized`)', () => {
  const sized = (text: string, declared: string) => {
    let reads = 0;
    const body = {
      kind: 'sized' as const,
      read: async () => {
        reads++;
        return new TextEncoder().encode(text);
      },
    };
    return { body, headers: { ...FORM, 'content-length': declared }, reads: () => reads };
  };

  it('reads it when the declared length is within the limit', async () => {
    const { body, headers } = sized('secret=A', '8');
    expect((await bodyParams(body, headers, 8)).get('secret')).toEqual({ kind: 'string', value: 'A' });
  });

  it('refuses a declared length over the limit without reading (413)', async () => {
    const { body, headers, reads } = sized('secret=AB', '9');
    expect(await kindOf(() => bodyParams(body, headers, 8))).toBe('PAYLOAD_TOO_LARGE');
    expect(reads()).toBe(0);
  });

  it('refuses bytes past the limit whatever was declared (413), and a failed read (400)', async () => {
    expect(await kindOf(() => bodyParams(sized('secret=ABCD', '3').body, { ...FORM, 'content-length': '3' }, 8))).toBe(
      'PAYLOAD_TOO_LARGE',
    );
    const failing = { kind: 'sized' as const, read: () => Promise.reject(new Error('client went away')) };
    expect(await kindOf(() => bodyParams(failing, { ...FORM, 'content-length': '3' }, 8))).toBe('MALFORMED_BODY');
  });
});
