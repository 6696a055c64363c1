/**
 * Alerts from the kit's threshold events (`quota.threshold` at 80 % and 100 % of a window of an
 * hour or longer, `credits.low`): each is recorded once in `alerts` (the limiter store already
 * reports each once across every instance; the table's unique key is a second guard), mailed to the
 * customer, and queued as a signed webhook when the customer set a URL (`deliveries.ts` sends it).
 *
 * The kit's `onEvent` is synchronous: the work runs in the background, and `idle()` waits for it
 * (the app's close does).
 */
import { randomBytes } from 'node:crypto';
import type { TwoFaEvent } from '@twofa-kit/core';
import type pg from 'pg';
import { transaction } from '../db/pool.js';
import type { Mailer } from './mailer.js';

export interface AlertPayload {
  /** `alt_` and 16 hex digits: the same on every retry of its webhook (`Webhook-Id`). */
  readonly id: string;
  readonly type: 'quota.threshold' | 'credits.low';
  /** Unix seconds when the alert was made. */
  readonly created: number;
  readonly customer_id: string;
  readonly data:
    | { readonly window: string; readonly percent: number; readonly period_start: number }
    | { readonly balance: number };
}

export interface AlertService {
  /** The kit's `onEvent`: threshold events become alerts; every other event is ignored. */
  readonly onEvent: (event: TwoFaEvent) => void;
  /** Resolves when every alert received so far is recorded, queued and mailed. */
  idle(): Promise<void>;
}

export interface AlertOptions {
  readonly mailer: Mailer;
  /** Unix ms. Default `Date.now`. */
  readonly clock?: (() => number) | undefined;
  /** Called when an alert cannot be recorded or mailed. */
  readonly onError?: ((error: Error) => void) | undefined;
}

export function alertService(pool: pg.Pool, options: AlertOptions): AlertService {
  const clock = options.clock ?? Date.now;
  const pending = new Set<Promise<void>>();

  const onEvent = (event: TwoFaEvent) => {
    if (event.type !== 'quota.threshold' && event.type !== 'credits.low') return;
    if (event.identityId === null) return;
    const work = record(pool, event, event.identityId, clock(), options).catch((error: Error) =>
      options.onError?.(error),
    );
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };

  return {
    onEvent,
    idle: async () => {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}

function payloadOf(event: TwoFaEvent, customerId: string, nowMs: number): { payload: AlertPayload; dedupe: string } {
  const id = `alt_${randomBytes(8).toString('hex')}`;
  const created = Math.floor(nowMs / 1000);
  if (event.type === 'quota.threshold') {
    const data = {
      window: String(event.window),
      percent: Number(event.percent),
      period_start: Number(event.periodStart),
    };
    return {
      payload: { id, type: 'quota.threshold', created, customer_id: customerId, data },
      dedupe: `${customerId}/quota.threshold/${data.window}/${data.period_start}/${data.percent}`,
    };
  }
  // The store reports credits.low once per crossing (again only after a top-up): each is its own alert.
  return {
    payload: { id, type: 'credits.low', created, customer_id: customerId, data: { balance: Number(event.balance) } },
    dedupe: `${customerId}/credits.low/${id}`,
  };
}

async function record(
  pool: pg.Pool,
  event: TwoFaEvent,
  customerId: string,
  nowMs: number,
  options: AlertOptions,
): Promise<void> {
  const { payload, dedupe } = payloadOf(event, customerId, nowMs);
  const body = JSON.stringify(payload);
  const email = await transaction(pool, async (client) => {
    const inserted = await client.query(
      `INSERT INTO alerts (id, customer_id, type, dedupe, payload) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (dedupe) DO NOTHING`,
      [payload.id, customerId, payload.type, dedupe, body],
    );
    if (inserted.rowCount === 0) return undefined; // already alerted
    await client.query(
      `INSERT INTO webhook_deliveries (alert_id, customer_id, url, body)
       SELECT $1, customer_id, webhook_url, $3 FROM alert_settings
        WHERE customer_id = $2 AND webhook_url IS NOT NULL AND webhook_secret IS NOT NULL`,
      [payload.id, customerId, body],
    );
    const { rows } = await client.query<{ email: string }>('SELECT email FROM customers WHERE id = $1', [customerId]);
    return rows[0]?.email;
  });
  if (email !== undefined) await options.mailer.send(mailFor(payload, email));
}

function mailFor(alert: AlertPayload, to: string) {
  if ('window' in alert.data) {
    const { window, percent } = alert.data;
    const subject =
      percent >= 100 ? `Your ${window} quota is used up` : `You have used ${percent} % of your ${window} quota`;
    const text = `${subject}.\n\nRequests past the limit are refused with 429 until the ${window} resets (period started ${new Date(alert.data.period_start * 1000).toISOString()}).\nUpgrade your plan in the Dashboard to raise the limit.\n`;
    return { to, subject, text };
  }
  const subject = `Your credit balance is low: ${alert.data.balance} left`;
  return {
    to,
    subject,
    text: `${subject}.\n\nRequests are refused with 402 when the balance runs out. Buy credits in the Dashboard.\n`,
  };
}
