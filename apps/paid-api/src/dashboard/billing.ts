/**
 * The Dashboard's billing and alerts: a customer buys a plan or credits through Stripe Checkout
 * (a button that makes a Checkout Session and redirects to it; a subscriber changes plan, card or
 * cancels in Stripe's customer portal), sets the alert webhook's URL,
 * rotates its signing secret (shown once), and sees every delivery and the receiver's answers.
 * Operators see every customer's deliveries at `/dashboard/admin/deliveries`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Stripe from 'stripe';
import { getCustomer } from '../accounts/customers.js';
import type { Session } from '../accounts/sessions.js';
import { listDeliveries, rotateWebhookSecret, setWebhookUrl, webhookSettings } from '../alerts/deliveries.js';
import { newWebhookSecret } from '../alerts/signing.js';
import { createCheckout, stripeCustomerOf } from '../billing/checkout.js';
import type { BillingConfig } from '../billing/stripe.js';
import { PaidApiError } from '../errors.js';
import type { DashboardContext } from './context.js';
import { form, html, seeOther } from './http.js';
import { billingPage, deliveriesTable } from './views/billing.js';
import { messagePage, page } from './views/layout.js';

export interface DashboardBilling {
  readonly config: BillingConfig;
  readonly stripe: Stripe;
}

const MAX_URL = 2_048;

export function billingRoutes(
  app: FastifyInstance,
  ctx: DashboardContext,
  billing: DashboardBilling | undefined,
): void {
  const { pool, twoFa } = ctx;

  async function render(
    reply: FastifyReply,
    session: Session,
    extra: { newSecret?: string; notice?: string; status?: number } = {},
  ) {
    const customer = await getCustomer(pool, session.customerId);
    const { rows } = await pool.query<{ subscription_status: string | null; past_due_since: Date | null }>(
      'SELECT subscription_status, past_due_since FROM customers WHERE id = $1',
      [customer.id],
    );
    const row = rows[0];
    const grace = (billing?.config.graceSeconds ?? 0) * 1000;
    const store = twoFa.config.store;
    const [settings, deliveries, balance] = await Promise.all([
      webhookSettings(pool, customer.id),
      listDeliveries(pool, { customerId: customer.id }),
      typeof store.balance === 'function' ? store.balance(customer.id) : null,
    ]);
    return html(
      reply,
      extra.status ?? 200,
      billingPage(session, {
        plan: customer.plan,
        subscriptionStatus: row?.subscription_status ?? null,
        suspendsAt: row?.past_due_since ? new Date(row.past_due_since.getTime() + grace) : null,
        balance,
        items: billing === undefined ? [] : Object.keys(billing.config.prices),
        webhookUrl: settings.url,
        newSecret: extra.newSecret,
        deliveries,
        notice: extra.notice,
      }),
    );
  }

  const customerPage = async (request: FastifyRequest, reply: FastifyReply) => {
    const found = await ctx.requirePage(request, reply);
    if (found === undefined) return undefined;
    if (found.session.role === 'admin') {
      await seeOther(reply, '/dashboard/admin/deliveries');
      return undefined;
    }
    return found;
  };

  app.get<{ Querystring: { paid?: string } }>('/billing', async (request, reply) => {
    const found = await customerPage(request, reply);
    if (found === undefined) return reply;
    const notice =
      request.query.paid === '1' ? 'Thank you: the purchase applies as soon as Stripe confirms it.' : undefined;
    return render(reply, found.session, notice === undefined ? {} : { notice });
  });

  app.post('/billing/checkout', async (request, reply) => {
    const found = await ctx.requirePost(request, reply);
    if (found === undefined) return reply;
    if (billing === undefined)
      return html(reply, 404, messagePage('Billing', 'Purchases are not set up on this server.'));
    const base = `${request.protocol}://${request.host}/dashboard/billing`;
    try {
      const session = await createCheckout(
        pool,
        billing.stripe,
        billing.config,
        twoFa.config.plans,
        found.session.customerId,
        form(request).item ?? '',
        { success: `${base}?paid=1`, cancel: base },
      );
      return seeOther(reply, session.url);
    } catch (error) {
      if (!(error instanceof PaidApiError)) throw error;
      return render(reply, found.session, { notice: error.message, status: 400 });
    }
  });

  /** A subscriber changes plan, card or cancels in Stripe's customer portal (the changes come back as webhooks). */
  app.post('/billing/portal', async (request, reply) => {
    const found = await ctx.requirePost(request, reply);
    if (found === undefined) return reply;
    if (billing === undefined)
      return html(reply, 404, messagePage('Billing', 'Purchases are not set up on this server.'));
    const portal = await billing.stripe.billingPortal.sessions.create({
      customer: await stripeCustomerOf(pool, billing.stripe, found.session.customerId),
      return_url: `${request.protocol}://${request.host}/dashboard/billing`,
    });
    return seeOther(reply, portal.url);
  });

  app.post('/billing/webhook', async (request, reply) => {
    const found = await ctx.requirePost(request, reply);
    if (found === undefined) return reply;
    const text = (form(request).url ?? '').trim();
    let url: string | null = null;
    if (text !== '') {
      let parsed: URL | undefined;
      try {
        parsed = text.length <= MAX_URL ? new URL(text) : undefined;
      } catch {}
      if (parsed === undefined || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
        return render(reply, found.session, { notice: 'The webhook URL must be an http(s) URL.', status: 400 });
      }
      url = parsed.href;
    }
    const { secret } = await setWebhookUrl(pool, found.session.customerId, url, newWebhookSecret);
    const notice = url === null ? 'Webhook removed: alerts go by mail only.' : 'Webhook saved.';
    return render(reply, found.session, secret === undefined ? { notice } : { notice, newSecret: secret });
  });

  app.post('/billing/webhook/rotate', async (request, reply) => {
    const found = await ctx.requirePost(request, reply);
    if (found === undefined) return reply;
    const secret = await rotateWebhookSecret(pool, found.session.customerId, newWebhookSecret());
    return render(reply, found.session, {
      notice: 'New signing secret: the old one no longer signs.',
      newSecret: secret,
    });
  });

  app.get('/admin/deliveries', async (request, reply) => {
    const found = await ctx.requirePage(request, reply, 'admin');
    if (found === undefined) return reply;
    const deliveries = await listDeliveries(pool, { limit: 200 });
    return html(
      reply,
      200,
      page(
        'Webhook deliveries',
        `<h1>Webhook deliveries</h1><section>${deliveriesTable(deliveries, true)}</section>`,
        found.session,
      ),
    );
  });
}
