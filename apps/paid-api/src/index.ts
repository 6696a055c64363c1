/**
 * What a host imports to run a paid API on PostgreSQL: the database (`openDatabase`, `migrate`),
 * customers and keys (the lifecycle functions), the kit's key store over them, and the app.
 */
export {
  acceptInvitation,
  audit,
  checkPassword,
  createInvitation,
  ensureAdmin,
  findSession,
  INVITATION_TTL_SECONDS,
  openSession,
  type Role,
  revokeSession,
  revokeSessionsOf,
  SESSION_TTL_SECONDS,
  type Session,
} from './accounts.js';
export { type AppOptions, buildApp, type PaidApp } from './app.js';
export { announce, CHANGES_CHANNEL, type ChangeListener, listenForChanges } from './changes.js';
export { DEFAULT_DATA_DIR, type PaidApiConfig, paidApiConfig } from './config.js';
export {
  type AlsoInTransaction,
  type Customer,
  type CustomerStatus,
  checkLimits,
  checkPlanName,
  createCustomer,
  findCustomerByEmail,
  getCustomer,
  hashPassword,
  type Limits,
  type NewCustomer,
  PaidApiError,
  setLimits,
  setPlan,
  setStatus,
  verifyPassword,
} from './customers.js';
export {
  customerUsage,
  type DashboardOptions,
  DEFAULT_SIGN_IN_LIMIT,
  dashboardPlugin,
  LOGIN_CSRF_COOKIE,
  SESSION_COOKIE,
  type SignInLimit,
} from './dashboard.js';
export { type Database, migrate, type OpenOptions, openDatabase, transaction } from './db.js';
export { type Embedded, openEmbedded } from './embedded.js';
export { type DbKeyStore, DEFAULT_KEY_CACHE_TTL_MS, dbKeyStore, type KeyStoreOptions } from './key-store.js';
export {
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
  revokeKey,
  rotateKey,
} from './keys.js';
export { MIGRATIONS, type Migration } from './migrations.js';
export { USAGE } from './usage.js';
export { type UsagePoint, type UsageSink, type UsageSinkOptions, usageHistory, usageSink } from './usage-sink.js';
