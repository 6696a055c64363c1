/**
 * Attempts limited per account and per client address (IPv6: per /64) in a window: the sign-in
 * limiter's mechanism (the kit's `MemoryStore` and `clientBucket`), for sign-up and reset mails
 * and for two-factor codes.
 */
import { clientBucket, MemoryStore, type WindowSpec } from '@twofa-kit/core';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface AttemptLimit {
  /** Attempts allowed per account (an email, or an account's id) per window. */
  readonly perAccount: number;
  /** Attempts allowed per client address per window. */
  readonly perAddress: number;
  /** The window, in seconds. */
  readonly windowSeconds: number;
}

/** Sign-up and reset mails: 5 per address an hour, 20 per client address. */
export const DEFAULT_MAIL_LIMIT: AttemptLimit = Object.freeze({ perAccount: 5, perAddress: 20, windowSeconds: 3_600 });
/** Wrong two-factor codes: 10 per account and 50 per client address in 15 minutes. */
export const DEFAULT_CODE_LIMIT: AttemptLimit = Object.freeze({ perAccount: 10, perAddress: 50, windowSeconds: 900 });

export interface Attempts {
  /** Seconds to wait when the account or the address is out of attempts; else undefined. */
  blocked(request: FastifyRequest, account: string): number | undefined;
  /** Counts one attempt against both. */
  count(request: FastifyRequest, account: string): void;
}

export function attemptLimiter(name: string, limit: AttemptLimit, clock: () => number): Attempts {
  const store = new MemoryStore({ clock, maxIdentities: 10_000 });
  const windows = (n: number): WindowSpec[] => [{ name, seconds: limit.windowSeconds, limit: n }];
  const perAddress = windows(limit.perAddress);
  const perAccount = windows(limit.perAccount);
  const buckets = (request: FastifyRequest, account: string): [string, WindowSpec[]][] => [
    [`ip:${clientBucket(request.ip)}`, perAddress],
    [`account:${account.trim().toLowerCase()}`, perAccount],
  ];
  return {
    blocked(request, account) {
      const refused = buckets(request, account)
        .map(([bucket, w]) => store.peek(bucket, w))
        .find((state) => !state.allowed);
      return refused === undefined ? undefined : Math.max(1, Math.ceil(refused.retryAfterMs / 1000));
    },
    count(request, account) {
      for (const [bucket, w] of buckets(request, account)) store.consume(bucket, w);
    },
  };
}

/** Sets `Retry-After` and returns the sentence the page shows. */
export function tooMany(reply: FastifyReply, seconds: number): string {
  reply.header('retry-after', String(seconds));
  return `Too many attempts. Try again in ${Math.ceil(seconds / 60)} min.`;
}
