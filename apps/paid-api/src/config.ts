/**
 * The paid-API example's environment: the example servers' (`PORT`, `HOST`, the `REDIS_*`
 * variables, `TWOFA_PLANS`, `TRUST_PROXY`, read by `@twofa-kit/example-support`) plus
 * `DATABASE_URL`, `PAID_API_DATA_DIR`, `KEY_CACHE_TTL_MS`, and `DASHBOARD_ADMIN_EMAIL` /
 * `DASHBOARD_ADMIN_PASSWORD` (the first operator), `DASHBOARD_SECRET` (signs the Dashboard's CSRF
 * cookie), and for self-service `PUBLIC_URL`, `SMTP_URL`, `MAIL_FROM`, `DASHBOARD_SIGNUP` and
 * `DASHBOARD_SECRET_KEY`. `TWOFA_API_KEYS` is not used: keys live in the database.
 */
import { fileURLToPath } from 'node:url';
import { type PlanLimits, type PlanTable, TwoFaConfigError } from '@twofa-kit/core';
import { configFromEnv, type EnvSource, type RedisConnection } from '@twofa-kit/example-support';
import { type BillingConfig, billingConfig } from './billing/stripe.js';
import { parseSecretKey, type SignUpMode } from './dashboard/self-service.js';
import { DEFAULT_KEY_CACHE_TTL_MS } from './keys/store.js';

export interface PaidApiConfig {
  readonly port: number;
  readonly host: string;
  readonly redisUrl: string | undefined;
  /** `REDIS_URL`, `REDIS_CLUSTER_NODES` or `REDIS_SENTINELS` + `REDIS_SENTINEL_NAME`, as the example servers read them. */
  readonly redis: RedisConnection | undefined;
  /** `TRUST_PROXY`: the number of reverse proxies in front (default 0). */
  readonly trustProxy: number;
  readonly plans: Record<string, PlanLimits> | undefined;
  readonly planTable: PlanTable;
  /** `DATABASE_URL`, or undefined for the embedded PostgreSQL. */
  readonly databaseUrl: string | undefined;
  /** The embedded PostgreSQL's directory: `PAID_API_DATA_DIR`, default `apps/paid-api/.data`. */
  readonly dataDir: string;
  /** `KEY_CACHE_TTL_MS`, default 10,000: the bound on a revocation reaching an instance. */
  readonly keyCacheTtlMs: number;
  /** `DASHBOARD_ADMIN_EMAIL` and `DASHBOARD_ADMIN_PASSWORD`: the operator created at start when missing. */
  readonly admin: { readonly email: string; readonly password: string } | undefined;
  /** `DASHBOARD_SECRET`: signs the Dashboard's CSRF cookie; the same on every instance. Default: random per process. */
  readonly dashboardSecret: string | undefined;
  /** `PUBLIC_URL`: the base of every link in a mail. Default `http://localhost:<PORT>`. */
  readonly publicUrl: string;
  /** `DASHBOARD_SIGNUP`: `invite` (the default) or `open`. */
  readonly signup: SignUpMode;
  /** `DASHBOARD_SECRET_KEY` (32 bytes), or undefined: a key kept in the data directory. */
  readonly secretKey: Buffer | undefined;
  /** Stripe: `STRIPE_*`, `BILLING_GRACE_SECONDS`, `BILLING_FREE_PLAN` (see `billing/stripe.ts`); undefined when off. */
  readonly billing: BillingConfig | undefined;
  /** `SMTP_URL` (mails over SMTP: alerts, address confirmation, reset; unset: to the log) and `MAIL_FROM`. */
  readonly smtpUrl: string | undefined;
  readonly mailFrom: string | undefined;
  /** `USAGE_FLUSH_MS`: how often the usage history is written (default 5,000); a crash loses at most this much. */
  readonly usageFlushMs: number;
  /** `CREDITS_LOW_BALANCE`: a `credits.low` alert when a balance falls below it (default 0: never). */
  readonly creditsLowBalance: number;
  /** `ALERT_WEBHOOKS_ALLOW_PRIVATE=1`: alert webhooks may reach private addresses (default: public only). */
  readonly alertWebhooksAllowPrivate: boolean;
}

export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../.data', import.meta.url));

export function paidApiConfig(env: EnvSource = process.env): PaidApiConfig {
  const { port, host, redisUrl, redis, plans, planTable, trustProxy } = configFromEnv({
    ...env,
    TWOFA_API_KEYS: undefined,
  });
  const ttlText = env.KEY_CACHE_TTL_MS?.trim();
  const keyCacheTtlMs = ttlText ? Number(ttlText) : DEFAULT_KEY_CACHE_TTL_MS;
  if (!/^\d*$/.test(ttlText ?? '') || !Number.isSafeInteger(keyCacheTtlMs) || keyCacheTtlMs < 1) {
    throw new TwoFaConfigError(`KEY_CACHE_TTL_MS must be a whole number of ms ≥ 1, got ${JSON.stringify(ttlText)}`);
  }
  const adminEmail = env.DASHBOARD_ADMIN_EMAIL?.trim() || undefined;
  const adminPassword = env.DASHBOARD_ADMIN_PASSWORD || undefined;
  if ((adminEmail === undefined) !== (adminPassword === undefined)) {
    throw new TwoFaConfigError('set both DASHBOARD_ADMIN_EMAIL and DASHBOARD_ADMIN_PASSWORD, or neither');
  }
  const dashboardSecret = env.DASHBOARD_SECRET || undefined;
  if (dashboardSecret !== undefined && dashboardSecret.length < 32) {
    throw new TwoFaConfigError(
      'DASHBOARD_SECRET must be at least 32 characters (for example: openssl rand -base64 32)',
    );
  }
  const signup = env.DASHBOARD_SIGNUP?.trim() || 'invite';
  if (signup !== 'open' && signup !== 'invite') {
    throw new TwoFaConfigError(`DASHBOARD_SIGNUP must be "open" or "invite", got ${JSON.stringify(signup)}`);
  }
  const publicUrl = env.PUBLIC_URL?.trim() || `http://localhost:${port}`;
  if (!/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(publicUrl)) {
    throw new TwoFaConfigError(
      `PUBLIC_URL must be an http(s) URL like https://api.example.com, got ${JSON.stringify(publicUrl)}`,
    );
  }
  const secretText = env.DASHBOARD_SECRET_KEY?.trim();
  const flushText = env.USAGE_FLUSH_MS?.trim() || '5000';
  if (!/^\d{1,9}$/.test(flushText) || Number(flushText) < 10) {
    throw new TwoFaConfigError('USAGE_FLUSH_MS must be a whole number of ms ≥ 10');
  }
  const lowText = env.CREDITS_LOW_BALANCE?.trim() || '0';
  if (!/^\d{1,12}$/.test(lowText)) throw new TwoFaConfigError('CREDITS_LOW_BALANCE must be a whole number of credits');
  const allowPrivate = env.ALERT_WEBHOOKS_ALLOW_PRIVATE?.trim() || '0';
  if (allowPrivate !== '0' && allowPrivate !== '1')
    throw new TwoFaConfigError('ALERT_WEBHOOKS_ALLOW_PRIVATE is 0 or 1');
  return Object.freeze({
    port,
    host,
    redisUrl,
    redis,
    trustProxy,
    plans,
    planTable,
    databaseUrl: env.DATABASE_URL?.trim() || undefined,
    dataDir: env.PAID_API_DATA_DIR?.trim() || DEFAULT_DATA_DIR,
    keyCacheTtlMs,
    admin: adminEmail === undefined ? undefined : { email: adminEmail, password: adminPassword as string },
    dashboardSecret,
    publicUrl: publicUrl.replace(/\/+$/, ''),
    signup,
    secretKey: secretText ? parseSecretKey(secretText) : undefined,
    billing: billingConfig(env, planTable),
    smtpUrl: env.SMTP_URL?.trim() || undefined,
    mailFrom: env.MAIL_FROM?.trim() || undefined,
    creditsLowBalance: Number(lowText),
    usageFlushMs: Number(flushText),
    alertWebhooksAllowPrivate: allowPrivate === '1',
  });
}
