/**
 * Alert webhooks on their way: `webhook_deliveries` holds each one, `webhook_attempts` every try and
 * its answer. A worker on each instance claims due deliveries (`FOR UPDATE SKIP LOCKED`, then a lease
 * pushes `next_at` forward, so two instances never send the same try), POSTs the alert signed with
 * the customer's current secret (`signing.ts`), and records the answer: a 2xx delivers it; anything
 * else is retried with exponential backoff (30 s, 1 min, 2 min … capped at 2 h) until 24 h after the
 * alert, then the delivery is marked failed. Times are the database's clock.
 */
import type pg from 'pg';
import { postWebhook } from './egress.js';
import { ID_HEADER, SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from './signing.js';

export interface DeliveryOptions {
  /** How often each instance looks for due deliveries, in ms. Default 1,000. */
  readonly pollMs?: number | undefined;
  /** The wait before try `n + 1` after `n` failed tries, in ms. Default 30 s × 2^(n−1), at most 2 h. */
  readonly backoffMs?: ((failedTries: number) => number) | undefined;
  /** How long after the alert tries go on, in ms. Default 24 h. */
  readonly retryForMs?: number | undefined;
  /** Time allowed to a receiver, in ms. Default 10,000. */
  readonly timeoutMs?: number | undefined;
  /**
   * Send to receivers on private, loopback and link-local addresses too (a receiver on your own
   * network; tests). Default false: a customer's URL can only reach public addresses.
   */
  readonly allowPrivate?: boolean | undefined;
  /** Deliveries claimed per round. Default 20. */
  readonly batch?: number | undefined;
  /** Called when a round fails (the database is down): the next round retries. */
  readonly onError?: ((error: Error) => void) | undefined;
}

export const DEFAULT_RETRY_FOR_MS = 86_400_000;

export function defaultBackoffMs(failedTries: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, failedTries - 1), 7_200_000);
}

export interface DeliveryWorker {
  /** One round: sends what is due now. Resolves with the number of tries made. */
  runOnce(): Promise<number>;
  close(): Promise<void>;
}

interface Claimed {
  id: string;
  alert_id: string;
  url: string;
  body: string;
  attempts: number;
  expired: boolean;
  secret: string | null;
}

/** Most characters of a receiver's answer kept for the Dashboard. */
const RESPONSE_KEPT = 500;

export function deliveryWorker(pool: pg.Pool, options: DeliveryOptions = {}): DeliveryWorker {
  const backoff = options.backoffMs ?? defaultBackoffMs;
  const retryFor = options.retryForMs ?? DEFAULT_RETRY_FOR_MS;
  const timeoutMs = options.timeoutMs ?? 10_000;
  let closed = false;
  let running: Promise<number> = Promise.resolve(0);

  async function claim(): Promise<Claimed[]> {
    const { rows } = await pool.query<Claimed>(
      `WITH due AS (
         SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_at <= now()
          ORDER BY next_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       UPDATE webhook_deliveries d SET next_at = now() + make_interval(secs => $2)
         FROM due WHERE d.id = due.id
       RETURNING d.id, d.alert_id, d.url, d.body, d.attempts,
                 d.created_at + make_interval(secs => $3) <= now() AS expired,
                 (SELECT webhook_secret FROM alert_settings s WHERE s.customer_id = d.customer_id) AS secret`,
      [options.batch ?? 20, timeoutMs / 1000 + 5, retryFor / 1000],
    );
    return rows;
  }

  async function send(d: Claimed): Promise<void> {
    const started = performance.now();
    let httpStatus: number | null = null;
    let response: string | null = null;
    let error: string | null = null;
    if (d.secret === null) error = 'no signing secret';
    else {
      const timestamp = Math.floor(Date.now() / 1000);
      try {
        const res = await postWebhook(
          d.url,
          {
            'content-type': 'application/json',
            'user-agent': 'twofa-kit-paid-api-webhooks',
            [ID_HEADER]: d.alert_id,
            [TIMESTAMP_HEADER]: String(timestamp),
            [SIGNATURE_HEADER]: signWebhook(d.secret, timestamp, d.body),
          },
          d.body,
          { timeoutMs, allowPrivate: options.allowPrivate ?? false, keep: RESPONSE_KEPT },
        );
        httpStatus = res.status;
        response = res.body;
      } catch (e) {
        error = (e as Error).name === 'TimeoutError' ? `no answer in ${timeoutMs} ms` : String((e as Error).message);
      }
    }
    const ok = httpStatus !== null && httpStatus >= 200 && httpStatus < 300;
    const tries = d.attempts + 1;
    await pool.query(
      `INSERT INTO webhook_attempts (delivery_id, http_status, error, response, duration_ms) VALUES ($1, $2, $3, $4, $5)`,
      [d.id, httpStatus, error, response, Math.round(performance.now() - started)],
    );
    if (ok) {
      await pool.query(
        `UPDATE webhook_deliveries SET status = 'delivered', attempts = $2, delivered_at = now() WHERE id = $1`,
        [d.id, tries],
      );
    } else if (d.expired) {
      await pool.query(`UPDATE webhook_deliveries SET status = 'failed', attempts = $2 WHERE id = $1`, [d.id, tries]);
    } else {
      await pool.query(
        `UPDATE webhook_deliveries SET attempts = $2, next_at = now() + make_interval(secs => $3) WHERE id = $1`,
        [d.id, tries, backoff(tries) / 1000],
      );
    }
  }

  async function round(): Promise<number> {
    if (closed) return 0;
    const due = await claim();
    await Promise.all(due.map(send));
    return due.length;
  }

  const runOnce = () => {
    running = running.then(round, round);
    return running;
  };

  const timer = setInterval(() => {
    runOnce().catch((error: Error) => options.onError?.(error));
  }, options.pollMs ?? 1_000);
  timer.unref();

  return {
    runOnce,
    close: async () => {
      closed = true;
      clearInterval(timer);
      await running.catch(() => 0);
    },
  };
}

export interface DeliveryView {
  readonly id: string;
  readonly alertId: string;
  readonly customerId: string;
  readonly type: string;
  readonly url: string;
  readonly body: string;
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly attempts: readonly {
    readonly at: Date;
    readonly httpStatus: number | null;
    readonly error: string | null;
    readonly response: string | null;
    readonly durationMs: number;
  }[];
  readonly createdAt: Date;
  readonly nextAt: Date | null;
}

/** The latest deliveries with every try, newest first: one customer's, or everyone's (operators). */
export async function listDeliveries(
  pool: Pick<pg.Pool, 'query'>,
  options: { customerId?: string | undefined; limit?: number } = {},
): Promise<DeliveryView[]> {
  const { rows } = await pool.query<{
    id: string;
    alert_id: string;
    customer_id: string;
    type: string;
    url: string;
    body: string;
    status: DeliveryView['status'];
    created_at: Date;
    next_at: Date;
    attempts: {
      at: string;
      http_status: number | null;
      error: string | null;
      response: string | null;
      duration_ms: number;
    }[];
  }>(
    `SELECT d.id, d.alert_id, d.customer_id, a.type, d.url, d.body, d.status, d.created_at, d.next_at,
            coalesce((SELECT json_agg(json_build_object('at', t.at, 'http_status', t.http_status, 'error', t.error,
                        'response', t.response, 'duration_ms', t.duration_ms) ORDER BY t.id)
                        FROM webhook_attempts t WHERE t.delivery_id = d.id), '[]') AS attempts
       FROM webhook_deliveries d JOIN alerts a ON a.id = d.alert_id
      WHERE ($1::text IS NULL OR d.customer_id = $1)
      ORDER BY d.id DESC LIMIT $2`,
    [options.customerId ?? null, options.limit ?? 50],
  );
  return rows.map((r) => ({
    id: String(r.id),
    alertId: r.alert_id,
    customerId: r.customer_id,
    type: r.type,
    url: r.url,
    body: r.body,
    status: r.status,
    createdAt: r.created_at,
    nextAt: r.status === 'pending' ? r.next_at : null,
    attempts: r.attempts.map((t) => ({
      at: new Date(t.at),
      httpStatus: t.http_status,
      error: t.error,
      response: t.response,
      durationMs: t.duration_ms,
    })),
  }));
}

/** Sets the customer's webhook URL (null removes it). A first URL creates the signing secret, returned once. */
export async function setWebhookUrl(
  pool: Pick<pg.Pool, 'query'>,
  customerId: string,
  url: string | null,
  newSecret: () => string,
): Promise<{ secret: string | undefined }> {
  const secret = newSecret();
  const { rows } = await pool.query<{ created: boolean }>(
    `INSERT INTO alert_settings (customer_id, webhook_url, webhook_secret) VALUES ($1, $2, $3)
     ON CONFLICT (customer_id) DO UPDATE
       SET webhook_url = EXCLUDED.webhook_url, updated_at = now(),
           webhook_secret = coalesce(alert_settings.webhook_secret, EXCLUDED.webhook_secret)
     RETURNING webhook_secret = $3 AS created`,
    [customerId, url, secret],
  );
  return { secret: rows[0]?.created ? secret : undefined };
}

/** Replaces the signing secret (the next try of every pending delivery uses the new one). */
export async function rotateWebhookSecret(
  pool: Pick<pg.Pool, 'query'>,
  customerId: string,
  secret: string,
): Promise<string> {
  await pool.query(
    `INSERT INTO alert_settings (customer_id, webhook_secret) VALUES ($1, $2)
     ON CONFLICT (customer_id) DO UPDATE SET webhook_secret = EXCLUDED.webhook_secret, updated_at = now()`,
    [customerId, secret],
  );
  return secret;
}

export async function webhookSettings(
  pool: Pick<pg.Pool, 'query'>,
  customerId: string,
): Promise<{ url: string | null; hasSecret: boolean }> {
  const { rows } = await pool.query<{ webhook_url: string | null; has_secret: boolean }>(
    'SELECT webhook_url, webhook_secret IS NOT NULL AS has_secret FROM alert_settings WHERE customer_id = $1',
    [customerId],
  );
  return { url: rows[0]?.webhook_url ?? null, hasSecret: rows[0]?.has_secret ?? false };
}
