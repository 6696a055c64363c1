/**
 * The schema, as numbered migrations applied in order at start (`migrate`). A migration is never
 * edited once released: a change is a new entry at the end. The Dashboard (sign-in, sessions, an
 * audit log, usage history) adds its tables the same way; `customers.password_hash` is already
 * there for its sign-in.
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
];
