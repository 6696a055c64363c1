/**
 * Where an alert webhook may go. A customer chooses the URL, so without a check a customer could make
 * the server POST to its own network: the cloud's metadata address, an admin port on localhost, a
 * database on a private range. Requests are made with `node:http(s)` and a `lookup` that refuses
 * any address in the ranges below at connect time (so a name that resolves to a public address when
 * saved and to a private one later is refused too); an IP written in the URL is checked the same way.
 * `allowPrivate` (the `ALERT_WEBHOOKS_ALLOW_PRIVATE=1` environment variable) lifts it for receivers
 * on a private network, and for tests.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96], // NAT64
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** Whether a receiver at this address may be sent to without `allowPrivate`. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !blocked.check(address, 'ipv4');
  if (family !== 6) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return isPublicAddress(mapped[1] as string);
  return !blocked.check(address, 'ipv6');
}

export class EgressRefused extends Error {
  override readonly name = 'EgressRefused';
}

/** A `lookup` for `http.request` that answers only public addresses. */
const publicLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    const allowed = addresses.filter((a) => isPublicAddress(a.address));
    if (allowed.length === 0) {
      return callback(new EgressRefused(`${hostname} resolves to a private address only`), '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
    const first = allowed[0] as LookupAddress;
    callback(null, first.address, first.family);
  });
};

export interface PostResult {
  readonly status: number;
  readonly body: string;
}

/**
 * POSTs `body` to `url` (http or https) with `headers`; no redirect is followed. Rejects with
 * `EgressRefused` for a private address (unless `allowPrivate`), with a `TimeoutError` after
 * `timeoutMs`. Only the first `keep` characters of the answer are read.
 */
export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: { timeoutMs: number; allowPrivate: boolean; keep: number },
): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : undefined;
    if (client === undefined) return reject(new EgressRefused(`not an http(s) URL: ${target.protocol}`));
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (!options.allowPrivate && isIP(host) !== 0 && !isPublicAddress(host)) {
      return reject(new EgressRefused(`${host} is a private address`));
    }
    const request = client.request(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        ...(options.allowPrivate ? {} : { lookup: publicLookup }),
        signal: AbortSignal.timeout(options.timeoutMs),
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (text.length < options.keep) text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text.slice(0, options.keep) }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
