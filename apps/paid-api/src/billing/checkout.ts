/**
 * Buying through Stripe Checkout: a plan as a subscription (`mode: subscription`), a credit pack as
 * a one-time payment (`mode: payment`). The customer gets a Stripe customer on first purchase (its
 * id kept on `customers.stripe_customer_id`); the session carries our customer id in
 * `client_reference_id` and in metadata (the subscription's too), so the webhooks find the customer.
 */
import type { PlanTable } from '@twofa-kit/core';
import type pg from 'pg';
import type Stripe from 'stripe';
import { PaidApiError } from '../errors.js';
import { type BillingConfig, purchaseOf } from './stripe.js';

/** The Stripe customer of a customer, made on first use (once, also when two purchases race). */
export async function stripeCustomerOf(pool: pg.Pool, stripe: Stripe, customerId: string): Promise<string> {
  const { rows } = await pool.query<{ email: string; stripe_customer_id: string | null }>(
    'SELECT email, stripe_customer_id FROM customers WHERE id = $1',
    [customerId],
  );
  const row = rows[0];
  if (row === undefined) throw new PaidApiError(`no customer ${JSON.stringify(customerId)}`);
  if (row.stripe_customer_id !== null) return row.stripe_customer_id;
  const made = await stripe.customers.create(
    { email: row.email, metadata: { customer_id: customerId } },
    { idempotencyKey: `customer-${customerId}` },
  );
  const set = await pool.query<{ stripe_customer_id: string }>(
    `UPDATE customers SET stripe_customer_id = coalesce(stripe_customer_id, $2) WHERE id = $1 RETURNING stripe_customer_id`,
    [customerId, made.id],
  );
  return set.rows[0]?.stripe_customer_id ?? made.id;
}

export interface CheckoutUrls {
  /** Where Stripe sends the customer after paying. */
  readonly success: string;
  /** Where Stripe sends the customer who gives up. */
  readonly cancel: string;
}

/** A Checkout Session for `item` (`pro`, `credits_1000`): its URL, to redirect the customer to. */
export async function createCheckout(
  pool: pg.Pool,
  stripe: Stripe,
  config: BillingConfig,
  plans: PlanTable,
  customerId: string,
  item: string,
  urls: CheckoutUrls,
): Promise<{ id: string; url: string }> {
  const price = Object.hasOwn(config.prices, item) ? config.prices[item] : undefined;
  const purchase = purchaseOf(plans, item);
  if (price === undefined || purchase === undefined)
    throw new PaidApiError(`nothing to buy named ${JSON.stringify(item)}`);
  const customer = await stripeCustomerOf(pool, stripe, customerId);
  const metadata = { customer_id: customerId, item };
  const session = await stripe.checkout.sessions.create({
    customer,
    client_reference_id: customerId,
    line_items: [{ price, quantity: 1 }],
    success_url: urls.success,
    cancel_url: urls.cancel,
    metadata,
    ...(purchase.kind === 'plan'
      ? { mode: 'subscription' as const, subscription_data: { metadata } }
      : { mode: 'payment' as const, payment_intent_data: { metadata } }),
  });
  if (session.url === null) throw new Error('Stripe answered a Checkout Session without a URL');
  return { id: session.id, url: session.url };
}
