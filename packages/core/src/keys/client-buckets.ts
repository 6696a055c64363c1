import { isIPv4, isIPv6 } from 'node:net';
import type { GuardBucket } from '../limits/stores/guard-types.js';

// The failed-auth guard's budgets of a client address: which buckets a request from an address
// counts in (IPv4 as is; IPv6 by its /64, /56 and /48 together). The guard itself: auth-guard.ts.

/** Failures allowed to a /56 and to a /48, as multiples of the address limit (`max`). */
export const IPV6_PREFIX_BUDGETS = Object.freeze({ 56: 4, 48: 16 });

/** The eight 16-bit groups of an IPv6 address (`isIPv6` already true), zone index dropped. */
function ipv6Groups(ip: string): number[] {
  const zone = ip.indexOf('%');
  const addr = zone < 0 ? ip : ip.slice(0, zone);
  const parse = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const [a = 0, b = 0, c = 0, d = 0] = g.split('.').map(Number);
        out.push((a << 8) | b, (c << 8) | d);
      } else out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const gap = addr.indexOf('::');
  if (gap < 0) return parse(addr);
  const left = parse(addr.slice(0, gap));
  const right = parse(addr.slice(gap + 2));
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * The budgets a client address counts in, narrowest first: IPv4 as is (also when IPv4-mapped,
 * `::ffff:1.2.3.4`); IPv6 by its /64 (one host usually holds a whole /64) and, together, its /56
 * (4 × `max`) and /48 (16 × `max`), so rotating through a prefix does not reset the count; no
 * address → the shared `unknown`. String operations only (no regular expression on addresses).
 */
export function clientBuckets(ip: string | undefined, max: number): GuardBucket[] {
  if (ip === undefined || ip === '') return [{ key: 'unknown', group: 'unknown', limit: max }];
  if (!ip.includes(':')) return [{ key: ip, group: ip, limit: max }]; // IPv4 (or a host's own label)
  if (ip.slice(0, 7).toLowerCase() === '::ffff:' && isIPv4(ip.slice(7))) {
    const v4 = ip.slice(7);
    return [{ key: v4, group: v4, limit: max }];
  }
  if (!isIPv6(ip)) return [{ key: ip, group: ip, limit: max }];
  const g = ipv6Groups(ip).map((n) => n.toString(16));
  const [a, b, c, d] = [g[0], g[1], g[2], Number.parseInt(g[3] ?? '0', 16)];
  const p48 = `${a}:${b}:${c}::/48`;
  return [
    { key: `${a}:${b}:${c}:${g[3]}::/64`, group: p48, limit: max },
    { key: `${a}:${b}:${c}:${(d & 0xff00).toString(16)}::/56`, group: p48, limit: max * IPV6_PREFIX_BUDGETS[56] },
    { key: p48, group: p48, limit: max * IPV6_PREFIX_BUDGETS[48] },
  ];
}

/** The narrowest bucket of a client address (its /64 for IPv6). */
export function clientBucket(ip: string | undefined): string {
  return (clientBuckets(ip, 1)[0] as GuardBucket).key;
}
