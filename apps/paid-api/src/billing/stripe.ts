/**
 * Stripe's settings and client. From the environment:
 * - `STRIPE_SECRET_KEY`: the API key (`sk_…`); billing is off without it.
 * - `STRIPE_WEBHOOK_SECRET`: the endpoint's signing secret (`whsec_…`), needed with the key.
 * - `STRIPE_PRICES`: JSON from a plan name (`pro`) or a credit pack (`credits_1000`: a pack of
 *   1,000 credits) to a Stripe price id, e.g. `{"pro":"price_1…","credits_1000":"price_2…"}`.
 * - `STRIPE_API_URL`: only for tests, a local stand-in for Stripe's API (`http://127.0.0.1:PORT`).
 * - `BILLING_GRACE_SECONDS`: how long a past-due subscription keeps its plan (default 259,200: 3 days).
 * - `BILLING_FREE_PLAN`: the plan of a customer whose subscription ended (default `free`).
 */
import { type PlanTable, TwoFaConfigError } from '@twofa-kit/core';
import type { EnvSource } from '@twofa-kit/example-support';
import Stripe from 'stripe';

export const DEFAULT_BILLING_GRACE_SECONDS = 259_200;

/** What one price buys: a plan (a subscription) or a pack of credits (a one-time payment). */
export type Purchase =
  | { readonly kind: 'plan'; readonly plan: string }
  | { readonly kind: 'credits'; readonly credits: number };

export interface BillingConfig {
  readonly secretKey: string;
  readonly webhookSecret: string;
  /** Item name (`pro`, `credits_1000`) to price id. */
  readonly prices: Readonly<Record<string, string>>;
  readonly apiUrl: URL | undefined;
  readonly graceSeconds: number;
  readonly freePlan: string;
}

const PACK = /^credits_(\d{1,9})$/;

/** What an item name of `STRIPE_PRICES` buys, or undefined when it names nothing. */
export function purchaseOf(plans: PlanTable, item: string): Purchase | undefined {
  if (Object.hasOwn(plans, item)) return { kind: 'plan', plan: item };
  const pack = PACK.exec(item);
  return pack !== null && Number(pack[1]) > 0 ? { kind: 'credits', credits: Number(pack[1]) } : undefined;
}

/** The billing settings, or undefined when `STRIPE_SECRET_KEY` is unset. Mistakes fail at start. */
export function billingConfig(env: EnvSource, plans: PlanTable): BillingConfig | undefined {
  const secretKey = env.STRIPE_SECRET_KEY?.trim() || undefined;
  if (secretKey === undefined) return undefined;
  const webhookSecret = env.STRIPE_WEBHOOK_SECRET?.trim() || undefined;
  if (webhookSecret === undefined)
    throw new TwoFaConfigError('STRIPE_WEBHOOK_SECRET is required with STRIPE_SECRET_KEY');
  let prices: unknown;
  try {
    prices = JSON.parse(env.STRIPE_PRICES?.trim() || '{}');
  } catch {
    throw new TwoFaConfigError('STRIPE_PRICES must be JSON like {"pro":"price_…","credits_1000":"price_…"}');
  }
  if (typeof prices !== 'object' || prices === null || Array.isArray(prices)) {
    throw new TwoFaConfigError('STRIPE_PRICES must be a JSON object');
  }
  for (const [item, price] of Object.entries(prices)) {
    if (purchaseOf(plans, item) === undefined) {
      throw new TwoFaConfigError(
        `STRIPE_PRICES: "${item}" is neither a plan (${Object.keys(plans).join(', ')}) nor a credit pack like credits_1000`,
      );
    }
    if (typeof price !== 'string' || price === '')
      throw new TwoFaConfigError(`STRIPE_PRICES: "${item}" needs a price id`);
  }
  const apiText = env.STRIPE_API_URL?.trim() || undefined;
  const apiUrl = apiText === undefined ? undefined : new URL(apiText);
  if (apiUrl !== undefined && apiUrl.protocol !== 'http:' && apiUrl.protocol !== 'https:') {
    throw new TwoFaConfigError('STRIPE_API_URL must be an http(s) URL');
  }
  const graceText = env.BILLING_GRACE_SECONDS?.trim() || String(DEFAULT_BILLING_GRACE_SECONDS);
  if (!/^\d{1,9}$/.test(graceText)) throw new TwoFaConfigError('BILLING_GRACE_SECONDS must be whole seconds');
  const freePlan = env.BILLING_FREE_PLAN?.trim() || 'free';
  if (!Object.hasOwn(plans, freePlan)) throw new TwoFaConfigError(`BILLING_FREE_PLAN: no plan "${freePlan}"`);
  return Object.freeze({
    secretKey,
    webhookSecret,
    prices: Object.freeze(prices as Record<string, string>),
    apiUrl,
    graceSeconds: Number(graceText),
    freePlan,
  });
}

/** The official client, pointed at `STRIPE_API_URL` when set (host, port and protocol). */
export function stripeClient(config: Pick<BillingConfig, 'secretKey' | 'apiUrl'>): Stripe {
  const url = config.apiUrl;
  return new Stripe(config.secretKey, {
    maxNetworkRetries: 2,
    telemetry: false,
    ...(url === undefined
      ? {}
      : {
          host: url.hostname,
          port: url.port === '' ? (url.protocol === 'http:' ? 80 : 443) : Number(url.port),
          protocol: url.protocol === 'http:' ? 'http' : 'https',
        }),
  });
}

/** The item (`pro`, `credits_1000`) a price id buys, or undefined. */
export function itemOfPrice(config: Pick<BillingConfig, 'prices'>, priceId: string): string | undefined {
  return Object.entries(config.prices).find(([, id]) => id === priceId)?.[0];
}
