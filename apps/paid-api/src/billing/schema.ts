/**
 * The billing and alerts tables, as one migration (listed in `db/migrations.ts`):
 * - on `customers`: the Stripe customer and subscription, its status, and since when it is past due
 *   (the grace period counts from there), and the creation time of the last Stripe event applied
 *   (an older event arriving late changes nothing);
 * - `stripe_events`: every Stripe event id processed, so a replayed or retried event changes nothing;
 * - `alert_settings`: the customer's webhook URL and signing secret;
 * - `alerts`: each threshold event once (unique per customer, kind, window and period);
 * - `webhook_deliveries` and `webhook_attempts`: each webhook to a customer and every try's answer.
 */
import type { Migration } from '../db/migrations.js';

export const BILLING_MIGRATION: Migration = {
  version: 4,
  name: 'billing: stripe subscriptions and events, alerts, webhook deliveries',
  sql: `
ALTER TABLE customers
  ADD COLUMN stripe_customer_id  text UNIQUE,
  ADD COLUMN subscription_id     text,
  ADD COLUMN subscription_status text,
  ADD COLUMN past_due_since      timestamptz,
  ADD COLUMN billing_event_at    bigint;

CREATE TABLE stripe_events (
  id            text PRIMARY KEY,
  type          text NOT NULL,
  customer_id   text,
  received_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE alert_settings (
  customer_id    text PRIMARY KEY REFERENCES customers (id),
  webhook_url    text,
  webhook_secret text,
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE alerts (
  id            text PRIMARY KEY,
  customer_id   text NOT NULL REFERENCES customers (id),
  type          text NOT NULL,
  dedupe        text NOT NULL UNIQUE,
  payload       jsonb NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alerts_customer ON alerts (customer_id, created_at DESC);

CREATE TABLE webhook_deliveries (
  id            bigserial PRIMARY KEY,
  alert_id      text NOT NULL REFERENCES alerts (id),
  customer_id   text NOT NULL REFERENCES customers (id),
  url           text NOT NULL,
  body          text NOT NULL,
  status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts      integer NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL DEFAULT now(),
  next_at       timestamptz NOT NULL DEFAULT now(),
  delivered_at  timestamptz
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_customer ON webhook_deliveries (customer_id, id DESC);

CREATE TABLE webhook_attempts (
  id            bigserial PRIMARY KEY,
  delivery_id   bigint NOT NULL REFERENCES webhook_deliveries (id),
  at            timestamptz NOT NULL DEFAULT now(),
  http_status   integer,
  error         text,
  response      text,
  duration_ms   integer NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
`,
};
