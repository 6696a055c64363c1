/**
 * Stripe over HTTP, on two app instances sharing one real PostgreSQL (change notifications on) and
 * one limiter store: a plan bought through the Dashboard's Checkout button, the subscription's
 * webhooks verified and applied once, the plan on both instances within 2 s, a failed payment's
 * grace then the 402 `Payment required` envelope, a paid invoice restoring the keys, a replayed
 * event changing nothing, and a credit pack credited once per payment. Stripe's API is a local
 * stand-in; events are signed with `stripe.webhooks.generateTestHeaderString`.
 */
import { DEFAULT_PLANS, MemoryStore } from '@twofa-kit/core';
import pg from 'pg';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BillingConfig,
  billingConfig,
  buildApp,
  type ChangeListener,
  createCustomer,
  createKey,
  listenForChanges,
  migrate,
} from '../src/index.js';
import { DashboardClient } from './support/dashboard.js';
import { generate, listen, usage } from './support/http.js';
import { type PostgresServer, postgresTestsEnabled, startPostgres } from './support/postgres.js';
import { type StripeStandIn, startStripeStandIn } from './support/stripe-stand-in.js';

const WHSEC = 'whsec_test_paid_api';
const GRACE_SECONDS = 60;
const signer = new Stripe('sk_test_signer_only');
const PASSWORD = 'correct horse battery';

describe.skipIf(!postgresTestsEnabled('apps/paid-api billing'))('Stripe billing over HTTP, two instances', () => {
  let server: PostgresServer;
  let admin: pg.Pool;
  let standIn: StripeStandIn;
  let config: BillingConfig;
  let offsetMs = 0;
  const clock = () => Date.now() + offsetMs;
  const store = new MemoryStore({ clock });
  const cleanups: (() => Promise<void>)[] = [];
  let a: string;
  let b: string;
  let eventN = 0;

  async function instance(): Promise<string> {
    const pool = new pg.Pool({ connectionString: server.url, max: 4 });
    const { app, keys } = buildApp({ pool, ttlMs: 600_000, clock, store, billing: config, deliveries: false });
    const listener: ChangeListener = listenForChanges(server.url, keys.clear);
    await listener.ready;
    const base = await listen(app);
    cleanups.push(async () => {
      await app.close();
      await listener.close();
      await pool.end();
    });
    return base;
  }

  beforeAll(async () => {
    server = await startPostgres();
    admin = new pg.Pool({ connectionString: server.url, max: 2 });
    await migrate(admin);
    standIn = await startStripeStandIn();
    config = billingConfig(
      {
        STRIPE_SECRET_KEY: 'sk_test_paid_api',
        STRIPE_WEBHOOK_SECRET: WHSEC,
        STRIPE_PRICES: JSON.stringify({ pro: 'price_pro', ultra: 'price_ultra', credits_500: 'price_credits_500' }),
        STRIPE_API_URL: standIn.url,
        BILLING_GRACE_SECONDS: String(GRACE_SECONDS),
      },
      DEFAULT_PLANS,
    ) as BillingConfig;
    a = await instance();
    b = await instance();
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    await standIn?.close();
    await admin?.end();
    await server?.stop();
  });

  function event(type: string, object: Record<string, unknown>, id = `evt_test_${++eventN}`) {
    return {
      id,
      object: 'event',
      type,
      api_version: '2025-01-01',
      created: Math.floor(clock() / 1000),
      livemode: false,
      pending_webhooks: 1,
      request: null,
      data: { object },
    };
  }

  async function deliver(base: string, body: unknown, secret = WHSEC) {
    const payload = JSON.stringify(body);
    const header = signer.webhooks.generateTestHeaderString({ payload, secret });
    const res = await fetch(`${base}/billing/stripe/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': header },
      body: payload,
    });
    return { status: res.status, body: (await res.json()) as { outcome?: string } };
  }

  /** A customer on `plan` who signs in with PASSWORD, and a key of theirs. */
  async function customerWithKey(email: string, plan: string) {
    const customer = await createCustomer(admin, DEFAULT_PLANS, { email, plan, password: PASSWORD });
    const { key } = await createKey(admin, customer.id);
    return { customer, key };
  }

  /** Polls both instances until `check` holds on each; the ms it took. */
  async function onBoth(
    key: string,
    check: (r: Awaited<ReturnType<typeof generate>>) => boolean,
    send: () => Promise<unknown>,
  ) {
    const started = performance.now();
    await send();
    const seen = [false, false];
    while (!seen.every(Boolean)) {
      if (performance.now() - started > 5_000) throw new Error('not on both instances within 5 s');
      for (const [i, base] of [a, b].entries()) if (!seen[i]) seen[i] = check(await usage(base, key));
    }
    return performance.now() - started;
  }

  it('Checkout → subscription → pro on both instances within 2 s → past due → grace → 402 → paid → restored; a replay changes nothing', async () => {
    const { customer, key } = await customerWithKey('buyer@example.com', 'free');
    expect((await usage(a, key)).body.data?.plan).toBe('free');

    // The Dashboard's button makes a Checkout Session on "Stripe" and redirects to it.
    const web = new DashboardClient(a);
    expect((await web.signIn('buyer@example.com', PASSWORD)).status).toBe(303);
    const billingPage = await web.get('/dashboard/billing');
    expect(billingPage.html).toContain('Subscribe to pro');
    // The browser may follow the forms' redirects to Stripe's pages.
    expect(billingPage.headers.get('content-security-policy')).toContain(
      "form-action 'self' https://checkout.stripe.com https://billing.stripe.com",
    );
    const checkout = await web.post('/dashboard/billing/checkout', { item: 'pro' });
    expect(checkout.status).toBe(303);
    expect(checkout.location).toMatch(/^https:\/\/checkout\.stripe\.test\/c\/pay\/cs_test_/);
    const made = standIn.requests.find((r) => r.path === '/v1/checkout/sessions');
    expect(made?.authorization).toBe('Bearer sk_test_paid_api');
    expect(made?.fields.get('mode')).toBe('subscription');
    expect(made?.fields.get('line_items[0][price]')).toBe('price_pro');
    expect(made?.fields.get('client_reference_id')).toBe(customer.id);
    const stripeCustomer = made?.fields.get('customer') as string;
    expect(stripeCustomer).toMatch(/^cus_standin_/);

    // Stripe confirms: the subscription is active on price_pro.
    const subscription = {
      id: 'sub_1',
      object: 'subscription',
      customer: stripeCustomer,
      status: 'active',
      metadata: { customer_id: customer.id },
      items: { object: 'list', data: [{ id: 'si_1', price: { id: 'price_pro', object: 'price' } }] },
    };
    const created = event('customer.subscription.created', subscription);
    const upgradeMs = await onBoth(
      key,
      (r) => r.body.data?.plan === 'pro',
      async () => expect((await deliver(a, created)).body.outcome).toBe('applied'),
    );
    console.log(`[billing] subscription.created → pro on both instances in ${upgradeMs.toFixed(0)} ms`);
    expect(upgradeMs).toBeLessThan(2_000);
    // A subscriber changes plan or cancels in Stripe's portal, not through a second Checkout.
    const subscribed = (await web.get('/dashboard/billing')).html;
    expect(subscribed).not.toContain('Subscribe to');
    expect(subscribed).toContain('Buy 500 credits');
    const portal = await web.post('/dashboard/billing/portal', {});
    expect(portal.status).toBe(303);
    expect(portal.location).toMatch(/^https:\/\/billing\.stripe\.test\/p\/session\/bps_test_/);
    expect(standIn.requests.at(-1)?.fields.get('customer')).toBe(stripeCustomer);
    const pro = await generate(b, key);
    expect(pro.status).toBe(200);
    expect(pro.headers.get('ratelimit-policy')).toContain('"minute";q=30');

    // A failed payment: past due, the plan kept during the grace period.
    const invoice = {
      id: 'in_1',
      object: 'invoice',
      customer: stripeCustomer,
      parent: { subscription_details: { subscription: 'sub_1' } },
    };
    const failed = event('invoice.payment_failed', invoice);
    expect((await deliver(b, failed)).body.outcome).toBe('applied');
    offsetMs += (GRACE_SECONDS - 5) * 1000;
    for (const base of [a, b]) expect((await generate(base, key)).status).toBe(200);
    expect((await web.get('/dashboard/billing')).html).toContain('Your last payment failed');

    // Past the grace: the envelope says why.
    offsetMs += 10_000;
    for (const base of [a, b]) {
      const refused = await generate(base, key);
      expect(refused.status).toBe(402);
      expect(refused.body).toEqual({
        code: 402,
        message: 'Payment required',
        data: { reason: 'subscription_past_due' },
      });
    }

    // Paid: restored on both within 2 s.
    const paid = event('invoice.paid', { ...invoice, id: 'in_2' });
    const restoreMs = await onBoth(
      key,
      (r) => r.status === 200,
      async () => expect((await deliver(a, paid)).body.outcome).toBe('applied'),
    );
    console.log(`[billing] invoice.paid → keys restored on both instances in ${restoreMs.toFixed(0)} ms`);
    expect(restoreMs).toBeLessThan(2_000);

    // A replay of the failure (Stripe retries, an attacker resends a captured request) changes nothing.
    const before = (
      await admin.query('SELECT plan, subscription_status, past_due_since, updated_at FROM customers WHERE id = $1', [
        customer.id,
      ])
    ).rows[0];
    expect((await deliver(b, failed)).body.outcome).toBe('duplicate');
    expect((await deliver(a, created)).body.outcome).toBe('duplicate');
    const after = (
      await admin.query('SELECT plan, subscription_status, past_due_since, updated_at FROM customers WHERE id = $1', [
        customer.id,
      ])
    ).rows[0];
    expect(after).toEqual(before);
    expect(after.plan).toBe('pro');
    expect(after.past_due_since).toBeNull();
    // A failure older than the payment, delivered late (Stripe does not promise the order): no effect.
    const late = { ...event('invoice.payment_failed', { ...invoice, id: 'in_0' }), created: paid.created - 30 };
    expect((await deliver(a, late)).body.outcome).toBe('stale');
    expect((await admin.query('SELECT past_due_since FROM customers WHERE id = $1', [customer.id])).rows[0]).toEqual({
      past_due_since: null,
    });
    offsetMs += 3_600_000;
    for (const base of [a, b]) expect((await generate(base, key)).status).toBe(200);

    // Unsigned, wrongly signed or tampered events are refused and change nothing.
    expect((await deliver(a, event('customer.subscription.deleted', subscription), 'whsec_wrong')).status).toBe(400);
    const unsigned = await fetch(`${a}/billing/stripe/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(created),
    });
    expect(unsigned.status).toBe(400);

    // The subscription ends: back to the free plan.
    const ended = event('customer.subscription.deleted', { ...subscription, status: 'canceled' });
    const downMs = await onBoth(
      key,
      (r) => r.body.data?.plan === 'free',
      () => deliver(b, ended),
    );
    expect(downMs).toBeLessThan(2_000);
  });

  it('a credit pack bought through Checkout adds its credits once per payment', async () => {
    const { customer, key } = await customerWithKey('credits@example.com', 'pro');
    const web = new DashboardClient(b);
    await web.signIn('credits@example.com', PASSWORD);
    await web.get('/dashboard/billing');
    const checkout = await web.post('/dashboard/billing/checkout', { item: 'credits_500' });
    expect(checkout.status).toBe(303);
    const made = standIn.requests.filter((r) => r.path === '/v1/checkout/sessions').at(-1);
    expect(made?.fields.get('mode')).toBe('payment');
    expect(made?.fields.get('line_items[0][price]')).toBe('price_credits_500');
    const sessionId = (checkout.location as string).split('/').at(-1) as string;
    const completed = {
      id: sessionId,
      object: 'checkout.session',
      mode: 'payment',
      payment_status: 'paid',
      customer: made?.fields.get('customer'),
      client_reference_id: customer.id,
      metadata: { customer_id: customer.id, item: 'credits_500' },
    };
    expect((await deliver(a, event('checkout.session.completed', completed))).status).toBe(200);
    // The same payment again, under a new event id (a second endpoint, a resend): no second top-up.
    expect((await deliver(b, event('checkout.session.completed', completed))).status).toBe(200);
    const shown = await usage(a, key);
    expect(shown.body.data?.credits).toEqual({ balance: 500 });
    expect((await generate(b, key)).status).toBe(200);
    expect((await usage(a, key)).body.data?.credits).toEqual({ balance: 499 });
    expect((await web.get('/dashboard/billing')).html).toContain('<span id="credit-balance">499</span>');
  });
});
