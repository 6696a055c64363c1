/**
 * What a host imports to run a paid API on PostgreSQL: the database (`openDatabase`, `migrate`),
 * customers and keys (the lifecycle functions), the kit's key store over them, and the app.
 */
export { audit, CLI_ACTOR } from './accounts/audit.js';
export { CUSTOMERS_PER_PAGE, type CustomerPage, searchCustomers } from './accounts/customer-search.js';
export {
  type AlsoInTransaction,
  type Customer,
  type CustomerStatus,
  checkLimits,
  checkPlanName,
  createCustomer,
  findCustomerByEmail,
  getCustomer,
  type Limits,
  type NewCustomer,
  setLimits,
  setPlan,
  setStatus,
} from './accounts/customers.js';
export {
  acceptInvitation,
  createInvitation,
  INVITATION_TTL_SECONDS,
  revokeInvitations,
} from './accounts/invitations.js';
export {
  cancelLink,
  cancelLinksOf,
  createLink,
  LINK_TTL_SECONDS,
  type LinkPurpose,
  linkAccount,
} from './accounts/links.js';
export { ensureAdmin } from './accounts/operators.js';
export {
  checkPassword,
  hashPassword,
  PasswordChecks,
  PasswordChecksBusyError,
  verifyPassword,
} from './accounts/passwords.js';
export { finishReset, startReset } from './accounts/reset.js';
export {
  findSession,
  listSessions,
  openSession,
  type Role,
  revokeSession,
  revokeSessionsOf,
  SESSION_TTL_SECONDS,
  type Session,
  type SessionInfo,
} from './accounts/sessions.js';
export { operatorsNeedTwoFactor, setOperatorsNeedTwoFactor } from './accounts/settings.js';
export { type SignUp, signUp, verifyEmail } from './accounts/signup.js';
export { openSecret, RECOVERY_CODE_COUNT, sealSecret } from './accounts/two-factor.js';
export { type AlertPayload, type AlertService, alertService } from './alerts/alerts.js';
export {
  DEFAULT_RETRY_FOR_MS,
  type DeliveryOptions,
  type DeliveryView,
  type DeliveryWorker,
  defaultBackoffMs,
  deliveryWorker,
  listDeliveries,
  rotateWebhookSecret,
  setWebhookUrl,
} from './alerts/deliveries.js';
export { logMailer, type Mail, type Mailer, mailerFor, smtpMailer } from './alerts/mailer.js';
export { newWebhookSecret, signWebhook, verifyWebhook } from './alerts/signing.js';
export { type AppOptions, buildApp, loggedUrl, type PaidApp } from './app.js';
export { createCheckout, stripeCustomerOf } from './billing/checkout.js';
export {
  type BillingConfig,
  billingConfig,
  DEFAULT_BILLING_GRACE_SECONDS,
  type Purchase,
  purchaseOf,
  stripeClient,
} from './billing/stripe.js';
export { applyStripeEvent, type EventOutcome, STRIPE_WEBHOOK_PATH } from './billing/webhook.js';
export { USAGE } from './cli/usage.js';
export { DEFAULT_DATA_DIR, type PaidApiConfig, paidApiConfig } from './config.js';
export {
  customerUsage,
  type DashboardOptions,
  DEFAULT_SIGN_IN_LIMIT,
  dashboardPlugin,
  LOGIN_CSRF_COOKIE,
  SESSION_COOKIE,
  type SignInLimit,
} from './dashboard/plugin.js';
export {
  parseSecretKey,
  type SelfService,
  type SelfServiceOptions,
  type SignUpMode,
  selfService,
} from './dashboard/self-service.js';
export { type AttemptLimit, DEFAULT_CODE_LIMIT, DEFAULT_MAIL_LIMIT } from './dashboard/throttle.js';
export { SIGN_IN_STEP_COOKIE } from './dashboard/two-factor.js';
export { type Embedded, openEmbedded } from './db/embedded.js';
export { MIGRATIONS, type Migration } from './db/migrations.js';
export {
  type Database,
  DatabaseBusyError,
  type DatabaseLimits,
  DEFAULT_LIMITS,
  databaseUnavailable,
  migrate,
  type OpenOptions,
  openDatabase,
  transaction,
} from './db/pool.js';
export { PaidApiError } from './errors.js';
export { announce, CHANGES_CHANNEL, type ChangeListener, listenForChanges } from './keys/changes.js';
export {
  type AlsoForKey,
  createKey,
  DEFAULT_GRACE_SECONDS,
  expireKey,
  generateKey,
  getKey,
  type IssuedKey,
  KEY_PREFIX,
  type KeyIdentity,
  type KeyRecord,
  type KeyStatus,
  listKeys,
  lookupKey,
  MAX_KEYS_PER_CUSTOMER,
  revokeKey,
  rotateKey,
} from './keys/service.js';
export {
  type DbKeyStore,
  DEFAULT_KEY_CACHE_TTL_MS,
  DEFAULT_PAST_DUE_GRACE_MS,
  dbKeyStore,
  type KeyStoreOptions,
} from './keys/store.js';
export { type UsagePoint, type UsageSink, type UsageSinkOptions, usageHistory, usageSink } from './usage/sink.js';
export { type DayTotal, type TopCustomer, type UsageTotals, usageTotals } from './usage/totals.js';
