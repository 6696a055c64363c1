/**
 * The CLI end to end, spawned as a user runs it (`pnpm --dir apps/paid-api keys …`), against
 * the server started as a user starts it (`pnpm --dir apps/paid-api start`): on a real
 * PostgreSQL through DATABASE_URL (initdb + pg_ctl on a free port), and on the embedded default.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DashboardClient } from './support/dashboard.js';
import { generate, usage } from './support/http.js';
import { type PostgresServer, postgresTestsEnabled, startPostgres } from './support/postgres.js';
import { buildExample, keys, type RunningServer, startServer } from './support/process.js';

const CUSTOMER_ID = /^cus_[0-9a-f]{16}\n$/;
const API_KEY = /^tfa_live_[A-Za-z0-9_-]{32}\n$/;

beforeAll(() => buildExample(), 300_000);

describe.skipIf(!postgresTestsEnabled('apps/paid-api CLI'))('keys CLI and server on DATABASE_URL', () => {
  let pgServer: PostgresServer;
  let server: RunningServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    pgServer = await startPostgres();
    env = {
      DATABASE_URL: pgServer.url,
      DASHBOARD_ADMIN_EMAIL: 'ops@example.com',
      DASHBOARD_ADMIN_PASSWORD: 'ops password',
    };
    server = await startServer(env);
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    await pgServer?.stop();
  });

  it('runs the whole lifecycle, each command printing only its result', { timeout: 120_000 }, async () => {
    // A password is never taken from the command line (any local user can list it), only from stdin.
    const inArgv = await keys(
      ['customer', 'create', '--email', 'ada@example.com', '--plan', 'pro', '--password', 'a long secret'],
      env,
    );
    expect(inArgv).toMatchObject({ code: 2, stdout: '' });
    expect(inArgv.stderr).toMatch(/--password-stdin/);
    const created = await keys(
      ['customer', 'create', '--email', 'ada@example.com', '--plan', 'pro', '--password-stdin'],
      env,
      'a long secret\n',
    );
    expect(created).toMatchObject({ code: 0 });
    expect((await new DashboardClient(server.url).signIn('ada@example.com', 'a long secret')).location).toBe(
      '/dashboard',
    );
    expect(created.stdout).toMatch(CUSTOMER_ID);
    const customer = created.stdout.trim();

    const first = await keys(['key', 'create', '--customer', customer], env);
    expect(first.stdout).toMatch(API_KEY);
    const key1 = first.stdout.trim();
    expect((await generate(server.url, key1)).status).toBe(200);

    const second = await keys(['key', 'create', '--customer', customer, '--expires', '2099-12-31'], env);
    expect(second.stdout).toMatch(API_KEY);
    const key2 = second.stdout.trim();

    const list = await keys(['key', 'list', '--customer', customer], env);
    const lines = list.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/^key_[0-9a-f]{16}\ttfa_live_.{4}….{4}\t(active|rotating)/);
    expect(list.stdout).not.toContain(key1);
    expect(list.stdout).not.toContain(key2);
    expect(lines.find((l) => l.includes('expires=2099-12-31T00:00:00.000Z'))).toBeDefined();
    const id1 = (lines.find((l) => !l.includes('2099')) as string).split('\t')[0] as string;

    const rotated = await keys(['key', 'rotate', id1, '--grace', '3600'], env);
    expect(rotated.stdout).toMatch(API_KEY);
    const key3 = rotated.stdout.trim();
    expect((await generate(server.url, key1)).status).toBe(200); // in its grace period
    expect((await generate(server.url, key3)).status).toBe(200);
    expect((await keys(['key', 'list', '--customer', customer], env)).stdout).toMatch(
      new RegExp(`^${id1}\\t.*\\trotating-until=`, 'm'),
    );

    const revoked = await keys(['key', 'revoke', id1], env);
    expect(revoked).toEqual({ code: 0, stdout: `${id1}\n`, stderr: expect.any(String) });
    await vi.waitFor(async () => expect((await generate(server.url, key1)).status).toBe(401), { timeout: 10_000 });

    const plan = await keys(['plan', 'set', '--customer', customer, '--plan', 'ultra'], env);
    expect(plan.stdout).toBe(`${customer}\tultra\n`);
    await vi.waitFor(async () => expect((await usage(server.url, key3)).body.data).toMatchObject({ plan: 'ultra' }));

    const limits = await keys(['limits', 'set', '--customer', customer, '--minute', '2', '--day', 'unlimited'], env);
    expect(limits.stdout).toBe(`${customer}\t{"minute":2,"day":null}\n`);
    await vi.waitFor(async () => expect((await generate(server.url, key2)).status).toBe(429), { timeout: 10_000 });

    const id2 = (await keys(['key', 'list', '--customer', customer], env)).stdout
      .split('\n')
      .find((l) => l.includes('2099'))
      ?.split('\t')[0] as string;
    const expired = await keys(['key', 'expire', id2, '--at', '2001-01-01'], env);
    expect(expired.stdout).toBe(`${id2}\t2001-01-01T00:00:00.000Z\n`);
    await vi.waitFor(async () => expect((await generate(server.url, key2)).status).toBe(401), { timeout: 10_000 });
    // No key ever reaches the server's output.
    for (const k of [key1, key2, key3]) expect(server.output()).not.toContain(k);
    // Every change above is in the audit log, with no account as its actor.
    const db = new pg.Client({ connectionString: pgServer.url });
    await db.connect();
    try {
      const { rows } = await db.query<{ action: string; actor_id: string | null; target_id: string }>(
        'SELECT action, actor_id, target_id FROM audit_log WHERE target_id = $1 ORDER BY id',
        [customer],
      );
      expect(rows.every((r) => r.actor_id === null)).toBe(true);
      expect(new Set(rows.map((r) => r.action))).toEqual(
        new Set(['customer.create', 'key.create', 'key.rotate', 'key.revoke', 'plan.set', 'limits.set', 'key.expire']),
      );
      expect(JSON.stringify(rows)).not.toMatch(/a long secret|tfa_live_[\w-]{32}/);
    } finally {
      await db.end();
    }
  });

  it('creates the operator named by DASHBOARD_ADMIN_*; customer invite prints a link that sets a password', {
    timeout: 60_000,
  }, async () => {
    expect(server.output()).toContain('Dashboard operator ops@example.com created');
    const ops = new DashboardClient(server.url);
    expect((await ops.signIn('ops@example.com', 'ops password')).location).toBe('/dashboard/admin');
    expect((await ops.get('/dashboard/admin')).status).toBe(200);

    const customer = (await keys(['customer', 'create', '--email', 'grace@example.com', '--plan', 'free'], env)).stdout;
    const older = await keys(['customer', 'invite', '--customer', customer.trim(), '--url', server.url], env);
    const revoked = await keys(['customer', 'invite', '--customer', customer.trim(), '--url', server.url], env);
    // A new link cancels the older one; `link revoke` cancels a link.
    expect((await new DashboardClient(server.url).get(older.stdout.trim().slice(server.url.length))).status).toBe(404);
    expect(await keys(['link', 'revoke', revoked.stdout.trim()], env)).toMatchObject({ code: 0, stdout: '1\n' });
    expect((await new DashboardClient(server.url).get(revoked.stdout.trim().slice(server.url.length))).status).toBe(
      404,
    );
    const invited = await keys(['customer', 'invite', '--customer', customer.trim(), '--url', server.url], env);
    expect(invited).toMatchObject({ code: 0 });
    expect(invited.stdout).toMatch(new RegExp(`^${server.url}/dashboard/invite/[\\w-]{43}\n$`));
    const path = invited.stdout.trim().slice(server.url.length);
    const grace = new DashboardClient(server.url);
    expect((await grace.get(path)).html).toContain('grace@example.com');
    expect((await grace.post(path, { password: 'graces password' })).location).toBe('/dashboard');
    expect((await new DashboardClient(server.url).signIn('grace@example.com', 'graces password')).location).toBe(
      '/dashboard',
    );
  });

  it('reports mistakes on stderr with a non-zero exit and nothing on stdout', { timeout: 60_000 }, async () => {
    const unknownPlan = await keys(['customer', 'create', '--email', 'bob@example.com', '--plan', 'gold'], env);
    expect(unknownPlan).toMatchObject({ code: 1, stdout: '' });
    expect(unknownPlan.stderr).toMatch(/unknown plan "gold"/);
    const noCustomer = await keys(['key', 'create', '--customer', 'cus_0000000000000000'], env);
    expect(noCustomer).toMatchObject({ code: 1, stdout: '' });
    expect(noCustomer.stderr).toMatch(/no customer/);
    const usageError = await keys(['key', 'frobnicate'], env);
    expect(usageError).toMatchObject({ code: 2, stdout: '' });
    expect(usageError.stderr).toMatch(/unknown command/);
  });
});

describe('keys CLI and server on the embedded PostgreSQL (DATABASE_URL unset)', () => {
  let dir: string;
  let env: Record<string, string>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'twofa-paid-embedded-'));
    env = { PAID_API_DATA_DIR: dir, KEY_CACHE_TTL_MS: '1000' };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts with no database configured; the CLI joins it; a revocation lands within the TTL', {
    timeout: 300_000,
  }, async () => {
    let server = await startServer(env, 240_000);
    try {
      expect(server.output()).toContain(`embedded PostgreSQL in ${dir}`);
      const customer = (await keys(['customer', 'create', '--email', 'eve@example.com', '--plan', 'free'], env)).stdout;
      expect(customer).toMatch(CUSTOMER_ID);
      const key = (await keys(['key', 'create', '--customer', customer.trim()], env)).stdout;
      expect(key).toMatch(API_KEY);
      expect((await generate(server.url, key.trim())).status).toBe(200);
      const id = (await keys(['key', 'list', '--customer', customer.trim()], env)).stdout.split('\t')[0] as string;
      expect((await keys(['key', 'revoke', id], env)).stdout).toBe(`${id}\n`);
      await vi.waitFor(async () => expect((await generate(server.url, key.trim())).status).toBe(401), {
        timeout: 10_000,
      });
      await server.stop();

      // No server running: the CLI opens the data directory itself; the data persisted.
      const list = await keys(['key', 'list', '--customer', customer.trim()], env);
      expect(list).toMatchObject({ code: 0 });
      expect(list.stdout).toMatch(new RegExp(`^${id}\\t.*\\trevoked\\t`));
      const another = (await keys(['key', 'create', '--customer', customer.trim()], env)).stdout.trim();

      server = await startServer(env, 240_000);
      expect((await generate(server.url, another)).status).toBe(200);
      expect((await generate(server.url, key.trim())).status).toBe(401);
    } finally {
      await server.stop();
    }
  });
});
