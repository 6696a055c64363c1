/**
 * Pathological requests: inputs that cost more than linear work in their size wherever a
 * backtracking regular expression or a quadratic loop sees request data. Each is as large as the
 * surface lets it be (Node's 16 KiB header limit, the kit's 16 KiB body limit) and is paired with
 * the status the kit must answer. Used by `pnpm bench` (the `pathological` section: cost as a
 * ratio to a normal request) and by internal/integration-tests/hardening/pathological.test.ts (the answers, on every
 * adapter).
 */

export const PATHOLOGICAL_PREFIX = '/api/2fa';
/** 16 Base32 characters: the API documentation's example secret. */
export const PATHOLOGICAL_SECRET = 'JBSWY3DPEHPK3PXP';
/** Node's default `--max-http-header-size`: the request line and every header together. */
export const NODE_MAX_HEADER_BYTES = 16 * 1024;
/** The kit's default body limit. */
export const BODY_LIMIT = 16 * 1024;

const FORM = 'application/x-www-form-urlencoded';

/** Room left for one long value in the request head, after the request line and the other headers. */
function headRoom(target, headers) {
  let used = `POST ${target} HTTP/1.1\r\n`.length + 'host: 127.0.0.1:65535\r\nconnection: keep-alive\r\n'.length;
  used += 'content-length: 99999\r\n\r\n'.length;
  for (const [name, value] of Object.entries(headers)) used += name.length + 2 + String(value).length + 2;
  return NODE_MAX_HEADER_BYTES - used - 64;
}

/**
 * The requests, for the key `apiKey`: `{ label, method, target, headers, body?, status }`.
 * `normal` is the reference: a POST /generate with a form body, as in the API documentation's examples.
 */
export function pathologicalRequests(apiKey) {
  const P = PATHOLOGICAL_PREFIX;
  const S = PATHOLOGICAL_SECRET;
  const key = { 'x-api-key': apiKey };
  const form = { ...key, 'content-type': FORM };
  const json = { ...key, 'content-type': 'application/json' };
  const gen = `${P}/generate`;
  const slashes = (target) => '/'.repeat(headRoom(target, key) - target.length - 2);
  const nested = (depth) => `{"secret":"${S}","x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  const jsonDepth = (BODY_LIMIT - 64) >> 1;
  return [
    { label: 'normal', method: 'POST', target: gen, headers: form, body: `secret=${S}`, status: 200 },
    // The measured DoS of issue 9: a run of `/` that does not end the path, then a trailing `/`.
    { label: 'slashes then x/', method: 'GET', target: `${P}${slashes(P)}x/`, headers: key, status: 404 },
    {
      label: 'trailing slashes',
      method: 'POST',
      target: `${gen}${slashes(gen)}`,
      headers: form,
      body: `secret=${S}`,
      status: 200,
    },
    {
      label: 'query of &',
      method: 'GET',
      target: `${gen}?secret=${S}${'&'.repeat(headRoom(gen, key) - 40)}`,
      headers: key,
      status: 200,
    },
    {
      label: 'query of %',
      method: 'GET',
      target: `${gen}?secret=${'%'.repeat(headRoom(gen, key) - 40)}`,
      headers: key,
      status: 400,
    },
    {
      label: 'body of &',
      method: 'POST',
      target: gen,
      headers: form,
      body: `secret=${S}${'&'.repeat(BODY_LIMIT - 40)}`,
      status: 200,
    },
    {
      label: 'body of %',
      method: 'POST',
      target: gen,
      headers: form,
      body: `secret=${'%'.repeat(BODY_LIMIT - 40)}`,
      status: 400,
    },
    // Spaces are ignored in a secret, up to the 1,024 characters a secret value may have.
    {
      label: 'spaces in secret',
      method: 'POST',
      target: gen,
      headers: form,
      body: `secret=${S.split('').join('+'.repeat(60))}`,
      status: 200,
    },
    {
      label: 'long run of spaces',
      method: 'POST',
      target: gen,
      headers: form,
      body: `secret=${S}${'+'.repeat(BODY_LIMIT - 40)}`,
      status: 400,
    },
    // Nesting past 32 levels is refused before JSON.parse runs; a key given twice is refused too.
    { label: 'nested JSON', method: 'POST', target: gen, headers: json, body: nested(jsonDepth), status: 400 },
    { label: 'nested JSON (32 levels)', method: 'POST', target: gen, headers: json, body: nested(31), status: 200 },
    {
      label: 'repeated JSON keys',
      method: 'POST',
      target: gen,
      headers: json,
      body: `{"secret":"${S}"${`,"a${'b'.repeat(12)}":1`.repeat((BODY_LIMIT - 64) / 20)},"a${'b'.repeat(12)}":1}`,
      status: 200,
    },
    {
      label: 'repeated params',
      method: 'POST',
      target: gen,
      headers: form,
      body: `secret=${S}${'&a=1'.repeat((BODY_LIMIT - 40) >> 2)}`,
      status: 200,
    },
    {
      label: 'repeated secret',
      method: 'POST',
      target: gen,
      headers: form,
      body: `secret=${S}`.concat(`&secret=${S}`.repeat((BODY_LIMIT - 40) / 24)),
      status: 400,
    },
    {
      label: 'longest header',
      method: 'POST',
      target: gen,
      headers: { ...form, 'x-long': 'a;'.repeat(headRoom(gen, form) >> 1) },
      body: `secret=${S}`,
      status: 200,
    },
    {
      label: 'longest content-type',
      method: 'POST',
      target: gen,
      headers: { ...key, 'content-type': `${FORM}${';'.repeat(headRoom(gen, key) - 60)}` },
      body: `secret=${S}`,
      status: 200,
    },
    {
      label: 'longest api key',
      method: 'POST',
      target: gen,
      headers: {
        'content-type': FORM,
        'x-api-key': `${apiKey}${' '.repeat(headRoom(gen, { 'content-type': FORM }) - apiKey.length - 20)}x`,
      },
      body: `secret=${S}`,
      status: 401,
    },
  ];
}
