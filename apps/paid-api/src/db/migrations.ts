/**
 * The schema, as numbered migrations applied in order at start (`migrate`). A migration is never
 * edited once released: a change is a new entry at the end. Version 2 is the Dashboard's: a role
 * per account (`admin` for operators), sign-in sessions and invitations (stored as SHA-256 digests
 * of their tokens), the audit log of operators' changes, and usage per customer per hour.
 * Version 3 is self-service: whether an address is verified, the links mailed for verifying an
 * address and resetting a password (digests only), two-factor sign-in (the TOTP secret encrypted,
 * recovery codes as digests, the pending second step of a sign-in), what a session was last seen
 * doing, and the operators' settings.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'customers and api keys',
    sql: `
CREATE TABLE customers (
  id            text PRIMARY KEY,
  email         text NOT NULL,
  password_hash text,
  plan          text NOT NULL,
  limits        jsonb NOT NULL DEFAULT '{}'::jsonb,
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX customers_email_unique ON customers (lower(email));

CREATE TABLE api_keys (
  id            text PRIMARY KEY,
  customer_id   text NOT NULL REFERENCES customers (id),
  digest        text NOT NULL UNIQUE CHECK (digest ~ '^[0-9a-f]{64}$'),
  prefix        text NOT NULL,
  last_chars    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz,
  revoked_at    timestamptz,
  replaced_by   text REFERENCES api_keys (id),
  grace_ends_at timestamptz,
  last_used_at  timestamptz
);
CREATE INDEX api_keys_customer ON api_keys (customer_id);
`,
  },
  {
    version: 2,
    name: 'dashboard: roles, sessions, invitations, audit log, hourly usage',
    sql: `
ALTER TABLE customers ADD COLUMN role text NOT NULL DEFAULT 'customer' CHECK (role IN ('customer', 'admin'));

CREATE TABLE dashboard_sessions (
  digest        text PRIMARY KEY CHECK (digest ~ '^[0-9a-f]{64}$'),
  customer_id   text NOT NULL REFERENCES customers (id),
  csrf          text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  revoked_at    timestamptz
);
CREATE INDEX dashboard_sessions_customer ON dashboard_sessions (customer_id);

CREATE TABLE invitations (
  digest        text PRIMARY KEY CHECK (digest ~ '^[0-9a-f]{64}$'),
  customer_id   text NOT NULL REFERENCES customers (id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  used_at       timestamptz
);

CREATE TABLE audit_log (
  id            bigserial PRIMARY KEY,
  at            timestamptz NOT NULL DEFAULT now(),
  actor_id      text NOT NULL REFERENCES customers (id),
  action        text NOT NULL,
  target_id     text,
  details       jsonb NOT NULL DEFAULT '{}'::jsonb
);

CREATE TABLE usage_hourly (
  customer_id   text NOT NULL,
  hour          timestamptz NOT NULL,
  admitted      bigint NOT NULL DEFAULT 0,
  refused       bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (customer_id, hour)
);
`,
  },
  {
    version: 3,
    name: 'self-service: email verification, password reset, two-factor sign-in, session details, settings',
    sql: `
ALTER TABLE customers ADD COLUMN email_verified boolean NOT NULL DEFAULT true;
ALTER TABLE customers ADD COLUMN totp_secret text;
ALTER TABLE customers ADD COLUMN totp_pending text;
ALTER TABLE customers ADD COLUMN totp_enabled_at timestamptz;

CREATE TABLE account_links (
  digest        text PRIMARY KEY CHECK (digest ~ '^[0-9a-f]{64}$'),
  customer_id   text NOT NULL REFERENCES customers (id),
  purpose       text NOT NULL CHECK (purpose IN ('verify', 'reset')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  used_at       timestamptz
);
CREATE INDEX account_links_customer ON account_links (customer_id, purpose);

CREATE TABLE recovery_codes (
  digest        text PRIMARY KEY CHECK (digest ~ '^[0-9a-f]{64}$'),
  customer_id   text NOT NULL REFERENCES customers (id),
  used_at       timestamptz
);
CREATE INDEX recovery_codes_customer ON recovery_codes (customer_id);

CREATE TABLE sign_in_steps (
  digest        text PRIMARY KEY CHECK (digest ~ '^[0-9a-f]{64}$'),
  customer_id   text NOT NULL REFERENCES customers (id),
  user_agent    text,
  expires_at    timestamptz NOT NULL,
  used_at       timestamptz
);

ALTER TABLE dashboard_sessions ADD COLUMN id bigserial;
ALTER TABLE dashboard_sessions ADD COLUMN last_seen_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE dashboard_sessions ADD COLUMN user_agent text;
CREATE UNIQUE INDEX dashboard_sessions_id ON dashboard_sessions (id);

CREATE TABLE dashboard_settings (
  name          text PRIMARY KEY,
  value         jsonb NOT NULL
);
`,
  },
];
