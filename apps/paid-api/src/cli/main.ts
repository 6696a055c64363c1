/**
 * `pnpm --dir apps/paid-api keys <command>`: the key lifecycle from a terminal, on the same
 * `DATABASE_URL` (or embedded PostgreSQL) as the server. Each command prints only its result on
 * stdout; errors go to stderr with exit code 1 (2 for a usage mistake).
 *
 *   customer create --email E --plan P [--password PW]    → the customer id
 *   customer invite --customer ID [--url BASE_URL]         → a link to set a Dashboard password
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
import { createCustomer, getCustomer, type Limits, setLimits, setPlan } from '../accounts/customers.js';
import { createInvitation } from '../accounts/invitations.js';
import { paidApiConfig } from '../config.js';
import { migrate, openDatabase } from '../db/pool.js';
import { PaidApiError } from '../errors.js';
import { createKey, expireKey, type KeyRecord, listKeys, revokeKey, rotateKey } from '../keys/service.js';
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

/** Runs one command; returns the lines to print. */
async function runCommand(pool: pg.Pool, argv: readonly string[], env = process.env): Promise<string> {
  const [group, action, ...rest] = argv;
  const config = paidApiConfig(env);
  const parse = (options: Record<string, { type: 'string' }>) => {
    try {
      const { values, positionals } = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
      return { values: values as Values, positionals };
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
      });
      if (positionals.length > 0) throw new UsageError('customer create takes no positional argument');
      const customer = await createCustomer(pool, config.planTable, {
        email: required(values, 'email'),
        plan: required(values, 'plan'),
        password: values.password,
      });
      return customer.id;
    }
    case 'customer invite': {
      const { values, positionals } = parse({ customer: { type: 'string' }, url: { type: 'string' } });
      if (positionals.length > 0) throw new UsageError('customer invite takes no positional argument');
      const base = (values.url ?? `http://${config.host}:${config.port}`).replace(/\/+$/, '');
      if (!/^https?:\/\/[^\s/]+/.test(base)) throw new UsageError('--url must be like https://api.example.com');
      const token = await createInvitation(pool, required(values, 'customer'));
      return `${base}/dashboard/invite/${token}`;
    }
    case 'key create': {
      const { values, positionals } = parse({ customer: { type: 'string' }, expires: { type: 'string' } });
      if (positionals.length > 0) throw new UsageError('key create takes no positional argument');
      const expires = values.expires === undefined ? undefined : date(values.expires, 'expires');
      const issued = await createKey(pool, required(values, 'customer'), { expiresAt: expires });
      return issued.key;
    }
    case 'key rotate': {
      const { values, positionals } = parse({ grace: { type: 'string' } });
      const grace = values.grace === undefined ? undefined : Number(values.grace);
      if (values.grace !== undefined && !/^\d+$/.test(values.grace))
        throw new UsageError('--grace must be whole seconds');
      const issued = await rotateKey(pool, onePositional(positionals, 'KEY_ID'), { graceSeconds: grace });
      return issued.key;
    }
    case 'key revoke': {
      const { positionals } = parse({});
      return (await revokeKey(pool, onePositional(positionals, 'KEY_ID'))).id;
    }
    case 'key expire': {
      const { values, positionals } = parse({ at: { type: 'string' } });
      const at = required(values, 'at');
      const record = await expireKey(
        pool,
        onePositional(positionals, 'KEY_ID'),
        at === 'never' ? null : date(at, 'at'),
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
      const customer = await setPlan(pool, config.planTable, required(values, 'customer'), required(values, 'plan'));
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
      const customer = await setLimits(pool, required(values, 'customer'), limits as Limits);
      return `${customer.id}\t${limitsText(customer.limits)}`;
    }
    case 'limits clear': {
      const { values } = parse({ customer: { type: 'string' } });
      const customer = await setLimits(pool, required(values, 'customer'), {});
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
