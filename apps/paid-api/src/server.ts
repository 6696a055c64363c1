/**
 * `pnpm --dir apps/paid-api start`: opens the database (`DATABASE_URL`, or the embedded one),
 * migrates it, creates the first Dashboard operator when asked to, listens for key changes, and
 * serves the kit and the Dashboard on PORT/HOST.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { limiterStore, listenUrl } from '@twofa-kit/example-support';
import { ensureAdmin } from './accounts/operators.js';
import { mailerFor } from './alerts/mailer.js';
import { buildApp } from './app.js';
import { type PaidApiConfig, paidApiConfig } from './config.js';
import { parseSecretKey } from './dashboard/self-service.js';
import { migrate, openDatabase } from './db/pool.js';
import { listenForChanges } from './keys/changes.js';

/**
 * The key that encrypts two-factor secrets: `DASHBOARD_SECRET_KEY`, else one generated once into
 * the data directory (a development convenience: every instance must share one key, so set
 * `DASHBOARD_SECRET_KEY` for real).
 */
function secretKey(config: PaidApiConfig): { key: Buffer; where: string } {
  if (config.secretKey !== undefined) return { key: config.secretKey, where: 'DASHBOARD_SECRET_KEY' };
  const file = join(config.dataDir, 'dashboard-secret.key');
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  }
  return { key: parseSecretKey(readFileSync(file, 'utf8').trim()), where: file };
}

try {
  const config = paidApiConfig();
  const key = secretKey(config);
  const db = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  await migrate(db.pool);
  const admin =
    config.admin === undefined
      ? undefined
      : await ensureAdmin(db.pool, config.planTable, config.admin.email, config.admin.password);
  const { store, close: closeStore } = await limiterStore(config.redis);
  const { app, keys } = buildApp({
    pool: db.pool,
    plans: config.plans,
    store,
    ttlMs: config.keyCacheTtlMs,
    dashboardSecret: config.dashboardSecret,
    // The request log (JSON lines, URLs redacted) and the details of any error the pages only name.
    logStream: process.stdout,
    billing: config.billing,
    mailer: mailerFor(config.smtpUrl, config.mailFrom),
    credits: { lowBalance: config.creditsLowBalance },
    usageFlushMs: config.usageFlushMs,
    deliveries: { allowPrivate: config.alertWebhooksAllowPrivate },
    // TRUST_PROXY=N: the address the N-th proxy appended, never one the client wrote (Fastify
    // ignores a bare number); also what makes the Dashboard's cookies `Secure` behind TLS.
    trustProxy: config.trustProxy > 0 ? (_address: string, hop: number) => hop < config.trustProxy : false,
    selfService: {
      signup: config.signup,
      publicUrl: config.publicUrl,
      secretKey: key.key,
    },
  });
  const listener = db.embedded
    ? undefined
    : listenForChanges(db.url, keys.clear, {
        onError: (error) => console.warn(`paid-api: key-change listener lost (${error.message}); reconnecting`),
      });
  await listener?.ready;
  await app.listen({ port: config.port, host: config.host });
  const { port } = app.server.address() as AddressInfo;

  const shutdown = async () => {
    await app.close();
    await listener?.close();
    await closeStore();
    await db.close();
    process.exit(0);
  };
  process.once('SIGINT', shutdown).once('SIGTERM', shutdown);
  const where = db.embedded ? `embedded PostgreSQL in ${config.dataDir}` : 'DATABASE_URL';
  const bound = db.embedded ? '' : ' (at once on change notifications)';
  console.log(
    [
      `Keys: ${where}; a revoked key stops working within ${config.keyCacheTtlMs} ms${bound}`,
      admin === 'created' ? `Dashboard operator ${config.admin?.email} created` : '',
      `Dashboard sign-up: ${config.signup}; links in mails start with ${config.publicUrl}; mails ${config.smtpUrl === undefined ? 'written to this log (SMTP_URL is unset)' : 'sent over SMTP_URL'}`,
      `Two-factor secrets encrypted with the key in ${key.where}`,
      config.billing === undefined ? '' : 'Stripe: webhooks at POST /billing/stripe/webhook',
      `Dashboard: ${listenUrl(config.host, port)}/dashboard`,
      'Issue one: pnpm --dir apps/paid-api keys customer create --email you@example.com --plan pro',
      `twofa-kit paid-api example listening on ${listenUrl(config.host, port)}`,
    ]
      .filter((line) => line !== '')
      .join('\n'),
  );
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
