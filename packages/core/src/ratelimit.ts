import type { ConsumeResult, WindowSpec } from './stores/types.js';

/**
 * RateLimit-Policy and RateLimit header values (draft-ietf-httpapi-ratelimit-headers-10), one item
 * per limited window: `"minute";q=30;w=60` and `"minute";r=29;t=31`. Unlimited windows are absent.
 */
export function policyHeader(windows: readonly WindowSpec[]): string {
  return windows.map((w) => `"${w.name}";q=${w.limit};w=${w.seconds}`).join(', ');
}

export function rateLimitHeader(result: ConsumeResult): string {
  return result.windows.map((w) => `"${w.name}";r=${w.remaining};t=${secondsCeil(w.resetMs)}`).join(', ');
}

/** Whole seconds, rounded up, at least 1 (also for a store's NaN or negative answer). */
export function secondsCeil(ms: number): number {
  return Number.isFinite(ms) ? Math.max(1, Math.ceil(ms / 1000)) : 1;
}

/** The headers every authenticated response carries; empty for an identity without limits. */
export function rateLimitHeaders(policy: string, result: ConsumeResult | undefined): Record<string, string> {
  if (result === undefined || result.windows.length === 0) return {};
  return { 'ratelimit-policy': policy, ratelimit: rateLimitHeader(result) };
}
