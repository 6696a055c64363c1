/**
 * Log hygiene for hosts: a request URL with the values of credential-bearing query parameters
 * replaced, for access logs and framework request serializers. The kit itself never logs.
 */

/** Query parameters whose values are never logged: the API key, the TOTP secret, a code. */
export const REDACTED_QUERY_PARAMS: readonly string[] = Object.freeze(['api_key', 'secret', 'code']);

/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

/** A query parameter name decoded exactly as the kit's `URLSearchParams` decodes it. */
function decodedName(raw: string): string {
  return new URLSearchParams(`${raw}=`).keys().next().value ?? '';
}

/**
 * `url` (path and query, as in `req.url`) with the value of every query parameter named in
 * `names` replaced by `[REDACTED]`. Names are matched the way the kit reads them (after
 * percent-decoding, so `api%5Fkey` is `api_key`); everything else is kept byte for byte.
 * A value after `#` is dropped. Not a string → returned as it is.
 */
export function redactUrl<T>(url: T, names: readonly string[] = REDACTED_QUERY_PARAMS): T {
  if (typeof url !== 'string') return url;
  const hash = url.indexOf('#');
  const withoutHash = hash < 0 ? url : url.slice(0, hash);
  const q = withoutHash.indexOf('?');
  if (q < 0) return withoutHash as T;
  const wanted = new Set(names);
  const pairs = withoutHash
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return wanted.has(decodedName(name)) ? `${name}=${REDACTED}` : pair;
    });
  return `${withoutHash.slice(0, q)}?${pairs.join('&')}` as T;
}
