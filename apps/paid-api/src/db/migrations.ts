/**
 * The schema, as numbered migrations applied in order at start (`migrate`). A migration is never
 * edited once released: a change is a new entry at the end. Version 2 is the Dashboard's: a role
 * per account (`admin` for operators), sign-in sessions and invitations (stored as SHA-256 digests
 * of their tokens), the audit log of operators' changes, and usage per customer per hour.
 * Version 3 keeps daily roll-ups of that usage (per customer and across all), written by a trigger
 * in the transaction that writes the hour, so the operators' totals read a few rows, not millions.
 * Version 4 is billing's and the alerts' (`billing/schema.ts`).
 * Version 5 lets the audit log hold changes made from the CLI (no account).
 * Version 6 is self-service: whether an address is verified; the links for confirming an address,
 * resetting a password and invitations, all under one set of rules (digests only); two-factor
 * sign-in (the TOTP secret encrypted, recovery codes as digests, the pending second step of a
 * sign-in); what a session was last seen doing; and the operators' settings.
 */
import { BILLING_MIGRATION } from '../billing/schema.js';

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
    name: 'operators at scale: daily usage roll-ups kept by a trigger, customer list index',
    sql: `
CREATE TABLE usage_daily (
  customer_id   text NOT NULL,
  day           date NOT NULL,
  admitted      bigint NOT NULL DEFAULT 0,
  refused       bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (customer_id, day)
);
CREATE INDEX usage_daily_day ON usage_daily (day, customer_id);

CREATE TABLE usage_days (
  day           date PRIMARY KEY,
  admitted      bigint NOT NULL DEFAULT 0,
  refused       bigint NOT NULL DEFAULT 0
);

-- Adds counts (one row per customer-hour) to both roll-ups.
CREATE FUNCTION usage_add(ids text[], hours timestamptz[], admitted bigint[], refused bigint[]) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO usage_daily (customer_id, day, admitted, refused)
    SELECT id, (h AT TIME ZONE 'UTC')::date, sum(a), sum(r) FROM unnest(ids, hours, admitted, refused) AS t(id, h, a, r)
    GROUP BY 1, 2
    ON CONFLICT (customer_id, day) DO UPDATE
    SET admitted = usage_daily.admitted + EXCLUDED.admitted, refused = usage_daily.refused + EXCLUDED.refused;
  INSERT INTO usage_days (day, admitted, refused)
    SELECT (h AT TIME ZONE 'UTC')::date, sum(a), sum(r) FROM unnest(ids, hours, admitted, refused) AS t(id, h, a, r)
    GROUP BY 1
    ON CONFLICT (day) DO UPDATE
    SET admitted = usage_days.admitted + EXCLUDED.admitted, refused = usage_days.refused + EXCLUDED.refused;
$$;

-- Statement-level: one aggregate per flush, not one upsert per row. An insert's rows add their
-- counts; an update's rows add the difference between new and old.
CREATE FUNCTION usage_roll_up() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM usage_add(array_agg(customer_id), array_agg(hour), array_agg(admitted), array_agg(refused))
       FROM new_rows;
  ELSE
    PERFORM usage_add(array_agg(n.customer_id), array_agg(n.hour), array_agg(n.admitted - o.admitted),
                      array_agg(n.refused - o.refused))
       FROM new_rows n JOIN old_rows o USING (customer_id, hour);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER usage_hourly_roll_up_insert AFTER INSERT ON usage_hourly
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_roll_up();
CREATE TRIGGER usage_hourly_roll_up_update AFTER UPDATE ON usage_hourly
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_roll_up();

INSERT INTO usage_daily (customer_id, day, admitted, refused)
  SELECT customer_id, (hour AT TIME ZONE 'UTC')::date, sum(admitted), sum(refused) FROM usage_hourly GROUP BY 1, 2;
INSERT INTO usage_days (day, admitted, refused)
  SELECT (hour AT TIME ZONE 'UTC')::date, sum(admitted), sum(refused) FROM usage_hourly GROUP BY 1;

CREATE INDEX customers_list ON customers (role, created_at DESC, id);
`,
  },
  BILLING_MIGRATION,
  {
    version: 5,
    name: 'audit log: changes made from the CLI, which has no account',
    sql: `
ALTER TABLE audit_log ALTER COLUMN actor_id DROP NOT NULL;
`,
  },
  {
    version: 6,
    name: 'self-service: email verification, password reset, two-factor sign-in, session details, settings',
    sql: `
ALTER TABLE customers ADD COLUMN email_verified boolean NOT NULL DEFAULT true;
ALTER TABLE customers ADD COLUMN totp_secret text;
ALTER TABLE customers ADD COLUMN totp_pending text;
ALTER TABLE customers ADD COLUMN totp_enabled_at timestamptz;

CREATE TABLE account_links (
  digest        text PRIMARY KEY CHECK (digest ~ '^[0-9a-f]{64}$'),
  customer_id   text NOT NULL REFERENCES customers (id),
  purpose       text NOT NULL CHECK (purpose IN ('verify', 'reset', 'invite')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  used_at       timestamptz
);
CREATE INDEX account_links_customer ON account_links (customer_id, purpose);
-- Invitation links follow the same rules from now on: the ones still in "invitations" move here.
INSERT INTO account_links (digest, customer_id, purpose, created_at, expires_at, used_at)
  SELECT digest, customer_id, 'invite', created_at, expires_at, used_at FROM invitations;

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
