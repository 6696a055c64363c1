/**
 * `pnpm --dir apps/paid-api keys <command>`: the key lifecycle from a terminal, on the same
 * `DATABASE_URL` (or embedded PostgreSQL) as the server. Each command prints only its result on
 * stdout; errors go to stderr with exit code 1 (2 for a usage mistake). Every change is written to
 * the audit log with no account as its actor (shown as `CLI`).
 *
 *   customer create --email E --plan P [--password-stdin] → the customer id (the password: stdin's first line)
 *   customer invite --customer ID [--url BASE_URL]         → a link to set a Dashboard password
 *   link revoke LINK | --customer ID                      → how many links were cancelled
 *   key create --customer ID [--expires ISO-DATE]         → the new key (the only time it is shown)
 *   key rotate KEY_ID [--grace SECONDS]                   → the new key
 *   key revoke KEY_ID                                     → KEY_ID
 *   key expire KEY_ID --at ISO-DATE|never                 → KEY_ID and the expiry
 *   key list --customer ID                                → one line per key, KEY_ID first
 *   plan set --customer ID --plan P                       → ID and the plan
 *   limits set --customer ID [--minute N] [--hour N] [--day N] [--month N]   (N or "unlimited") → the overrides
 *   limits clear --customer ID                            → ID and {}
 *   credits add --customer ID --amount N [--id TOPUP_ID]  → the new balance (needs the servers' Redis:
 *                                                            credits live in the limiter store; once per TOPUP_ID)
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { WINDOWS } from '@twofa-kit/core';
import { limiterStore } from '@twofa-kit/example-support';
import type pg from 'pg';
import { audit, CLI_ACTOR } from '../accounts/audit.js';
import {
  type AlsoInTransaction,
  createCustomer,
  getCustomer,
  type Limits,
  setLimits,
  setPlan,
} from '../accounts/customers.js';
import { createInvitation, revokeInvitations } from '../accounts/invitations.js';
import { paidApiConfig } from '../config.js';
import { migrate, openDatabase } from '../db/pool.js';
import { PaidApiError } from '../errors.js';
import {
  type AlsoForKey,
  createKey,
  expireKey,
  type KeyRecord,
  listKeys,
  revokeKey,
  rotateKey,
} from '../keys/service.js';
import { USAGE } from './usage.js';

class UsageError extends Error {}

type Values = Record<string, string | undefined>;

function required(values: Values, name: string): string {
  const value = values[name];
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

function onePositional(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new UsageError(`expected one ${what}`);
  return positionals[0] as string;
}

function date(text: string, name: string): Date {
  // An ISO-8601 date or date-time; a bare date means its start, UTC.
  const parsed = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) ? new Date(text) : new Date(NaN);
  if (Number.isNaN(parsed.getTime()))
    throw new UsageError(`--${name} must be an ISO date like 2030-01-31 or 2030-01-31T12:00:00Z`);
  return parsed;
}

function keyLine(k: KeyRecord): string {
  const iso = (d: Date | null) => (d === null ? '-' : d.toISOString());
  const status = k.status === 'rotating' ? `rotating-until=${iso(k.graceEndsAt)}` : k.status;
  return [
    k.id,
    k.display,
    status,
    `created=${iso(k.createdAt)}`,
    `expires=${iso(k.expiresAt)}`,
    `last-used=${iso(k.lastUsedAt)}`,
  ].join('\t');
}

/** The overrides as JSON, windows in the kit's order (minute first). */
function limitsText(limits: Limits): string {
  const ordered = WINDOWS.filter((w) => w.name in limits).map((w) => [w.name, limits[w.name]]);
  return JSON.stringify(Object.fromEntries(ordered));
}

const LIMIT_OPTIONS = Object.fromEntries(WINDOWS.map((w) => [w.name, { type: 'string' as const }]));

/** The audit log's line for a key change made here, in its transaction. */
const keyAudit =
  (action: string, details: Record<string, unknown> = {}): AlsoForKey =>
  (client, record) =>
    audit(client, CLI_ACTOR, action, record.customerId, { key: record.id, ...details });

/** The same for a change to a customer (plan, limits). */
const customerAudit =
  (action: string): AlsoInTransaction =>
  (client, before, after) =>
    audit(client, CLI_ACTOR, action, after.id, {
      from: action === 'plan.set' ? before.plan : before.limits,
      to: action === 'plan.set' ? after.plan : after.limits,
    });

/** The first line of standard input (a password given without showing it in the process list). */
async function firstLineOfStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

/** Runs one command; returns the lines to print. */
async function runCommand(pool: pg.Pool, argv: readonly string[], env = process.env): Promise<string> {
  const [group, action, ...rest] = argv;
  const config = paidApiConfig(env);
  const parse = (options: Record<string, { type: 'string' | 'boolean' }>) => {
    try {
      const { values, positionals } = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
      // A flag (boolean option) reads as the string 'true'.
      const strings = Object.fromEntries(
        Object.entries(values).map(([name, value]) => [name, value === true ? 'true' : value]),
      );
      return { values: strings as Values, positionals };
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  };
  switch (`${group} ${action}`) {
    case 'customer create': {
      const { values, positionals } = parse({
        email: { type: 'string' },
        plan: { type: 'string' },
        password: { type: 'string' },
        'password-stdin': { type: 'boolean' },
      });
      if (positionals.length > 0) throw new UsageError('customer create takes no positional argument');
      if (values.password !== undefined) {
        // Any local user can read a process's arguments (ps, /proc): never a password there.
        throw new UsageError('--password is not taken on the command line: use --password-stdin');
      }
      const password = values['password-stdin'] === undefined ? undefined : await firstLineOfStdin();
      const customer = await createCustomer(pool, config.planTable, {
        email: required(values, 'email'),
        plan: required(values, 'plan'),
        password,
      });
      await audit(pool, CLI_ACTOR, 'customer.create', customer.id, {
        plan: customer.plan,
        password: password !== undefined,
      });
      return customer.id;
    }
    case 'customer invite': {
      const { values, positionals } = parse({ customer: { type: 'string' }, url: { type: 'string' } });
      if (positionals.length > 0) throw new UsageError('customer invite takes no positional argument');
      const base = (values.url ?? `http://${config.host}:${config.port}`).replace(/\/+$/, '');
      if (!/^https?:\/\/[^\s/]+/.test(base)) throw new UsageError('--url must be like https://api.example.com');
      const customer = required(values, 'customer');
      const token = await createInvitation(pool, customer);
      await audit(pool, CLI_ACTOR, 'invitation.create', customer, {});
      return `${base}/dashboard/invite/${token}`;
    }
    case 'link revoke': {
      const { values, positionals } = parse({ customer: { type: 'string' } });
      if ((positionals.length === 1) === (values.customer !== undefined)) {
        throw new UsageError('link revoke takes a LINK or --customer ID');
      }
      const cancelled = await revokeInvitations(
        pool,
        values.customer === undefined ? { link: positionals[0] as string } : { customerId: values.customer },
      );
      await audit(pool, CLI_ACTOR, 'invitation.revoke', values.customer ?? null, { cancelled });
      return String(cancelled);
    }
    case 'key create': {
      const { values, positionals } = parse({ customer: { type: 'string' }, expires: { type: 'string' } });
      if (positionals.length > 0) throw new UsageError('key create takes no positional argument');
      const expires = values.expires === undefined ? undefined : date(values.expires, 'expires');
      const issued = await createKey(pool, required(values, 'customer'), {
        expiresAt: expires,
        also: keyAudit('key.create'),
      });
      return issued.key;
    }
    case 'key rotate': {
      const { values, positionals } = parse({ grace: { type: 'string' } });
      const grace = values.grace === undefined ? undefined : Number(values.grace);
      if (values.grace !== undefined && !/^\d+$/.test(values.grace))
        throw new UsageError('--grace must be whole seconds');
      const issued = await rotateKey(pool, onePositional(positionals, 'KEY_ID'), {
        graceSeconds: grace,
        also: (client, old, fresh) =>
          audit(client, CLI_ACTOR, 'key.rotate', old.customerId, {
            key: old.id,
            newKey: fresh.id,
            graceSeconds: grace,
          }),
      });
      return issued.key;
    }
    case 'key revoke': {
      const { positionals } = parse({});
      return (await revokeKey(pool, onePositional(positionals, 'KEY_ID'), keyAudit('key.revoke'))).id;
    }
    case 'key expire': {
      const { values, positionals } = parse({ at: { type: 'string' } });
      const at = required(values, 'at');
      const when = at === 'never' ? null : date(at, 'at');
      const record = await expireKey(
        pool,
        onePositional(positionals, 'KEY_ID'),
        when,
        keyAudit('key.expire', { at: when?.toISOString() ?? 'never' }),
      );
      return `${record.id}\t${record.expiresAt === null ? 'never' : record.expiresAt.toISOString()}`;
    }
    case 'key list': {
      const { values, positionals } = parse({ customer: { type: 'string' } });
      if (positionals.length > 0) throw new UsageError('key list takes no positional argument');
      return (await listKeys(pool, required(values, 'customer'))).map(keyLine).join('\n');
    }
    case 'plan set': {
      const { values } = parse({ customer: { type: 'string' }, plan: { type: 'string' } });
      const customer = await setPlan(
        pool,
        config.planTable,
        required(values, 'customer'),
        required(values, 'plan'),
        customerAudit('plan.set'),
      );
      return `${customer.id}\t${customer.plan}`;
    }
    case 'limits set': {
      const { values } = parse({ customer: { type: 'string' }, ...LIMIT_OPTIONS });
      const limits: Record<string, number | null> = {};
      for (const w of WINDOWS) {
        const text = values[w.name];
        if (text === undefined) continue;
        if (text !== 'unlimited' && !/^\d+$/.test(text))
          throw new UsageError(`--${w.name} must be a whole number or "unlimited"`);
        limits[w.name] = text === 'unlimited' ? null : Number(text);
      }
      if (Object.keys(limits).length === 0)
        throw new UsageError(`give at least one of ${WINDOWS.map((w) => `--${w.name}`).join(', ')}`);
      const customer = await setLimits(
        pool,
        required(values, 'customer'),
        limits as Limits,
        customerAudit('limits.set'),
      );
      return `${customer.id}\t${limitsText(customer.limits)}`;
    }
    case 'limits clear': {
      const { values } = parse({ customer: { type: 'string' } });
      const customer = await setLimits(pool, required(values, 'customer'), {}, customerAudit('limits.set'));
      return `${customer.id}\t${limitsText(customer.limits)}`;
    }
    case 'credits add': {
      const { values, positionals } = parse({
        customer: { type: 'string' },
        amount: { type: 'string' },
        id: { type: 'string' },
      });
      if (positionals.length > 0) throw new UsageError('credits add takes no positional argument');
      const amountText = required(values, 'amount');
      if (!/^\d{1,12}$/.test(amountText) || Number(amountText) < 1)
        throw new UsageError('--amount must be a whole number of credits ≥ 1');
      const customer = await getCustomer(pool, required(values, 'customer'));
      if (config.redis === undefined) {
        throw new PaidApiError(
          'credits live in the limiter store: set REDIS_URL (or REDIS_CLUSTER_NODES / REDIS_SENTINELS) as the servers do',
        );
      }
      const { store, close } = await limiterStore(config.redis);
      try {
        if (store?.topUp === undefined) throw new PaidApiError('this limiter store keeps no credits');
        const topUpId = values.id ?? `cli:${randomUUID()}`;
        const result = await store.topUp(customer.id, Number(amountText), topUpId);
        await audit(pool, CLI_ACTOR, 'credits.add', customer.id, { amount: Number(amountText), topUpId });
        return String(result.balance);
      } finally {
        await close();
      }
    }
    default:
      throw new UsageError(argv.length === 0 ? 'no command' : `unknown command: ${argv.slice(0, 2).join(' ')}`);
  }
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'help' || argv[0] === '--help' || argv.length === 0) {
    (argv.length === 0 ? console.error : console.log)(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  let config: ReturnType<typeof paidApiConfig>;
  try {
    config = paidApiConfig();
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  }
  let db: Awaited<ReturnType<typeof openDatabase>> | undefined;
  try {
    db = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, maxConnections: 2 });
    await migrate(db.pool);
    const out = await runCommand(db.pool, argv);
    if (out !== '') process.stdout.write(`${out}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`keys: ${error.message}\n${USAGE}`);
      return 2;
    }
    console.error(`keys: ${error instanceof PaidApiError ? error.message : String((error as Error).message ?? error)}`);
    return 1;
  } finally {
    await db?.close().catch(() => {});
  }
}

process.exitCode = await main(process.argv.slice(2));
