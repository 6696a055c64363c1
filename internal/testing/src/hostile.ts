/**
 * fast-check arbitraries for hostile requests to the surface, each paired with the statuses the contract
 * allows for that input class. The expectation is computed from the input class (which route,
 * which key, what kind of body), never by running the kit's own code.
 */
import http from 'node:http';
import fc from 'fast-check';
import type { WireRequest } from './wire.js';

export const PREFIX = '/api/2fa';
export const SECRET = 'JBSWY3DPEHPK3PXP';
/** A key on a plan with a limit no run reaches. */
export const KEY = 'Hard-Key-0001-abcdef';
/** A key on a plan of 2 a minute: 429 is allowed for it. */
export const TINY_KEY = 'Hard-Key-Tiny-0002';
export const BODY_LIMIT = 16 * 1024;

/** Statuses the surface answers with in its envelope, by route (the contract). */
const ROUTE_METHODS: Record<string, readonly string[]> = {
  '/generate': ['GET', 'HEAD', 'POST'],
  '/verify': ['POST'],
  '/usage': ['GET', 'HEAD'],
  '/openapi.json': ['GET', 'HEAD'],
};
const ANY_ENVELOPE = [200, 400, 401, 404, 405, 413, 415, 429];

/** What the request is expected to get. */
export interface Expectation {
  /** Statuses allowed in the kit's envelope. */
  allowed: readonly number[];
  /** Statuses Node's HTTP parser may answer itself (bare, no envelope) before any framework. */
  node: readonly number[];
  /** The connection may close without any answer (the client broke the framing itself). */
  noAnswerOk: boolean;
  /** The route answers a non-envelope document with 200 (openapi.json). */
  document: boolean;
}

export type Hostile =
  | { kind: 'http'; label: string; req: WireRequest; expect: Expectation }
  | { kind: 'raw'; label: string; bytes: Buffer; endAfterWrite: boolean; expect: Expectation };

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/** Unicode look-alikes of Base32 letters and digits, invisible and odd characters. */
const LOOKALIKES = [
  'А', // Cyrillic A
  'В',
  'Е',
  'О', // Cyrillic O
  'Ο', // Greek Omicron
  'Ѕ',
  'Ꭺ',
  'Ｊ', // fullwidth J
  'ｊ',
  '０',
  '𝟐', // mathematical bold 2
  '²',
  'ß',
  'İ', // upper-cases oddly
  'ı',
  'ﬀ',
  '\u200b', // zero width space
  '\u00a0', // no-break space
  '\ufeff',
  '\u0000',
  '\ud800', // lone surrogate
  '=',
  '-',
  ' ',
];

const base32Char = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abcdefghijklmnopqrstuvwxyz234567');
const validSecret = fc
  .array(base32Char, { minLength: 16, maxLength: 64 })
  .chain((chars) =>
    fc
      .array(fc.constantFrom('', ' ', '-'), { minLength: chars.length, maxLength: chars.length })
      .map((seps) => chars.map((c, i) => c + (seps[i] ?? '')).join('')),
  );
/** A Base32 secret with look-alikes spliced in. */
const lookalikeSecret = fc
  .tuple(validSecret, fc.array(fc.tuple(fc.nat(), fc.constantFrom(...LOOKALIKES)), { minLength: 1, maxLength: 4 }))
  .map(([s, subs]) => {
    const chars = [...s];
    for (const [at, c] of subs) chars.splice(at % (chars.length + 1), 0, c);
    return chars.join('');
  });

const hostileString = fc.oneof(
  { weight: 3, arbitrary: validSecret },
  { weight: 3, arbitrary: lookalikeSecret },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '====', '--', '0', '1', '8', '-1', '1e3', '0x10', 'NaN', 'null') },
  { weight: 1, arbitrary: fc.constantFrom('sha1', 'SHA256', 'Sha512', 'md5', 'SHA-1', 'ＳＨＡ１') },
  { weight: 1, arbitrary: fc.nat({ max: 3000 }).map((n) => 'A'.repeat(n)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        validSecret,
        fc.constantFrom('', '&digits=8', '&digits=99', '&period=0', '&algorithm=SHA512', '&secret=AB'),
      )
      .map(([s, extra]) => `otpauth://totp/Acme:a@b?secret=${s}${extra}`),
  },
);

const PARAM_NAMES = [
  'secret',
  'secret',
  'secret',
  'code',
  'window',
  'digits',
  'period',
  'algorithm',
  'api_key',
  '__proto__',
  'constructor',
  'prototype',
  'secret[]',
  '__proto__[polluted]',
  'constructor[prototype][polluted]',
  'hasOwnProperty',
  'toString',
];
const paramName = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...PARAM_NAMES) }, fc.string({ maxLength: 10 }));

/** Percent-encodes like encodeURIComponent, but lone surrogates become U+FFFD instead of throwing. */
function pct(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-_.!~*'()]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
/** Keeps `%`, `+`, `=` and other visible ASCII raw (stray escapes), encodes the rest. */
function halfRaw(s: string): string {
  let out = '';
  for (const ch of s) out += /^[\x21-\x7e]$/.test(ch) && ch !== '&' && ch !== '#' ? ch : pct(ch);
  return out;
}

/** Form/query text: pairs, encoded or half-raw (stray `%`, `+`, `&`). */
const formText = fc
  .array(fc.tuple(paramName, hostileString, fc.boolean()), { maxLength: 6 })
  .map((pairs) => pairs.map(([k, v, raw]) => (raw ? `${halfRaw(k)}=${halfRaw(v)}` : `${pct(k)}=${pct(v)}`)).join('&'));

/** JSON values where strings belong: arrays, objects, huge and odd numbers, booleans, null. */
const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('secret', '__proto__', 'constructor', 'a'), hostileString) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(0, -0, 6, 8, 30, 1e308, -1e308, 2 ** 53 + 1, 6.5, Number.MIN_VALUE, true, false, null),
  },
  { weight: 1, arbitrary: fc.double() },
);

/** A JSON object body (as text), with prototype-poisoning keys sometimes written in by hand. */
const jsonText = fc
  .tuple(fc.dictionary(paramName, jsonValue, { maxKeys: 6 }), fc.constantFrom('', 'proto', 'ctor', 'both'))
  .map(([obj, poison]) => {
    const text = JSON.stringify(obj);
    const extra =
      poison === 'proto'
        ? '"__proto__":{"polluted":"yes","secret":"JBSWY3DPEHPK3PXP"}'
        : poison === 'ctor'
          ? '"constructor":{"prototype":{"polluted":"yes"}}'
          : poison === 'both'
            ? '"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}'
            : '';
    if (extra === '') return text;
    return text === '{}' ? `{${extra}}` : `{${extra},${text.slice(1)}`;
  });

const deepJson = fc.tuple(fc.integer({ min: 1, max: 12_000 }), fc.constantFrom('[', '{"a":')).map(([depth, open]) => {
  const close = open === '[' ? ']' : '}';
  const s = `{"secret":${open.repeat(depth)}1${close.repeat(depth)}}`;
  return s.length > BODY_LIMIT ? s.slice(0, BODY_LIMIT) : s;
});

const hugeNumbers = fc.constantFrom(
  '{"secret":"JBSWY3DPEHPK3PXP","digits":1e999}',
  '{"secret":"JBSWY3DPEHPK3PXP","digits":-1e999}',
  `{"secret":"JBSWY3DPEHPK3PXP","period":${'9'.repeat(400)}}`,
  '{"secret":"JBSWY3DPEHPK3PXP","digits":6.0000000000000001}',
  '{"secret":"JBSWY3DPEHPK3PXP","window":1e21}',
  '{"secret":123456789012345678901234567890}',
);

type BodyKind = 'form' | 'json' | 'binary' | 'oversized' | 'empty';
interface BodyGen {
  bytes: Buffer;
  kind: BodyKind;
}

const bodyArb: fc.Arbitrary<BodyGen> = fc.oneof(
  { weight: 4, arbitrary: formText.map((t) => ({ bytes: Buffer.from(t), kind: 'form' as const })) },
  { weight: 4, arbitrary: jsonText.map((t) => ({ bytes: Buffer.from(t), kind: 'json' as const })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(jsonText, fc.nat())
      .map(([t, cut]) => ({ bytes: Buffer.from(t.slice(0, cut % (t.length + 1))), kind: 'json' as const })),
  },
  { weight: 1, arbitrary: deepJson.map((t) => ({ bytes: Buffer.from(t), kind: 'json' as const })) },
  { weight: 1, arbitrary: hugeNumbers.map((t) => ({ bytes: Buffer.from(t), kind: 'json' as const })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        // wrong charsets and bytes: UTF-16, Latin-1, invalid UTF-8, NULs, a BOM
        Buffer.from('{"secret":"JBSWY3DPEHPK3PXP"}', 'utf16le'),
        Buffer.from('secret=JBSWY3DP\u00e9EHPK3PXP', 'latin1'),
        Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
        Buffer.from('{"secret":"JBSWY3DP\u0000EHPK3PXP"}'),
        Buffer.from('secret=JBSWY3DP%00EHPK3PXP'),
        Buffer.from('\ufeff{"secret":"JBSWY3DPEHPK3PXP"}'),
        Buffer.from('[{"secret":"JBSWY3DPEHPK3PXP"}]'),
        Buffer.from('"JBSWY3DPEHPK3PXP"'),
        Buffer.from('null'),
      )
      .map((bytes) => ({ bytes, kind: 'binary' as const })),
  },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ minLength: 1, maxLength: 200 })
      .map((u) => ({ bytes: Buffer.from(u), kind: 'binary' as const })),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: BODY_LIMIT + 1, max: 3 * BODY_LIMIT })
      .map((n) => ({ bytes: Buffer.alloc(n, 'a'), kind: 'oversized' as const })),
  },
  { weight: 1, arbitrary: fc.constant({ bytes: Buffer.alloc(0), kind: 'empty' as const }) },
);

const CONTENT_TYPES = {
  form: ['application/x-www-form-urlencoded', 'Application/X-WWW-Form-Urlencoded; charset=UTF-8'],
  json: ['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON; charset="utf-8"'],
  unsupported: [
    'text/plain',
    'multipart/form-data; boundary=xyz',
    'application/xml',
    'application/json; charset=latin1',
    'application/json; charset=utf-16',
    'application/x-www-form-urlencoded; charset=iso-8859-1',
    'application/jsonx',
    ';;;',
    'application/json, text/plain',
  ],
};
type CtClass = 'form' | 'json' | 'unsupported' | 'none';
const contentType: fc.Arbitrary<{ value: string | undefined; cls: CtClass }> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES.form).map((value) => ({ value, cls: 'form' as const })) },
  { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES.json).map((value) => ({ value, cls: 'json' as const })) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(...CONTENT_TYPES.unsupported).map((value) => ({ value, cls: 'unsupported' as const })),
  },
  { weight: 1, arbitrary: fc.constant({ value: undefined, cls: 'none' as const }) },
);

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

const NODE_METHODS = new Set(http.METHODS);
const METHODS = [
  'GET',
  'POST',
  'HEAD',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'TRACE',
  'PROPFIND',
  'PURGE',
  'SEARCH',
  'LINK',
  'MKCOL',
  'REPORT',
  'LOCK',
].filter((m) => NODE_METHODS.has(m));
const method = fc.oneof(
  { weight: 8, arbitrary: fc.constant('POST') },
  { weight: 4, arbitrary: fc.constant('GET') },
  { weight: 3, arbitrary: fc.constantFrom(...METHODS) },
);

/** Below the prefix: real routes mostly, then paths only some frameworks normalise. */
const pathArb: fc.Arbitrary<{ path: string; route: string | undefined; exact: boolean }> = fc.oneof(
  { weight: 10, arbitrary: fc.constant({ path: '/generate', route: '/generate', exact: true }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom('/verify', '/usage', '/openapi.json').map((p) => ({ path: p, route: p, exact: true })),
  },
  { weight: 1, arbitrary: fc.constant({ path: '/generate/', route: '/generate', exact: true }) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(
        '/GENERATE',
        '//generate',
        '/generate/..',
        '/./generate',
        '/generate%00',
        '/%2e%2e/generate',
        '/generate%',
        '/gen%65rate',
        '/generate;x',
        '/generate/%2F',
        '/',
        '',
        '/%',
        '/%E0%A4%A',
        '/%C3%A9',
        '/generate/extra',
      )
      .map((p) => ({ path: p, route: undefined, exact: false })),
  },
  {
    weight: 1,
    arbitrary: fc
      .stringMatching(/^[a-zA-Z0-9._~-]{1,20}$/)
      .filter((s) => !['generate', 'verify', 'usage', 'openapi.json'].includes(s.toLowerCase()))
      .map((s) => ({ path: `/${s}`, route: undefined, exact: true })),
  },
);

type KeyPlacement = 'header' | 'query' | 'both' | 'none' | 'header-dup' | 'query-dup' | 'header-empty';
const keyVariant = fc.constantFrom(
  { value: KEY, identity: 'key' as const },
  { value: KEY, identity: 'key' as const },
  { value: ` ${KEY}\t`, identity: 'key' as const },
  { value: TINY_KEY, identity: 'tiny' as const },
  { value: KEY.toUpperCase(), identity: null },
  { value: KEY.toLowerCase(), identity: null },
  { value: `${KEY}x`, identity: null },
  { value: KEY.slice(0, -1), identity: null },
  { value: KEY.replace('a', '\u00e1'), identity: null },
  { value: 'x'.repeat(300), identity: null },
);
const authArb = fc.record({
  placement: fc.constantFrom<KeyPlacement>(
    'header',
    'header',
    'header',
    'query',
    'both',
    'none',
    'header-dup',
    'query-dup',
    'header-empty',
  ),
  key: keyVariant,
  other: keyVariant,
});

const requestArb = fc.record({
  method,
  path: pathArb,
  query: fc.oneof({ weight: 4, arbitrary: formText }, { weight: 1, arbitrary: fc.constant('') }),
  hugeQuery: fc.oneof(
    { weight: 12, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }) },
  ),
  auth: authArb,
  body: fc.option(bodyArb, { freq: 3 }),
  contentType,
  chunked: fc.option(fc.integer({ min: 1, max: 4096 }), { freq: 4 }),
  extraHeaders: fc.array(
    fc.tuple(
      fc.constantFrom('x-forwarded-for', 'x-pad', 'accept', 'cookie', 'x-api-key-2', 'authorization', 'user-agent'),
      fc.oneof(
        fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 50 }),
        fc.integer({ min: 1, max: 20_000 }).map((n) => 'p'.repeat(n)),
      ),
    ),
    { maxLength: 3 },
  ),
});

/** A clean request: well-formed, valid key and secret. The contract: exactly 200. */
const cleanArb = fc
  .record({
    secret: validSecret,
    via: fc.constantFrom('form', 'json', 'query'),
    placement: fc.constantFrom('header', 'query', 'both'),
  })
  .map(({ secret, via, placement }): Hostile => {
    const headers: Record<string, string> = {};
    let query = '';
    if (placement !== 'query') headers['x-api-key'] = KEY;
    if (placement !== 'header') query = `api_key=${pct(KEY)}`;
    let body: Buffer | undefined;
    if (via === 'query') query += `${query ? '&' : ''}secret=${pct(secret)}`;
    else if (via === 'form') {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = Buffer.from(`secret=${pct(secret)}`);
    } else {
      headers['content-type'] = 'application/json';
      body = Buffer.from(JSON.stringify({ secret }));
    }
    return {
      kind: 'http',
      label: `clean ${via} key-in-${placement}`,
      req: {
        method: via === 'query' ? 'GET' : 'POST',
        target: `${PREFIX}/generate${query ? `?${query}` : ''}`,
        headers,
        body,
      },
      expect: { allowed: [200], node: [], noAnswerOk: false, document: false },
    };
  });

/** Which identity the request presents, by the contract: the header wins; the query only without a header. */
function presented(headerValues: string[] | undefined, query: string): 'key' | 'tiny' | null {
  const identify = (v: string) => (v.trim() === KEY ? 'key' : v.trim() === TINY_KEY ? 'tiny' : null);
  if (headerValues !== undefined) return headerValues.length === 1 ? identify(headerValues[0] ?? '') : null;
  const all = new URLSearchParams(query).getAll('api_key');
  return all.length === 1 ? identify(all[0] ?? '') : null;
}

const hostileHttp = requestArb.map((g): Hostile => {
  // Query: the generated pairs, the key when placed there, and the huge padding.
  const keyQuery: string[] = [];
  const headers: Record<string, string | string[]> = {};
  let headerKey: string[] | undefined;
  const { placement, key, other } = g.auth;
  if (placement === 'header' || placement === 'both') headerKey = [key.value];
  if (placement === 'header-dup') headerKey = [key.value, other.value];
  if (placement === 'header-empty') headerKey = [''];
  if (placement === 'query' || placement === 'both') keyQuery.push(`api_key=${pct(key.value)}`);
  if (placement === 'query-dup') keyQuery.push(`api_key=${pct(key.value)}`, `api_key=${pct(other.value)}`);
  if (headerKey !== undefined) headers['x-api-key'] = headerKey.length === 1 ? (headerKey[0] as string) : headerKey;
  let query = [g.query, ...keyQuery].filter(Boolean).join('&');
  if (g.hugeQuery > 0) query += `${query ? '&' : ''}pad=${'q'.repeat(g.hugeQuery)}`;
  for (const [name, value] of g.extraHeaders) headers[name] = value;
  const body = g.body ?? undefined;
  if (body !== undefined && g.contentType.value !== undefined) headers['content-type'] = g.contentType.value;

  // Node's parser answers 431 itself past its header limit (16 KiB) — only near that size.
  const headerBytes =
    g.method.length +
    PREFIX.length +
    g.path.path.length +
    query.length +
    Object.entries(headers).reduce(
      (n, [k, v]) => n + k.length + (Array.isArray(v) ? v.join('').length + 4 * v.length : v.length + 4),
      0,
    );
  const node = headerBytes > 15_000 ? [431] : [];

  const nodeHeaderValues = headerKey === undefined ? undefined : [headerKey.join(', ')];
  const identity = presented(nodeHeaderValues, query);
  const allowed = expectedStatuses(g.method, g.path, identity, body, g.contentType.cls);
  return {
    kind: 'http',
    label: `${g.method} ${g.path.path} key:${placement}/${key.identity ?? 'bad'} body:${body?.kind ?? 'none'}/${g.contentType.cls}`,
    req: {
      method: g.method,
      target: `${PREFIX}${g.path.path}${query ? `?${query}` : ''}`,
      headers,
      body: body?.bytes,
      chunked: body === undefined ? undefined : (g.chunked ?? undefined),
    },
    expect: {
      allowed,
      node,
      noAnswerOk: false,
      document: g.path.route === '/openapi.json',
    },
  };
});

function expectedStatuses(
  method: string,
  path: { route: string | undefined; exact: boolean },
  identity: 'key' | 'tiny' | null,
  body: BodyGen | undefined,
  ct: CtClass,
): number[] {
  if (!path.exact) return ANY_ENVELOPE; // frameworks differ in what they normalise: any envelope
  if (path.route === undefined) return [404];
  const methods = ROUTE_METHODS[path.route] ?? [];
  if (!methods.includes(method)) return [405];
  if (path.route === '/openapi.json') return [200];
  if (identity === null) return [401];
  const limited = identity === 'tiny' && path.route !== '/usage' ? [429] : [];
  if (path.route === '/usage') return [200];
  if (method === 'GET' || method === 'HEAD' || body === undefined || body.bytes.length === 0) {
    return [200, 400, ...limited];
  }
  if (body.bytes.length > BODY_LIMIT) return [413, ...limited];
  if (ct === 'unsupported' || ct === 'none') return [415, ...limited];
  return [200, 400, ...limited];
}

// ---------------------------------------------------------------------------------------------
// Raw bytes: what node:http will not send
// ---------------------------------------------------------------------------------------------

const head = (lines: string[]) => `${lines.join('\r\n')}\r\n\r\n`;
/** Bytes Node refuses before any framework: a bare 400 or, under load, just a closed connection. */
const RAW_CASES: Array<{ label: string; bytes: Buffer; endAfterWrite?: boolean; expect: Expectation }> = [
  {
    label: 'NUL in a header value',
    bytes: Buffer.from(
      head([`GET ${PREFIX}/generate HTTP/1.1`, 'Host: x', `X-API-Key: ${KEY}\0`, 'Connection: close']),
    ),
    expect: { allowed: [], node: [400], noAnswerOk: true, document: false },
  },
  {
    label: 'unknown method token',
    bytes: Buffer.from(head([`G@T ${PREFIX}/generate HTTP/1.1`, 'Host: x', 'Connection: close'])),
    expect: { allowed: [], node: [400], noAnswerOk: true, document: false },
  },
  {
    label: 'Content-Length and Transfer-Encoding together',
    bytes: Buffer.from(
      `${head([`POST ${PREFIX}/generate HTTP/1.1`, 'Host: x', `X-API-Key: ${KEY}`, 'Content-Length: 5', 'Transfer-Encoding: chunked', 'Connection: close'])}0\r\n\r\n`,
    ),
    expect: { allowed: [], node: [400], noAnswerOk: true, document: false },
  },
  {
    label: 'two different Content-Lengths',
    bytes: Buffer.from(
      `${head([`POST ${PREFIX}/generate HTTP/1.1`, 'Host: x', `X-API-Key: ${KEY}`, 'Content-Length: 5', 'Content-Length: 6', 'Connection: close'])}abcdef`,
    ),
    expect: { allowed: [], node: [400], noAnswerOk: true, document: false },
  },
  {
    label: 'truncated body, then half-close',
    bytes: Buffer.from(
      `${head([`POST ${PREFIX}/generate HTTP/1.1`, 'Host: x', `X-API-Key: ${KEY}`, 'Content-Type: application/json', 'Content-Length: 200', 'Connection: close'])}{"secret":"JBSW`,
    ),
    endAfterWrite: true,
    expect: { allowed: [400], node: [400], noAnswerOk: true, document: false },
  },
  {
    label: 'broken chunked framing after valid headers',
    bytes: Buffer.from(
      `${head([`POST ${PREFIX}/generate HTTP/1.1`, 'Host: x', `X-API-Key: ${KEY}`, 'Content-Type: application/json', 'Transfer-Encoding: chunked', 'Connection: close'])}zz\r\nabc\r\n`,
    ),
    endAfterWrite: true,
    expect: { allowed: [400], node: [400], noAnswerOk: true, document: false },
  },
  {
    label: 'Latin-1 bytes in the key header',
    bytes: Buffer.concat([
      Buffer.from(`GET ${PREFIX}/usage HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-API-Key: `),
      Buffer.from([0xc3, 0xa9, 0xff, 0xfe]),
      Buffer.from('\r\n\r\n'),
    ]),
    expect: { allowed: [401], node: [], noAnswerOk: false, document: false },
  },
  {
    label: 'HTTP/1.0 without Host',
    bytes: Buffer.from(head([`GET ${PREFIX}/usage HTTP/1.0`, `X-API-Key: ${KEY}`])),
    expect: { allowed: [200], node: [], noAnswerOk: false, document: false },
  },
  {
    label: 'absolute-form target',
    bytes: Buffer.from(
      head([`GET http://x${PREFIX}/usage HTTP/1.1`, 'Host: x', `X-API-Key: ${KEY}`, 'Connection: close']),
    ),
    expect: { allowed: ANY_ENVELOPE, node: [400], noAnswerOk: false, document: false },
  },
];
const rawArb = fc.constantFrom(...RAW_CASES).map(
  (c): Hostile => ({
    kind: 'raw',
    label: c.label,
    bytes: c.bytes,
    endAfterWrite: c.endAfterWrite ?? false,
    expect: c.expect,
  }),
);

/** The generated traffic: mostly hostile node:http requests, some clean ones, a few raw byte streams. */
export const hostileArb: fc.Arbitrary<Hostile> = fc.oneof(
  { weight: 16, arbitrary: hostileHttp },
  { weight: 3, arbitrary: cleanArb },
  { weight: 1, arbitrary: rawArb },
);
