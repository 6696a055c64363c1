/**
 * The Dashboard under attack, over HTTP on a real PostgreSQL: concurrent sign-in guessing, the
 * password checks' bound, IPv6 prefixes, hostile cookies and bodies, cookie tossing, the error
 * page, the security headers and the request log.
 */
import { createHash } from 'node:crypto';
import { DEFAULT_PLANS } from '@twofa-kit/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AppOptions,
  buildApp,
  createCustomer,
  createInvitation,
  listKeys,
  MAX_KEYS_PER_CUSTOMER,
  migrate,
  type PaidApp,
} from '../src/index.js';
import { DashboardClient, shownKey } from './support/dashboard.js';
import { listen } from './support/http.js';
import { type PostgresServer, postgresTestsEnabled, startPostgres } from './support/postgres.js';

const PASSWORD = 'correct horse battery';
const form = { 'content-type': 'application/x-www-form-urlencoded' };

describe.skipIf(!postgresTestsEnabled('the Dashboard under attack'))('the Dashboard under attack', () => {
  let server: PostgresServer;
  let pool: pg.Pool;
  const apps: PaidApp[] = [];
  let n = 0;

  beforeAll(async () => {
    server = await startPostgres();
    pool = new pg.Pool({ connectionString: server.url, max: 8 });
    await migrate(pool);
  });
  afterAll(async () => {
    for (const paid of apps) await paid.app.close();
    await pool?.end();
    await server?.stop();
  });

  async function app(options: Partial<AppOptions> = {}): Promise<string> {
    const paid = buildApp({ pool, usageFlushMs: 600_000, ...options });
    apps.push(paid);
    return listen(paid.app);
  }

  async function account() {
    const email = `h${++n}@example.com`;
    const customer = await createCustomer(pool, DEFAULT_PLANS, { email, plan: 'free', password: PASSWORD });
    return { ...customer, email };
  }

  /** The sign-in form's token and its cookie, then `count` concurrent posts of `fields`. */
  async function burst(
    base: string,
    count: number,
    fields: (i: number) => Record<string, string>,
    headers: (i: number) => Record<string, string> = () => ({}),
  ) {
    const client = new DashboardClient(base);
    await client.get('/dashboard/login');
    const csrf = client.csrf;
    return Promise.all(
      Array.from({ length: count }, (_, i) =>
        fetch(`${base}/dashboard/login`, {
          method: 'POST',
          redirect: 'manual',
          headers: { ...form, cookie: client.cookieHeader, ...headers(i) },
          body: new URLSearchParams({ ...fields(i), csrf }).toString(),
        }).then(async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), html: await r.text() })),
      ),
    );
  }

  const tally = (answers: { status: number }[]) => {
    const out: Record<number, number> = {};
    for (const a of answers) out[a.status] = (out[a.status] ?? 0) + 1;
    return out;
  };

  it('concurrent guesses at one email: only as many reach the password check as the limit allows', async () => {
    const base = await app({ signInLimit: { perEmail: 3, perAddress: 1_000, windowSeconds: 900 } });
    const victim = await account();
    const answers = await burst(base, 30, (i) => ({ email: victim.email, password: `wrong-${i}-password` }));
    // 401 = the password was checked; 429 = refused before the check.
    expect(tally(answers)).toEqual({ 401: 3, 429: 27 });
    expect(answers.find((a) => a.status === 429)?.retryAfter).toMatch(/^\d+$/);
    // The right password is refused too, until the window ends.
    const late = await new DashboardClient(base).signIn(victim.email, PASSWORD);
    expect(late.status).toBe(429);
  });

  it('the password checks are bounded: past the running and queued ones, 503 with Retry-After', async () => {
    const base = await app({
      trustProxy: true,
      signInLimit: { perEmail: 1_000, perAddress: 1_000, windowSeconds: 900, checksRunning: 1, checksQueued: 2 },
    });
    const answers = await burst(
      base,
      20,
      (i) => ({ email: `nobody${i}@example.com`, password: 'not the password' }),
      (i) => ({ 'x-forwarded-for': `198.51.100.${i + 1}` }),
    );
    const t = tally(answers);
    expect(t[401]).toBeGreaterThanOrEqual(3);
    expect(t[503]).toBeGreaterThan(0);
    expect((t[401] ?? 0) + (t[503] ?? 0)).toBe(20);
    expect(answers.find((a) => a.status === 503)?.retryAfter).toMatch(/^\d+$/);
  });

  it('IPv6 guesses from many /64s of one /56 share its budget (4 × the address limit)', async () => {
    const base = await app({ trustProxy: true, signInLimit: { perEmail: 100, perAddress: 2, windowSeconds: 900 } });
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) {
      const client = new DashboardClient(base);
      const xff = { 'x-forwarded-for': `2001:db8:0:${(0x1200 + i).toString(16)}::1` };
      await client.get('/dashboard/login');
      const res = await fetch(`${base}/dashboard/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { ...form, ...xff, cookie: client.cookieHeader },
        body: new URLSearchParams({
          email: `v6-${i}@example.com`,
          password: 'nope nope',
          csrf: client.csrf,
        }).toString(),
      });
      statuses.push(res.status);
      await res.text();
    }
    // One failure in each of 9 distinct /64s (each allows 2); their /56 allows 4 × 2 = 8.
    expect(statuses).toEqual([...Array<number>(8).fill(401), 429]);
  });

  it('a cookie header with %, %zz and a 4 KB junk cookie gets the normal page on every Dashboard route', async () => {
    // Every route the Dashboard registers (whoever added it), with a placeholder for each parameter.
    const paid = buildApp({ pool, usageFlushMs: 600_000 });
    apps.push(paid);
    const routes: [string, string][] = [];
    paid.app.addHook('onRoute', (route) => {
      if (!route.url.startsWith('/dashboard')) return;
      for (const method of [route.method].flat()) {
        if (method !== 'HEAD') routes.push([method, route.url.replace(/:\w+/g, 'x')]);
      }
    });
    const base = await listen(paid.app);
    routes.push(['GET', '/dashboard'], ['GET', '/dashboard/nowhere']);
    for (const known of ['/dashboard/login', '/dashboard/keys/x/rotate', '/dashboard/admin/customers/x/status']) {
      expect(routes).toContainEqual(['POST', known]);
    }
    const junk = `a=%; b=%zz; c=${'%'.repeat(10)}zz; junk=${'x%'.repeat(2_048)}`;
    const send = (method: string, path: string, cookie?: string) =>
      fetch(`${base}${path}`, {
        method,
        redirect: 'manual',
        headers: { ...form, ...(cookie === undefined ? {} : { cookie }) },
        ...(method === 'POST' ? { body: 'email=a%40b.c&password=x' } : {}),
      }).then(async (r) => {
        await r.text(); // every body read: an unread one can hold its connection open
        return r.status;
      });
    for (const [method, path] of routes) {
      const plain = await send(method, path);
      expect(plain, `${method} ${path}`).toBeLessThan(500);
      expect(await send(method, path, junk), `${method} ${path}`).toBe(plain);
    }
    // Signed in, the junk beside the session cookie changes nothing either.
    const user = await account();
    const client = new DashboardClient(base);
    await client.signIn(user.email, PASSWORD);
    const page = await fetch(`${base}/dashboard`, { headers: { cookie: `${junk}; ${client.cookieHeader}` } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(user.email);
  });

  it('hostile bodies get a 4xx page, never a 500: JSON (only forms are parsed here), a field sent twice', async () => {
    const base = await app();
    const json = await fetch(`${base}/dashboard/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ['a'], password: 'x' }),
    });
    expect(json.status).toBe(415);
    const text = await json.text();
    expect(text).toContain('<!doctype html>');
    expect(text).not.toMatch(/trim|Unsupported Media|FST_/);
    const client = new DashboardClient(base);
    await client.get('/dashboard/login');
    const twice = await fetch(`${base}/dashboard/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...form, cookie: client.cookieHeader },
      body: `email=a%40example.com&email=b%40example.com&password=x&password=y&csrf=${client.csrf}&csrf=z`,
    });
    expect(twice.status).toBe(401);
    await twice.text();
  });

  it('with PostgreSQL unreachable: a generic 503 page with Retry-After, no host, port or driver message', async () => {
    const dead = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/none', max: 1 });
    dead.on('error', () => {});
    const paid = buildApp({ pool: dead });
    apps.push(paid);
    const base = await listen(paid.app);
    const res = await fetch(`${base}/dashboard`, { redirect: 'manual', headers: { cookie: 'twofa_session=abc' } });
    const body = await res.text();
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    for (const leak of ['127.0.0.1', 'ECONNREFUSED', 'connect', 'postgres']) expect(body).not.toContain(leak);
    await dead.end();
  });

  it('cookie tossing: the first duplicate cookie wins, a login token must carry this server signature, HTTPS wants __Host-', async () => {
    const base = await app({ trustProxy: true });
    const a = await account();
    const b = await account();
    const ca = new DashboardClient(base);
    const cb = new DashboardClient(base);
    await ca.signIn(a.email, PASSWORD);
    await cb.signIn(b.email, PASSWORD);
    const sa = ca.jar.get('twofa_session') as string;
    const sb = cb.jar.get('twofa_session') as string;
    // A sibling subdomain's cookie comes after the host's own (browsers send longer paths first; here, order).
    const both = await fetch(`${base}/dashboard`, { headers: { cookie: `twofa_session=${sa}; twofa_session=${sb}` } });
    expect(await both.text()).toContain(a.email);
    // A double-submit pair chosen by an attacker (same value in cookie and form) is refused.
    const tossed = await fetch(`${base}/dashboard/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...form, cookie: 'twofa_login_csrf=attacker-chosen-token-0123456789' },
      body: new URLSearchParams({
        email: a.email,
        password: PASSWORD,
        csrf: 'attacker-chosen-token-0123456789',
      }).toString(),
    });
    expect(tossed.status).toBe(403);
    await tossed.text();
    // Over HTTPS, only __Host- cookies count: a plain-named session cookie (settable by a sibling) is ignored.
    const https = { 'x-forwarded-proto': 'https' };
    const plain = await fetch(`${base}/dashboard`, {
      redirect: 'manual',
      headers: { ...https, cookie: `twofa_session=${sa}` },
    });
    expect(plain.status).toBe(303);
    await plain.text();
    const host = await fetch(`${base}/dashboard`, { headers: { ...https, cookie: `__Host-twofa_session=${sa}` } });
    expect(host.status).toBe(200);
    expect(await host.text()).toContain(a.email);
  });

  it('security headers: CSP without unsafe-inline scripts (the one script by its hash), nosniff, no framing', async () => {
    const base = await app();
    const res = await fetch(`${base}/dashboard/login`);
    const page = await res.text();
    const csp = res.headers.get('content-security-policy') ?? '';
    const scriptSrc = /script-src ([^;]+)/.exec(csp)?.[1] ?? '';
    expect(scriptSrc).not.toContain('unsafe-inline');
    const script = /<script>([\s\S]*?)<\/script>/.exec(page)?.[1] ?? '';
    expect(script.length).toBeGreaterThan(0);
    expect(scriptSrc).toContain(`'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('the request log: no query key, secret or invitation token; a key in the query is not accepted', async () => {
    let log = '';
    const write = (line: string) => {
      log += line;
    };
    const base = await app({ logStream: { write } });
    const user = await account();
    const token = await createInvitation(pool, user.id);
    const key = 'tfa_live_notarealkeybutlookslikeone000000';
    const res = await fetch(`${base}/api/2fa/usage?api_key=${key}&secret=JBSWY3DPEHPK3PXP`);
    expect(res.status).toBe(401);
    await res.text();
    await (await fetch(`${base}/dashboard/invite/${token}`)).text();
    expect(log).toContain('/api/2fa/usage?api_key=[REDACTED]&secret=[REDACTED]');
    expect(log).toContain('/dashboard/invite/[REDACTED]');
    for (const secret of [key, 'JBSWY3DPEHPK3PXP', token]) expect(log).not.toContain(secret);
  });

  it('invitation links: a new one cancels the older, using one cancels the rest and ends every session', async () => {
    const base = await app();
    const user = await account();
    const signedIn = new DashboardClient(base);
    await signedIn.signIn(user.email, PASSWORD);
    expect((await signedIn.get('/dashboard')).status).toBe(200);
    const first = await createInvitation(pool, user.id);
    const second = await createInvitation(pool, user.id);
    const visitor = new DashboardClient(base);
    expect((await visitor.get(`/dashboard/invite/${first}`)).status).toBe(404);
    expect((await visitor.get(`/dashboard/invite/${second}`)).status).toBe(200);
    // Two links at once (as an older build could leave): using one cancels the other.
    await pool.query(
      `INSERT INTO account_links (digest, customer_id, purpose, expires_at)
       VALUES (encode(sha256(convert_to($1, 'UTF8')), 'hex'), $2, 'invite', now() + interval '1 hour')`,
      ['another-working-link-token', user.id],
    );
    expect((await visitor.post(`/dashboard/invite/${second}`, { password: 'a brand new password' })).status).toBe(303);
    expect((await visitor.get('/dashboard/invite/another-working-link-token')).status).toBe(404);
    // The session opened with the old password has ended; the new one works.
    const old = await signedIn.get('/dashboard');
    expect(old.status).toBe(303);
    expect(old.location).toBe('/dashboard/login');
    expect((await visitor.get('/dashboard')).status).toBe(200);
  });

  it("a customer's own key changes are in the audit log; a customer holds at most MAX_KEYS_PER_CUSTOMER working keys", async () => {
    const base = await app();
    const user = await account();
    const client = new DashboardClient(base);
    await client.signIn(user.email, PASSWORD);
    await client.get('/dashboard');
    shownKey((await client.post('/dashboard/keys', {})).html);
    const [key] = await listKeys(pool, user.id);
    await client.post(`/dashboard/keys/${key?.id}/rotate`, { grace: '0' });
    const [fresh] = (await listKeys(pool, user.id)).filter((k) => k.status === 'active');
    await client.post(`/dashboard/keys/${fresh?.id}/revoke`, {});
    const { rows } = await pool.query<{ action: string; actor_id: string; details: { key: string } }>(
      'SELECT action, actor_id, details FROM audit_log WHERE target_id = $1 ORDER BY id',
      [user.id],
    );
    expect(rows.map((r) => [r.action, r.actor_id, r.details.key])).toEqual([
      ['key.create', user.id, key?.id],
      ['key.rotate', user.id, key?.id],
      ['key.revoke', user.id, fresh?.id],
    ]);
    // The cap: one past it is refused with the reason, and nothing is created.
    for (let i = 0; i < MAX_KEYS_PER_CUSTOMER; i++) {
      await client.get('/dashboard');
      expect((await client.post('/dashboard/keys', {})).status).toBe(200);
    }
    await client.get('/dashboard');
    const refused = await client.post('/dashboard/keys', {});
    expect(refused.status).toBe(409);
    expect(refused.html).toContain(`at most ${MAX_KEYS_PER_CUSTOMER} working keys`);
    const working = (await listKeys(pool, user.id)).filter((k) => k.status === 'active' || k.status === 'rotating');
    expect(working).toHaveLength(MAX_KEYS_PER_CUSTOMER);
  });
});
