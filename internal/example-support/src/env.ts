import { randomBytes } from 'node:crypto';
import {
  checkPlan,
  type Identity,
  type LimiterStore,
  type PlanLimits,
  type PlanTable,
  parseKeyList,
  type ResolveKey,
  resolvePlans,
  staticKeys,
  TwoFaConfigError,
} from '@twofa-kit/core';

/** Environment the example servers read (README, "The example servers"). */
export type EnvSource = Readonly<Record<string, string | undefined>>;

/** A key the server made for this run because `TWOFA_API_KEYS` was not set. */
export interface DemoKey {
  readonly key: string;
  readonly plan: string;
}

export interface EnvConfig {
  /** `PORT`, default 3000 (0 = any free port). */
  readonly port: number;
  /** `HOST`, default `127.0.0.1`. */
  readonly host: string;
  /** A static key table from `TWOFA_API_KEYS`, or from the demo keys. */
  readonly resolveKey: ResolveKey;
  /** `TWOFA_PLANS` as validated plans (to pass as the `plans` option), or undefined. */
  readonly plans: Record<string, PlanLimits> | undefined;
  /** The plan table the server will use: the defaults with `TWOFA_PLANS` merged over them. */
  readonly planTable: PlanTable;
  /** Keys made for this run, one per plan, only when `TWOFA_API_KEYS` was unset or empty. */
  readonly demoKeys: readonly DemoKey[] | undefined;
  /** `REDIS_URL`, or undefined for the in-memory limiter. */
  readonly redisUrl: string | undefined;
  /**
   * `TRUST_PROXY`: the number of reverse proxies in front (default 0). Each example applies it
   * with its framework's own setting, so the client address is the one the nearest proxy
   * appended to `X-Forwarded-For`, never one the client wrote.
   */
  readonly trustProxy: number;
  /**
   * `TWOFA_ID_SECRET`: the secret the ids of `TWOFA_API_KEYS` entries are derived with (an
   * HMAC of the key), or undefined. Required with Redis and `TWOFA_API_KEYS`.
   */
  readonly idSecret: string | undefined;
  /**
   * Where the limits live: `REDIS_URL`, `REDIS_CLUSTER_NODES`, or `REDIS_SENTINELS` with
   * `REDIS_SENTINEL_NAME` (at most one of the three); undefined for the in-memory limiter.
   */
  readonly redis: RedisConnection | undefined;
  /**
   * `TWOFA_CREDITS`: the starting credit balance of some keys' identities (a JSON object from key
   * to a positive integer), or undefined. See `applyCredits`.
   */
  readonly credits: readonly StartingCredits[] | undefined;
}

/** A starting balance from `TWOFA_CREDITS`, by identity (never by key). */
export interface StartingCredits {
  readonly identityId: string;
  readonly balance: number;
}

/** A `host:port` pair from `REDIS_CLUSTER_NODES` or `REDIS_SENTINELS`. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** The Redis the example servers connect to. */
export type RedisConnection =
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'cluster'; readonly nodes: readonly HostPort[] }
  | { readonly kind: 'sentinel'; readonly sentinels: readonly HostPort[]; readonly name: string };

export const DEFAULT_PORT = 3000;
export const DEFAULT_HOST = '127.0.0.1';

/** Plan names usable in `TWOFA_API_KEYS` (no `,` or `:`), and never an object's own machinery. */
/** Shortest `TWOFA_ID_SECRET`. */
const MIN_ID_SECRET_LENGTH = 16;

const PLAN_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

function readPort(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return DEFAULT_PORT;
  const port = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || port > 65_535) {
    throw new TwoFaConfigError(`PORT must be an integer from 0 to 65535, got ${JSON.stringify(text)}`);
  }
  return port;
}

function readPlans(text: string | undefined): Record<string, PlanLimits> | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TwoFaConfigError(`TWOFA_PLANS is not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TwoFaConfigError(
      'TWOFA_PLANS must be a JSON object like {"name":{"minute":5,"hour":100,"day":null,"month":null}}',
    );
  }
  const plans: Record<string, PlanLimits> = {};
  for (const [name, plan] of Object.entries(parsed)) {
    if (!PLAN_NAME.test(name) || RESERVED_NAMES.has(name)) {
      throw new TwoFaConfigError(`TWOFA_PLANS: plan name ${JSON.stringify(name)} must be 1-64 of A-Z a-z 0-9 _ . -`);
    }
    plans[name] = checkPlan(name, plan);
  }
  return plans;
}

function readRedisUrl(text: string | undefined): string | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new TwoFaConfigError('REDIS_URL must be a URL like redis://127.0.0.1:6379');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new TwoFaConfigError('REDIS_URL must start with redis:// or rediss://');
  }
  return text.trim();
}

function readTrustProxy(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return 0;
  const t = text.trim();
  const hops = Number(t);
  if (t.length > 2 || !Number.isSafeInteger(hops) || hops < 0 || String(hops) !== t) {
    throw new TwoFaConfigError(
      `TRUST_PROXY must be the number of proxies in front, 0 to 99, got ${JSON.stringify(text)}`,
    );
  }
  return hops;
}

/** `host:port` or `[ipv6]:port`, comma-separated; `variable` names the variable in messages. */
function readHostPorts(variable: string, text: string): HostPort[] {
  return text.split(',').map((item, at) => {
    const entry = item.trim();
    const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[3]);
    if (match === null || port < 1 || port > 65_535) {
      throw new TwoFaConfigError(
        `${variable} entry ${at + 1} must be host:port (e.g. 127.0.0.1:7001), got ${JSON.stringify(entry)}`,
      );
    }
    return { host: (match[1] ?? match[2]) as string, port };
  });
}

/** At most one of `REDIS_URL`, `REDIS_CLUSTER_NODES` and `REDIS_SENTINELS` (+ `REDIS_SENTINEL_NAME`). */
function readRedis(env: EnvSource, redisUrl: string | undefined): RedisConnection | undefined {
  const set = (name: string) => (env[name]?.trim() ? name : undefined);
  const given = [set('REDIS_URL'), set('REDIS_CLUSTER_NODES'), set('REDIS_SENTINELS')].filter((n) => n !== undefined);
  if (given.length > 1) {
    throw new TwoFaConfigError(
      `set only one of REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS (got ${given.join(', ')})`,
    );
  }
  const name = env.REDIS_SENTINEL_NAME?.trim();
  if (name && given[0] !== 'REDIS_SENTINELS') {
    throw new TwoFaConfigError('REDIS_SENTINEL_NAME needs REDIS_SENTINELS (the Sentinels to ask for that primary)');
  }
  if (redisUrl !== undefined) return { kind: 'url', url: redisUrl };
  if (given[0] === 'REDIS_CLUSTER_NODES') {
    return { kind: 'cluster', nodes: readHostPorts('REDIS_CLUSTER_NODES', env.REDIS_CLUSTER_NODES as string) };
  }
  if (given[0] === 'REDIS_SENTINELS') {
    if (!name) throw new TwoFaConfigError('REDIS_SENTINELS needs REDIS_SENTINEL_NAME (the name the Sentinels monitor)');
    return { kind: 'sentinel', sentinels: readHostPorts('REDIS_SENTINELS', env.REDIS_SENTINELS as string), name };
  }
  return undefined;
}

/**
 * `TWOFA_ID_SECRET`, at least 16 characters. Without it the ids of `TWOFA_API_KEYS` entries are
 * derived with a random secret of the process: they change at every start, which a limiter shared
 * by instances (Redis) cannot have, so it is then `required`.
 */
function readIdSecret(text: string | undefined, required: boolean): string | undefined {
  const secret = text?.trim() ?? '';
  if (secret === '') {
    if (!required) return undefined;
    throw new TwoFaConfigError(
      'TWOFA_ID_SECRET must be set with Redis and TWOFA_API_KEYS: the same random string (16+ characters) on every instance, e.g. from `openssl rand -hex 32`',
    );
  }
  if (secret.length < MIN_ID_SECRET_LENGTH) {
    throw new TwoFaConfigError(`TWOFA_ID_SECRET must be at least ${MIN_ID_SECRET_LENGTH} characters`);
  }
  return secret;
}

/**
 * `TWOFA_CREDITS`: `{"<key>": <credits>, ...}`, each key one of `TWOFA_API_KEYS`. Entries are named
 * by position in messages, never by key.
 */
function readCredits(text: string | undefined, resolveKey: ResolveKey): StartingCredits[] | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not the parser's message: it may quote the text, keys included.
    throw new TwoFaConfigError('TWOFA_CREDITS is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TwoFaConfigError('TWOFA_CREDITS must be a JSON object from key to credits, like {"k1":1000}');
  }
  return Object.entries(parsed).map(([key, balance], at) => {
    if (typeof balance !== 'number' || !Number.isSafeInteger(balance) || balance < 1) {
      throw new TwoFaConfigError(`TWOFA_CREDITS entry ${at + 1} must be a positive integer of credits`);
    }
    const identity = resolveKey(key) as Identity | null | undefined;
    if (identity === null || identity === undefined) {
      throw new TwoFaConfigError(`TWOFA_CREDITS entry ${at + 1} names a key that is not in TWOFA_API_KEYS`);
    }
    return { identityId: identity.id, balance };
  });
}

/** One random key per plan, e.g. `demo_free_3q2…` (128 random bits). */
function makeDemoKeys(planTable: PlanTable): DemoKey[] {
  return Object.keys(planTable).map((plan) => ({
    plan,
    key: `demo_${plan}_${randomBytes(16).toString('base64url')}`,
  }));
}

/**
 * Reads the example servers' environment: `PORT`, `HOST`, `TWOFA_API_KEYS` (`k1:free,k2:pro`),
 * `TWOFA_PLANS` (a JSON object adding or replacing plans; `null` = unlimited), `REDIS_URL`, or
 * `REDIS_CLUSTER_NODES`, or `REDIS_SENTINELS` with `REDIS_SENTINEL_NAME`, `TRUST_PROXY`
 * (proxies in front, default 0), `TWOFA_CREDITS` (a JSON object from key to starting credits) and
 * `TWOFA_ID_SECRET` (the secret of the keys' ids; required with Redis and `TWOFA_API_KEYS`).
 * Without keys, makes one demo key per plan. Anything invalid — a bad port, JSON, plan, or a key
 * naming a plan that does not exist — throws a `TwoFaConfigError` saying what to fix; the message
 * never contains a key.
 */
export function configFromEnv(env: EnvSource = process.env): EnvConfig {
  const port = readPort(env.PORT);
  const host = env.HOST?.trim() || DEFAULT_HOST;
  const plans = readPlans(env.TWOFA_PLANS);
  const planTable = resolvePlans(plans);
  const redisUrl = readRedisUrl(env.REDIS_URL);
  const trustProxy = readTrustProxy(env.TRUST_PROXY);
  const redis = readRedis(env, redisUrl);

  const given = env.TWOFA_API_KEYS?.trim() ? parseKeyList(env.TWOFA_API_KEYS) : undefined;
  const demoKeys = given === undefined || given.size === 0 ? makeDemoKeys(planTable) : undefined;
  const idSecret = readIdSecret(env.TWOFA_ID_SECRET, redis !== undefined && demoKeys === undefined);
  const table = given !== undefined && given.size > 0 ? given : new Map(demoKeys?.map((d) => [d.key, d.plan]));
  let n = 0;
  for (const plan of table.values()) {
    n++;
    if (!Object.hasOwn(planTable, plan)) {
      // The entry by position only: a reversed entry (`free:sk_live_x`) has the key where the plan goes.
      throw new TwoFaConfigError(
        `TWOFA_API_KEYS entry ${n} names an unknown plan (plans: ${Object.keys(planTable).join(', ')}; entries are key:plan)`,
      );
    }
  }
  // Demo keys live as long as the process: so may the secret of their ids.
  const resolveKey = staticKeys(table, { idSecret: idSecret ?? randomBytes(24).toString('base64url') });
  return Object.freeze({
    port,
    host,
    resolveKey,
    idSecret,
    plans,
    planTable,
    demoKeys,
    redisUrl,
    redis,
    trustProxy,
    credits: readCredits(env.TWOFA_CREDITS, resolveKey),
  });
}

/**
 * Credits the `TWOFA_CREDITS` balances, once per key: the top-up id is the identity's, so a
 * restart (or a second instance on the same Redis) credits nothing again.
 */
export async function applyCredits(
  store: LimiterStore,
  credits: readonly StartingCredits[] | undefined,
): Promise<void> {
  if (credits === undefined) return;
  if (typeof store.topUp !== 'function') throw new TwoFaConfigError('TWOFA_CREDITS needs a store that keeps credits');
  for (const { identityId, balance } of credits) {
    await store.topUp(identityId, balance, `TWOFA_CREDITS:${identityId}`);
  }
}

/** `http://host:port`, with an IPv6 host in brackets. */
export function listenUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The start-up lines of an example server: where it listens and, once, the demo keys. */
export function startupMessage(
  framework: string,
  host: string,
  port: number,
  demoKeys: readonly DemoKey[] | undefined,
  metricsUrl?: string,
  { docs = true }: { docs?: boolean } = {},
): string {
  const url = listenUrl(host, port);
  const lines = [`twofa-kit ${framework} example listening on ${url}`];
  if (docs) lines.push(`API reference: ${url}/api/2fa/docs`);
  if (metricsUrl !== undefined) lines.push(`Prometheus metrics on ${metricsUrl}`);
  if (demoKeys !== undefined) {
    lines.push('Demo API keys for this run (set TWOFA_API_KEYS=key:plan,... to use your own):');
    for (const { plan, key } of demoKeys) lines.push(`  ${plan.padEnd(8)} ${key}`);
    lines.push(`Try: curl -X POST -H "X-API-Key: <key>" -d "secret=JBSWY3DPEHPK3PXP" ${url}/api/2fa/generate`);
  }
  return lines.join('\n');
}
