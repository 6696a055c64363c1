/**
 * `POST /billing/stripe/webhook`: Stripe's events, verified with the endpoint's signing secret
 * (`stripe.webhooks.constructEvent` over the raw body), each applied once: its id goes into
 * `stripe_events` in the transaction that applies it, so a replayed or retried event changes
 * nothing. Every change to a customer is announced on the key-change channel, so each instance
 * drops its cached keys and the next request sees the new plan.
 *
 * - `customer.subscription.created` / `updated`: active or trialing → the plan of the price;
 *   `past_due` / `unpaid` → the plan is kept, the grace period starts (if not already running);
 *   `canceled` / `incomplete_expired` → the free plan.
 * - `customer.subscription.deleted` → the free plan.
 * - `invoice.payment_failed` → past due from then (the keys keep working for the grace period, then
 *   answer 402 `Payment required` with `data.reason` `subscription_past_due`).
 * - `invoice.paid` → no longer past due.
 * - An event created before the last one applied to the customer is recorded and changes nothing
 *   (`stale`): Stripe does not deliver events in order.
 * - `checkout.session.completed` for a paid credit pack → its credits, added with the session id as
 *   the top-up id (the limiter store adds them once, whatever retries).
 */
import type { LimiterStore, PlanTable } from '@twofa-kit/core';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type Stripe from 'stripe';
import { transaction } from '../db/pool.js';
import { announce } from '../keys/changes.js';
import { type BillingConfig, itemOfPrice, purchaseOf } from './stripe.js';

export const STRIPE_WEBHOOK_PATH = '/billing/stripe/webhook';

export interface StripeWebhookOptions {
  readonly pool: pg.Pool;
  readonly stripe: Stripe;
  readonly config: BillingConfig;
  readonly plans: PlanTable;
  /** The kit's limiter store: credit packs are added with its `topUp`. */
  readonly store: LimiterStore;
  readonly onError?: ((error: Error) => void) | undefined;
}

export type EventOutcome = 'applied' | 'duplicate' | 'ignored' | 'stale';

type Obj = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null ? (v as Obj) : {});
/** An expandable field: the id, whether Stripe sent the id or the object. */
const idOf = (v: unknown): string | undefined => str(v) ?? str(obj(v).id);

/** Our customer for a Stripe object: its metadata's `customer_id`, else its Stripe customer. */
async function customerFor(client: pg.ClientBase, object: Obj): Promise<string | undefined> {
  const stripeCustomer = idOf(object.customer);
  const meta = str(obj(object.metadata).customer_id) ?? str(object.client_reference_id);
  if (meta !== undefined) {
    const { rows } = await client.query<{ id: string }>(
      `UPDATE customers SET stripe_customer_id = coalesce(stripe_customer_id, $2) WHERE id = $1 RETURNING id`,
      [meta, stripeCustomer ?? null],
    );
    if (rows[0] !== undefined) return rows[0].id;
  }
  if (stripeCustomer === undefined) return undefined;
  const { rows } = await client.query<{ id: string }>('SELECT id FROM customers WHERE stripe_customer_id = $1', [
    stripeCustomer,
  ]);
  return rows[0]?.id;
}

/** The plan a subscription's first price buys, or undefined. */
function planOf(options: StripeWebhookOptions, subscription: Obj): string | undefined {
  const items = obj(subscription.items).data;
  const first = Array.isArray(items) ? obj(items[0]) : {};
  const price = idOf(first.price);
  const item = price === undefined ? undefined : itemOfPrice(options.config, price);
  const purchase = item === undefined ? undefined : purchaseOf(options.plans, item);
  return purchase?.kind === 'plan' ? purchase.plan : undefined;
}

/** The change a subscription event makes, as SQL `SET` parts and their values (from $3 on). */
function subscriptionChange(
  options: StripeWebhookOptions,
  type: string,
  subscription: Obj,
): { set: string; values: unknown[] } | undefined {
  const status = str(subscription.status);
  const id = str(subscription.id) ?? null;
  const ended = type === 'customer.subscription.deleted' || status === 'canceled' || status === 'incomplete_expired';
  if (ended) {
    return {
      set: `plan = $3, subscription_id = NULL, subscription_status = 'canceled', past_due_since = NULL`,
      values: [options.config.freePlan],
    };
  }
  const plan = planOf(options, subscription);
  if (status === 'active' || status === 'trialing') {
    if (plan === undefined) return undefined;
    return {
      set: 'plan = $3, subscription_id = $4, subscription_status = $5, past_due_since = NULL',
      values: [plan, id, status],
    };
  }
  if (status === 'past_due' || status === 'unpaid') {
    return {
      set: `subscription_id = $3, subscription_status = $4, past_due_since = coalesce(past_due_since, to_timestamp($2))`,
      values: [id, status],
    };
  }
  return undefined; // incomplete, paused: nothing bought yet, nothing changes
}

/** Applies one verified event, once. */
export async function applyStripeEvent(options: StripeWebhookOptions, event: Stripe.Event): Promise<EventOutcome> {
  const { pool } = options;
  const object = obj(event.data.object);
  const seen = await pool.query('SELECT 1 FROM stripe_events WHERE id = $1', [event.id]);
  if (seen.rowCount !== 0) return 'duplicate';

  // A credit pack: added before the event is recorded, idempotently (a retry after a failure here
  // or in the transaction below adds nothing more).
  if (event.type === 'checkout.session.completed' && object.mode === 'payment' && object.payment_status === 'paid') {
    const item = str(obj(object.metadata).item);
    const purchase = item === undefined ? undefined : purchaseOf(options.plans, item);
    const customerId = str(obj(object.metadata).customer_id) ?? str(object.client_reference_id);
    const session = str(object.id);
    if (purchase?.kind === 'credits' && customerId !== undefined && session !== undefined) {
      const topUp = options.store.topUp;
      if (typeof topUp !== 'function') throw new Error('the limiter store keeps no credits (topUp)');
      await topUp.call(options.store, customerId, purchase.credits, `stripe:${session}`);
    }
  }

  return transaction(pool, async (client) => {
    const customerId = await customerFor(client, object);
    const inserted = await client.query(
      `INSERT INTO stripe_events (id, type, customer_id) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
      [event.id, event.type, customerId ?? null],
    );
    if (inserted.rowCount === 0) return 'duplicate';
    if (customerId === undefined) return 'ignored';
    let change: { set: string; values: unknown[] } | undefined;
    switch (event.type) {
      case 'customer.subscription.created':
      case 'customer.subscription.updated':
      case 'customer.subscription.deleted':
        change = subscriptionChange(options, event.type, object);
        break;
      case 'invoice.payment_failed':
        change = {
          set: `subscription_status = 'past_due', past_due_since = coalesce(past_due_since, to_timestamp($2))`,
          values: [],
        };
        break;
      case 'invoice.paid':
        change = {
          set: `subscription_status = CASE WHEN subscription_status IN ('past_due', 'unpaid') THEN 'active' ELSE subscription_status END, past_due_since = NULL`,
          values: [],
        };
        break;
      default:
        return event.type === 'checkout.session.completed' ? 'applied' : 'ignored';
    }
    if (change === undefined) return 'ignored';
    // Stripe does not promise the order of events: one older than the last applied changes nothing.
    const updated = await client.query(
      `UPDATE customers SET ${change.set}, billing_event_at = $2::bigint, updated_at = now()
        WHERE id = $1 AND (billing_event_at IS NULL OR billing_event_at <= $2::bigint)`,
      [customerId, event.created, ...change.values],
    );
    if (updated.rowCount === 0) return 'stale';
    await announce(client, customerId);
    return 'applied';
  });
}

/** The webhook route, in its own Fastify context (it reads the raw body; nothing else does). */
export async function stripeWebhookPlugin(app: FastifyInstance, options: StripeWebhookOptions): Promise<void> {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 1_048_576 }, (_request, body, done) =>
    done(null, body),
  );
  app.post(STRIPE_WEBHOOK_PATH, async (request, reply) => {
    const signature = request.headers['stripe-signature'];
    if (typeof request.body !== 'string' || typeof signature !== 'string') {
      return reply.code(400).send({ error: 'a signed JSON event is expected' });
    }
    let event: Stripe.Event;
    try {
      event = options.stripe.webhooks.constructEvent(request.body, signature, options.config.webhookSecret);
    } catch {
      return reply.code(400).send({ error: 'invalid signature' });
    }
    try {
      const outcome = await applyStripeEvent(options, event);
      return reply.code(200).send({ received: true, outcome });
    } catch (error) {
      options.onError?.(error as Error);
      return reply.code(500).send({ error: 'not applied; retry' }); // Stripe retries
    }
  });
}
