/**
 * How alert webhooks are signed, and how a receiver checks them. Each request carries
 * `Webhook-Id` (the alert's id: the same on every retry), `Webhook-Timestamp` (Unix seconds when this
 * try was sent) and `Webhook-Signature: v1=<hex>`, the HMAC-SHA256 under the customer's secret of
 * `<timestamp>.<body>`. A receiver recomputes it over the raw body, compares in constant time,
 * and refuses a timestamp too far from its clock (a replayed request).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'webhook-signature';
export const TIMESTAMP_HEADER = 'webhook-timestamp';
export const ID_HEADER = 'webhook-id';

/** A new signing secret: `whsec_` and 32 random bytes in base64url. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** `v1=` and the hex HMAC-SHA256 of `<timestamp>.<body>`. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * True when `signature` is `secret`'s over `timestamp` and `body`, and `timestamp` is within
 * `toleranceSeconds` (default 300) of `nowSeconds`.
 */
export function verifyWebhook(
  secret: string,
  timestamp: string | undefined,
  body: string,
  signature: string | undefined,
  options: { toleranceSeconds?: number; nowSeconds?: number } = {},
): boolean {
  if (timestamp === undefined || signature === undefined || !/^\d{1,12}$/.test(timestamp)) return false;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(secret, Number(timestamp), body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
