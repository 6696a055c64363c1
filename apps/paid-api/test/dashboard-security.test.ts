/**
 * The Dashboard's security over HTTP, on a real PostgreSQL (initdb + pg_ctl on a free port): CSRF
 * tokens on every form, one customer's session sees nothing of another's, sign-in guessing is
 * throttled, sessions are revocable, and a key appears once — never again in a page, the log, an
 * event, or the database.
 */
import { DEFAULT_PLANS, type TwoFaEvent } from '@twofa-kit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildApp,
  createCustomer,
  createInvitation,
  ensureAdmin,
  listKeys,
  usageHistory,
  usageSink,
} from '../src/index.js';
import { usePaidApp } from './support/app.js';
import { DashboardClient, shownKey } from './support/dashboard.js';
import { useDatabase } from './support/database.js';
import { generate, listen } from './support/http.js';
import { postgresTestsEnabled } from './support/postgres.js';

const PASSWORD = 'correct horse battery';

describe.skipIf(!postgresTestsEnabled('the Dashboard over HTTP'))('the Dashboard over HTTP', () => {
  const db = useDatabase();
  const events: TwoFaEvent[] = [];
  let log = '';
  let n = 0;

  beforeAll(async () => {
    await ensureAdmin(db.pool, DEFAULT_PLANS, 'ops@example.com', PASSWORD);
  });
  const app = usePaidApp(db, () => ({
    ttlMs: 1,
    signInLimit: { perEmail: 3, perAddress: 8, windowSeconds: 900 },
    onEvent: (e) => events.push(e),
    logStream: {
      write: (line) => {
        log += line;
      },
    },
  }));

  async function customer(plan = 'free') {
    const email = `user${++n}@example.com`;
    const c = await createCustomer(db.pool, DEFAULT_PLANS, { email, plan, password: PASSWORD });
    const client = new DashboardClient(app.base);
    expect((await client.signIn(email, PASSWORD)).location).toBe('/dashboard');
    return { ...c, client };
  }

  it('signed out, every page redirects to the sign-in form, which has email and password fields', async () => {
    const anon = new DashboardClient(app.base);
    for (const path of ['/dashboard', '/dashboard/', '/dashboard/admin']) {
      const page = await anon.get(path);
      expect(page.status, path).toBe(303);
      expect(page.location).toBe('/dashboard/login');
    }
    const login = await anon.get('/dashboard/login');
    expect(login.status).toBe(200);
    expect(login.html).toMatch(/<label for="email">/);
    expect(login.html).toMatch(/<input id="email" name="email" type="email"/);
    expect(login.html).toMatch(/<input id="password" name="password" type="password"/);
    // The cookie flags a browser enforces.
    const set = login.headers.getSetCookie().join('\n');
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
  });

  it('the session cookie is HttpOnly and SameSite; behind a TLS proxy with trustProxy it is __Host- and Secure (X-Forwarded-Proto is ignored without it)', async () => {
    const email = `user${++n}@example.com`;
    await createCustomer(db.pool, DEFAULT_PLANS, { email, plan: 'free', password: PASSWORD });
    const client = new DashboardClient(app.base);
    const res = await client.signIn(email, PASSWORD);
    const session = res.headers.getSetCookie().find((c) => c.startsWith('twofa_session='));
    // Plain HTTP here: no Secure, no __Host- prefix, scoped to the Dashboard.
    expect(session).toMatch(/^twofa_session=[\w-]+; Max-Age=\d+; Path=\/dashboard; HttpOnly; SameSite=Strict$/);
    const spoofed = new DashboardClient(app.base);
    await spoofed.get('/dashboard/login');
    const res2 = await fetch(`${app.base}/dashboard/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: spoofed.cookieHeader,
        'x-forwarded-proto': 'https',
      },
      body: new URLSearchParams({ email, password: PASSWORD, csrf: spoofed.csrf }).toString(),
    });
    expect(res2.headers.getSetCookie().find((c) => c.startsWith('twofa_session='))).not.toMatch(/Secure/);
    // Behind a TLS-terminating proxy (trustProxy), the cookies are __Host- and Secure.
    const proxied = buildApp({ pool: db.pool, trustProxy: true });
    try {
      const behind = await listen(proxied.app);
      const login = await fetch(`${behind}/dashboard/login`, { headers: { 'x-forwarded-proto': 'https' } });
      const csrfCookie = login.headers.getSetCookie()[0] ?? '';
      expect(csrfCookie).toMatch(
        /^__Host-twofa_login_csrf=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
      );
      const csrf = /name="csrf" value="([^"]+)"/.exec(await login.text())?.[1] ?? '';
      const signIn = await fetch(`${behind}/dashboard/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          cookie: csrfCookie.split(';')[0] as string,
          'x-forwarded-proto': 'https',
        },
        body: new URLSearchParams({ email, password: PASSWORD, csrf }).toString(),
      });
      expect(signIn.status).toBe(303);
      expect(signIn.headers.getSetCookie().find((c) => c.startsWith('__Host-twofa_session='))).toMatch(
        /; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
      );
    } finally {
      await proxied.app.close();
    }
  });

  it('a form post without the CSRF token, or with another one, is refused and changes nothing', async () => {
    const a = await customer();
    await a.client.get('/dashboard');
    expect((await a.client.post('/dashboard/keys', {}, { csrf: false })).status).toBe(403);
    expect((await a.client.post('/dashboard/keys', { csrf: 'x'.repeat(32) }, { csrf: false })).status).toBe(403);
    expect(await listKeys(db.pool, a.id)).toEqual([]);
    // The sign-in form too (a login CSRF would sign a victim into the attacker's account).
    const anon = new DashboardClient(app.base);
    await anon.get('/dashboard/login');
    const noToken = await anon.post('/dashboard/login', { email: a.email, password: PASSWORD }, { csrf: false });
    expect(noToken.status).toBe(403);
    expect(noToken.headers.getSetCookie().some((c) => c.startsWith('twofa_session='))).toBe(false);
    // With the token, the same post works.
    await a.client.get('/dashboard');
    expect((await a.client.post('/dashboard/keys', {})).status).toBe(200);
    expect(await listKeys(db.pool, a.id)).toHaveLength(1);
  });

  it("another customer's session sees nothing of this one and cannot touch its keys", async () => {
    const a = await customer();
    await a.client.get('/dashboard');
    const key = shownKey((await a.client.post('/dashboard/keys', {})).html);
    const [record] = await listKeys(db.pool, a.id);
    const b = await customer();
    const page = await b.client.get('/dashboard');
    expect(page.status).toBe(200);
    for (const secret of [a.email, a.id, record?.id, record?.display, key]) expect(page.html).not.toContain(secret);
    // B posts to A's key with B's own valid token: "not found", and the key still works.
    for (const action of ['revoke', 'rotate']) {
      const res = await b.client.post(`/dashboard/keys/${record?.id}/${action}`, {});
      expect(res.status, action).toBe(404);
      await b.client.get('/dashboard');
    }
    expect((await listKeys(db.pool, a.id)).map((k) => k.status)).toEqual(['active']);
    expect((await generate(app.base, key)).status).toBe(200);
    // A customer is not an operator.
    expect((await b.client.get('/dashboard/admin')).status).toBe(403);
  });

  it('signing out revokes the session: the old cookie no longer opens a page', async () => {
    const a = await customer();
    const cookie = a.client.jar.get('twofa_session') as string;
    await a.client.get('/dashboard');
    expect((await a.client.post('/dashboard/logout', {})).location).toBe('/dashboard/login');
    const replay = new DashboardClient(app.base);
    replay.jar.set('twofa_session', cookie);
    expect((await replay.get('/dashboard')).location).toBe('/dashboard/login');
    // Ended sessions are kept a day (the revoked one above stays), then deleted at a sign-in.
    await db.pool.query(
      `INSERT INTO dashboard_sessions (digest, customer_id, csrf, expires_at)
       VALUES (repeat('a', 64), $1, 'x', now() - interval '2 days')`,
      [a.id],
    );
    await customer();
    const { rows } = await db.pool.query<{ old: boolean }>(
      `SELECT digest = repeat('a', 64) AS old FROM dashboard_sessions WHERE customer_id = $1`,
      [a.id],
    );
    expect(rows.map((r) => r.old)).toEqual([false]);
  });

  it('an operator suspends a customer: its sessions end, its keys answer 401, the audit log has it', async () => {
    const a = await customer();
    await a.client.get('/dashboard');
    const key = shownKey((await a.client.post('/dashboard/keys', {})).html);
    expect((await generate(app.base, key)).status).toBe(200);
    const ops = new DashboardClient(app.base);
    expect((await ops.signIn('ops@example.com', PASSWORD)).location).toBe('/dashboard/admin');
    await ops.get('/dashboard/admin');
    const res = await ops.post(`/dashboard/admin/customers/${a.id}/status`, { status: 'suspended' });
    expect(res.location).toBe('/dashboard/admin');
    expect((await a.client.get('/dashboard')).location).toBe('/dashboard/login');
    expect((await generate(app.base, key)).status).toBe(401);
    const { rows } = await db.pool.query(
      `SELECT action, details FROM audit_log WHERE target_id = $1 AND action LIKE 'customer.%'`,
      [a.id],
    );
    expect(rows).toEqual([{ action: 'customer.suspend', details: { sessionsRevoked: 1 } }]);
  });

  it("an operator's plan and limit changes are written to the audit log with the change; a refused one is not", async () => {
    const a = await customer();
    const ops = new DashboardClient(app.base);
    await ops.signIn('ops@example.com', PASSWORD);
    await ops.get('/dashboard/admin');
    expect((await ops.post(`/dashboard/admin/customers/${a.id}/plan`, { plan: 'ultra' })).status).toBe(303);
    await ops.get('/dashboard/admin');
    const limits = await ops.post(`/dashboard/admin/customers/${a.id}/limits`, { minute: '7', day: 'unlimited' });
    expect(limits.status).toBe(303);
    await ops.get('/dashboard/admin');
    expect((await ops.post(`/dashboard/admin/customers/${a.id}/plan`, { plan: 'gold' })).status).toBe(400);
    await ops.get('/dashboard/admin');
    expect((await ops.post(`/dashboard/admin/customers/${a.id}/limits`, { hour: '-1' })).status).toBe(400);
    const { rows } = await db.pool.query(
      `SELECT a.action, a.details, c.email FROM audit_log a JOIN customers c ON c.id = a.actor_id
        WHERE a.target_id = $1 ORDER BY a.id`,
      [a.id],
    );
    expect(rows).toEqual([
      { action: 'plan.set', details: { from: 'free', to: 'ultra' }, email: 'ops@example.com' },
      { action: 'limits.set', details: { from: {}, to: { minute: 7, day: null } }, email: 'ops@example.com' },
    ]);
    const now = await db.pool.query('SELECT plan, limits FROM customers WHERE id = $1', [a.id]);
    expect(now.rows[0]).toEqual({ plan: 'ultra', limits: { minute: 7, day: null } });
    // Without a CSRF token an operator's post is refused too.
    expect((await ops.post(`/dashboard/admin/customers/${a.id}/plan`, { plan: 'pro' }, { csrf: false })).status).toBe(
      403,
    );
  });

  it('an invitation link sets the password once, then signs the customer in', async () => {
    const email = `user${++n}@example.com`;
    const c = await createCustomer(db.pool, DEFAULT_PLANS, { email, plan: 'free' });
    const token = await createInvitation(db.pool, c.id);
    const invited = new DashboardClient(app.base);
    const form = await invited.get(`/dashboard/invite/${token}`);
    expect(form.html).toContain(email);
    const set = await invited.post(`/dashboard/invite/${token}`, { password: 'a new password' });
    expect(set.location).toBe('/dashboard');
    expect((await invited.get('/dashboard')).status).toBe(200);
    expect((await new DashboardClient(app.base).get(`/dashboard/invite/${token}`)).status).toBe(404);
    expect((await new DashboardClient(app.base).signIn(email, 'a new password')).location).toBe('/dashboard');
  });

  it('no page, log line, event or table ever shows a full key after the answer that created it', async () => {
    const a = await customer();
    await a.client.get('/dashboard');
    const created = await a.client.post('/dashboard/keys', {});
    expect(created.headers.get('cache-control')).toBe('no-store');
    const key = shownKey(created.html);
    const old = key;
    for (let i = 0; i < 7; i++) await generate(app.base, key); // admitted, then refused (free: 5 a minute)
    await a.client.get('/dashboard');
    const [record] = await listKeys(db.pool, a.id);
    const rotated = shownKey((await a.client.post(`/dashboard/keys/${record?.id}/rotate`, { grace: '3600' })).html);
    await generate(app.base, rotated);
    await app.paid.usage.flush();
    const pages = [
      (await a.client.get('/dashboard')).html,
      (await a.client.get('/dashboard/login')).html,
      (
        await (async () => {
          const ops = new DashboardClient(app.base);
          await ops.signIn('ops@example.com', PASSWORD);
          return ops.get('/dashboard/admin');
        })()
      ).html,
    ];
    const { rows } = await db.pool.query<{ dump: string }>(
      `SELECT (SELECT json_agg(k) FROM api_keys k)::text || (SELECT json_agg(c) FROM customers c)::text
              || (SELECT json_agg(a) FROM audit_log a)::text || (SELECT json_agg(u) FROM usage_hourly u)::text AS dump`,
    );
    const places = { pages: pages.join('\n'), log, events: JSON.stringify(events), database: rows[0]?.dump ?? '' };
    expect(log.length).toBeGreaterThan(0);
    expect(events.filter((e) => e.identityId === a.id).length).toBeGreaterThan(7);
    expect(pages[0]).toContain(record?.display);
    for (const [where, text] of Object.entries(places)) {
      for (const k of [old, rotated]) {
        expect(text.includes(k), where).toBe(false);
        expect(text.includes(k.slice(9, 30)), `${where} (part)`).toBe(false);
      }
    }
  });

  it('usage history is written in batches and adds up across flushes', async () => {
    const a = await customer();
    await a.client.get('/dashboard');
    const key = shownKey((await a.client.post('/dashboard/keys', {})).html);
    for (let i = 0; i < 3; i++) await generate(app.base, key);
    // Two hours, in case an hour begins meanwhile.
    const total = async () => {
      const points = await usageHistory(db.pool, a.id, 3_600_000, 2, Date.now());
      return points.reduce((s, p) => ({ admitted: s.admitted + p.admitted, refused: s.refused + p.refused }), {
        admitted: 0,
        refused: 0,
      });
    };
    expect(await total()).toEqual({ admitted: 0, refused: 0 }); // nothing written per request
    await app.paid.usage.flush();
    for (let i = 0; i < 4; i++) await generate(app.base, key);
    await app.paid.usage.flush();
    expect(await total()).toEqual({ admitted: 5, refused: 2 });
  });

  it('a flush that fails keeps its counts for the next one', async () => {
    const errors: Error[] = [];
    const sink = usageSink(db.pool, { flushMs: 600_000, onError: (e) => errors.push(e) });
    const id = `cus_flush${++n}`;
    const event = { type: 'generated', route: 'generate', status: 200, identityId: id, plan: 'free', durationMs: 1 };
    sink.onEvent({ ...event, limiter: 'admitted' } as TwoFaEvent);
    sink.onEvent({ ...event, limiter: 'refused' } as TwoFaEvent);
    sink.onEvent({ ...event, limiter: 'peeked' } as TwoFaEvent); // /usage: not a request to count
    await db.pool.query('ALTER TABLE usage_hourly RENAME TO usage_hourly_away');
    try {
      await sink.flush();
    } finally {
      await db.pool.query('ALTER TABLE usage_hourly_away RENAME TO usage_hourly');
    }
    expect(errors).toHaveLength(1);
    sink.onEvent({ ...event, limiter: 'admitted' } as TwoFaEvent);
    await sink.close();
    const { rows } = await db.pool.query('SELECT admitted, refused FROM usage_hourly WHERE customer_id = $1', [id]);
    expect(
      rows.reduce((s, r) => ({ admitted: s.admitted + Number(r.admitted), refused: s.refused + Number(r.refused) }), {
        admitted: 0,
        refused: 0,
      }),
    ).toEqual({ admitted: 2, refused: 1 });
  });

  it('usage history is flushed when the app closes and survives a restart', async () => {
    const a = await customer();
    await a.client.get('/dashboard');
    const key = shownKey((await a.client.post('/dashboard/keys', {})).html);
    const first = buildApp({ pool: db.pool, usageFlushMs: 600_000 });
    const firstBase = await listen(first.app);
    for (let i = 0; i < 3; i++) expect((await generate(firstBase, key)).status).toBe(200);
    await first.app.close(); // no explicit flush: closing writes what was counted
    const second = buildApp({ pool: db.pool, usageFlushMs: 600_000 });
    try {
      const points = await usageHistory(db.pool, a.id, 3_600_000, 2, Date.now());
      expect(points.reduce((s, p) => s + p.admitted, 0)).toBe(3);
      // The restarted app's page shows it.
      const secondBase = await listen(second.app);
      const client = new DashboardClient(secondBase);
      client.jar.set('twofa_session', a.client.jar.get('twofa_session') as string);
      const page = await client.get('/dashboard');
      expect(page.html).toMatch(/id="chart-hourly" data-admitted="3" data-refused="0"/);
    } finally {
      await second.app.close();
    }
  });

  it('sign-in guessing is throttled: after 3 failures even the right password gets 429 with Retry-After', async () => {
    const email = `user${++n}@example.com`;
    await createCustomer(db.pool, DEFAULT_PLANS, { email, plan: 'free', password: PASSWORD });
    const guesser = new DashboardClient(app.base);
    for (let i = 0; i < 3; i++) {
      expect((await guesser.signIn(email, `wrong-${i}-password`)).status).toBe(401);
    }
    const blocked = await guesser.signIn(email, PASSWORD);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(blocked.headers.getSetCookie().some((c) => c.startsWith('twofa_session='))).toBe(false);
    // Another account from the same address still signs in (the address has failures left)…
    await customer();
  });

  it('…and guessing across many accounts from one address is throttled per address (run last)', async () => {
    // 3 failures so far from 127.0.0.1, the per-address limit is 8: five more, one per account.
    for (let i = 0; i < 5; i++) {
      const email = `user${++n}@example.com`;
      await createCustomer(db.pool, DEFAULT_PLANS, { email, plan: 'free', password: PASSWORD });
      expect((await new DashboardClient(app.base).signIn(email, 'not the password')).status).toBe(401);
    }
    const email = `user${++n}@example.com`;
    await createCustomer(db.pool, DEFAULT_PLANS, { email, plan: 'free', password: PASSWORD });
    expect((await new DashboardClient(app.base).signIn(email, PASSWORD)).status).toBe(429);
  });
});
