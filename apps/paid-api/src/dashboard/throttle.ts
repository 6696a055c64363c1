/**
 * Attempts limited per account and per client address (IPv6: its /64, /56 and /48 budgets) in
 * fixed windows: the sign-in's mechanism, the kit's failed-auth guard (`createAuthGuard`), for
 * sign-up and reset mails and for two-factor codes. An attempt holds its place in both budgets
 * before it runs, so concurrent attempts count too: a burst gets at most as many tries as the
 * budgets have left. Counted per process, like the sign-in's.
 */
import { randomBytes } from 'node:crypto';
import { createAuthGuard, TwoFaError } from '@twofa-kit/core';
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

/** How long an attempt may wait for the ones in flight before it; then 503-like "busy". */
const WAIT_MS = 10_000;
const MAX_CLIENTS = 100_000;
/** Seconds a client is told to wait when attempts pile up past `WAIT_MS`. */
const BUSY_RETRY_SECONDS = 5;

export type Attempt<T> =
  | { readonly done: true; readonly result: T }
  | { readonly done: false; readonly retryAfter: number };

export interface Attempts {
  /**
   * Runs `attempt` when the account and the client address have attempts left; `counts(result)`
   * says whether it used one (a wrong code; every mail). Otherwise it does not run, and the answer
   * says how many seconds to wait.
   */
  run<T>(
    request: FastifyRequest,
    account: string,
    attempt: () => Promise<T>,
    counts: (result: T) => boolean,
  ): Promise<Attempt<T>>;
}

export function attemptLimiter(name: string, limit: AttemptLimit, clock: () => number): Attempts {
  const window = { windowSeconds: limit.windowSeconds, maxClients: MAX_CLIENTS };
  const perAddress = createAuthGuard({ max: limit.perAddress, ...window }, clock);
  const perAccount = createAuthGuard({ max: limit.perAccount, ...window }, clock);
  return {
    async run(request, account, attempt, counts) {
      // Each attempt is its own (an identical one in flight still counts): a unique token.
      const token = randomBytes(12).toString('base64url');
      const bucket = `${name}:${account.trim().toLowerCase()}`;
      let outcome: { result: Awaited<ReturnType<typeof attempt>> } | undefined;
      try {
        await perAddress.lookup(
          request.ip,
          token,
          () =>
            perAccount.lookup(
              bucket,
              token,
              async () => {
                const result = await attempt();
                outcome = { result };
                return counts(result) ? null : { id: bucket, plan: name };
              },
              WAIT_MS,
            ),
          WAIT_MS,
        );
      } catch (error) {
        if (error instanceof TwoFaError && error.kind === 'TOO_MANY_AUTH_FAILURES') {
          return { done: false, retryAfter: Math.max(1, Number(error.headers['retry-after'] ?? 1)) };
        }
        if (error instanceof TwoFaError && error.kind === 'UNAVAILABLE') {
          return { done: false, retryAfter: BUSY_RETRY_SECONDS };
        }
        throw error;
      }
      if (outcome === undefined) throw new Error('an attempt ended without running');
      return { done: true, result: outcome.result };
    },
  };
}

/** Sets `Retry-After` and returns the sentence the page shows. */
export function tooMany(reply: FastifyReply, seconds: number): string {
  reply.header('retry-after', String(seconds));
  return `Too many attempts. Try again in ${Math.ceil(seconds / 60)} min.`;
}
