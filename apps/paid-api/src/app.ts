/**
 * The host app: Fastify with a route of its own, the kit under /api/2fa (its keys resolved from
 * PostgreSQL through `dbKeyStore`, its events counted per customer per hour by `usageSink` and its
 * threshold events turned into alerts), Stripe's webhook when billing is on, and the Dashboard
 * beside it under /dashboard.
 */
import {
  type CreditsOptions,
  createTwoFa,
  type LimiterStore,
  MemoryStore,
  type PlanLimits,
  redactUrl,
  type TwoFaEvent,
} from '@twofa-kit/core';
import { twoFaFrameworkErrors, twoFaPlugin } from '@twofa-kit/fastify';
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type pg from 'pg';
import { type AlertService, alertService } from './alerts/alerts.js';
import { type DeliveryOptions, type DeliveryWorker, deliveryWorker } from './alerts/deliveries.js';
import { logMailer, type Mailer } from './alerts/mailer.js';
import { type BillingConfig, stripeClient } from './billing/stripe.js';
import { stripeWebhookPlugin } from './billing/webhook.js';
import { dashboardPlugin, type SignInLimit } from './dashboard/plugin.js';
import type { SelfServiceOptions } from './dashboard/self-service.js';
import { type DbKeyStore, dbKeyStore, type KeyStoreOptions } from './keys/store.js';
import { type UsageSink, usageSink } from './usage/sink.js';

export interface AppOptions extends KeyStoreOptions {
  readonly pool: pg.Pool;
  readonly plans?: Record<string, PlanLimits> | undefined;
  /** The limiter (Redis to share quotas between instances). Default: in memory. */
  readonly store?: LimiterStore | undefined;
  /** How often usage history is written, in ms. Default 5,000. */
  readonly usageFlushMs?: number | undefined;
  /** Failed sign-ins allowed per email and per address. Default 10 and 50 per 900 s. */
  readonly signInLimit?: SignInLimit | undefined;
  /** Another listener of the kit's events (metrics, logs), called after the usage history's. */
  readonly onEvent?: ((event: TwoFaEvent) => void) | undefined;
  /**
   * Fastify's `trustProxy`: set it behind a TLS-terminating proxy, so `X-Forwarded-Proto: https`
   * marks the Dashboard's cookies `Secure` (and the client address is the proxy's `X-Forwarded-For`).
   */
  readonly trustProxy?: FastifyServerOptions['trustProxy'] | undefined;
  /**
   * Where Fastify's request log goes (one JSON line per entry). Default: no log. URLs are logged
   * with the kit's `redactUrl` (query keys, secrets, codes) and without the Dashboard's link tokens.
   */
  readonly logStream?: { write(line: string): void } | undefined;
  /** Stripe (plans and credit packs through Checkout, the webhook). Default: off. */
  readonly billing?: BillingConfig | undefined;
  /** The kit's prepaid credits (`lowBalance` makes `credits.low` alerts). Default: the kit's. */
  readonly credits?: CreditsOptions | undefined;
  /** Where mails go: alerts and the Dashboard's (address confirmation, reset). Default: the log. */
  readonly mailer?: Mailer | undefined;
  /** The alert webhooks' worker: its settings, or false for none on this instance. */
  readonly deliveries?: DeliveryOptions | false | undefined;
  /** The key that signs the Dashboard's CSRF cookie; the same on every instance. Default: random. */
  readonly dashboardSecret?: string | undefined;
  /** The Dashboard's sign-up, `PUBLIC_URL`, two-factor key and their limits. */
  readonly selfService?: SelfServiceOptions | undefined;
}

/** A request's URL for the log: query credentials redacted, and the token of a link's path. */
export function loggedUrl(url: string): string {
  return redactUrl(url).replace(/\/(invite|reset|verify)\/[^/?#]+/, '/$1/[REDACTED]');
}

export interface PaidApp {
  readonly app: FastifyInstance;
  /** Its key cache: `clear()` on a change notification. */
  readonly keys: DbKeyStore;
  /** The usage history's accumulator: flushed every few seconds and when the app closes. */
  readonly usage: UsageSink;
  /** Threshold events turned into alerts (mail, webhook). */
  readonly alerts: AlertService;
  /** The alert webhooks' sender on this instance, when on. */
  readonly deliveries: DeliveryWorker | undefined;
}

export function buildApp(options: AppOptions): PaidApp {
  const billing = options.billing;
  const keys = dbKeyStore(options.pool, {
    ...options,
    ...(billing === undefined ? {} : { pastDueGraceMs: billing.graceSeconds * 1000 }),
  });
  const warn = (what: string) => (error: Error) => console.warn(`paid-api: ${what} (${error.message})`);
  const mailer = options.mailer ?? logMailer();
  const alerts = alertService(options.pool, {
    mailer,
    clock: options.clock,
    onError: warn('an alert was not recorded or mailed'),
  });
  const deliveries =
    options.deliveries === false
      ? undefined
      : deliveryWorker(options.pool, { onError: warn('webhook deliveries paused'), ...options.deliveries });
  const usage = usageSink(options.pool, {
    flushMs: options.usageFlushMs,
    clock: options.clock,
    onError: warn('usage history not written; kept for the next flush'),
  });
  // The store is made here (not by the kit) so the Dashboard reads the very counters the kit keeps.
  const store = options.store ?? new MemoryStore({ clock: options.clock });
  const twoFa = createTwoFa({
    resolveKey: keys.resolveKey,
    // Keys only in the X-API-Key header: a key in a URL ends up in proxies' and browsers' logs.
    allowQueryKey: false,
    plans: options.plans,
    store,
    onEvent: (event) => {
      usage.onEvent(event);
      alerts.onEvent(event);
      options.onEvent?.(event);
    },
    ...(options.credits === undefined ? {} : { credits: options.credits }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const app = Fastify({
    frameworkErrors: twoFaFrameworkErrors(twoFa),
    trustProxy: options.trustProxy ?? false,
    ...(options.logStream === undefined
      ? {}
      : {
          logger: {
            stream: options.logStream,
            serializers: {
              req: (req: FastifyRequest) => ({
                method: req.method,
                url: loggedUrl(req.url),
                host: req.host,
                remoteAddress: req.ip,
              }),
            },
          },
        }),
  });
  app.get('/health', async () => ({ status: 'ok' }));
  app.register(twoFaPlugin, { twoFa });
  const stripe = billing === undefined ? undefined : stripeClient(billing);
  if (billing !== undefined && stripe !== undefined) {
    app.register(stripeWebhookPlugin, {
      pool: options.pool,
      stripe,
      config: billing,
      onError: warn('a Stripe event was not applied; Stripe will retry'),
      plans: twoFa.config.plans,
      store,
    });
  }
  app.register(dashboardPlugin, {
    prefix: '/dashboard',
    pool: options.pool,
    twoFa,
    signInLimit: options.signInLimit,
    cookieSecret: options.dashboardSecret,
    clock: options.clock,
    billing: billing === undefined || stripe === undefined ? undefined : { config: billing, stripe },
    selfService: { ...options.selfService, mailer },
  });
  app.addHook('onClose', async () => {
    await twoFa.close();
    await usage.close();
    await alerts.idle();
    await deliveries?.close();
    mailer.close?.();
  });
  return { app, keys, usage, alerts, deliveries };
}
