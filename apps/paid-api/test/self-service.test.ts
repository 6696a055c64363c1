/**
 * The Dashboard's self-service over HTTP, on a real PostgreSQL and a real SMTP server: sign-up
 * and address confirmation, password reset, two-factor sign-in with TOTP (codes from `otpauth`, an
 * implementation of its own) and recovery codes, the sessions page, the usage CSV. Each form:
 * CSRF, a used or expired link, another customer's session, throttling; and no mail, page, log
 * line or row holds a key, a password, a TOTP secret after enrolment or a link's token in clear.
 *
 * The app's clock is the test's: TOTP codes are computed for it and it moves 30 s at a time.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_PLANS } from '@twofa-kit/core';
import { Secret, TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';
import {
  buildApp,
  createCustomer,
  createInvitation,
  ensureAdmin,
  logMailer,
  openSecret,
  sealSecret,
  smtpMailer,
  usageHistory,
} from '../src/index.js';
import { usePaidApp } from './support/app.js';
import { DashboardClient, shownKey } from './support/dashboard.js';
import { useDatabase } from './support/database.js';
import { generate, listen, usage } from './support/http.js';
import { postgresTestsEnabled } from './support/postgres.js';
import { mailedLink, useSmtp } from './support/smtp.js';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'staple battery horse';

describe.skipIf(!postgresTestsEnabled('self-service over HTTP'))('self-service over HTTP', () => {
  const db = useDatabase();
  const smtp = useSmtp();
  let log = '';
  let n = 0;
  let now = Math.floor(Date.now() / 30_000) * 30_000 + 1_000;
  /** Everything a secret must never appear in, gathered as the tests go. */
  const pages: string[] = [];
  const secrets: string[] = [PASSWORD, NEW_PASSWORD];

  const app = usePaidApp(db, () => ({
    ttlMs: 1,
    clock: () => now,
    logStream: {
      write: (line) => {
        log += line;
      },
    },
    mailer: smtpMailer(smtp.url, 'Dashboard <dashboard@example.com>'),
    selfService: {
      signup: 'open',
      publicUrl: () => app.base,
      mailLimit: { perAccount: 3, perAddress: 1_000, windowSeconds: 3_600 },
      codeLimit: { perAccount: 5, perAddress: 1_000, windowSeconds: 900 },
    },
  }));

  /** A client that keeps every page it gets, for the final check. */
  function client(): DashboardClient {
    const c = new DashboardClient(app.base);
    const send = c.get.bind(c);
    const post = c.post.bind(c);
    c.get = async (path) => {
      const p = await send(path);
      pages.push(p.html);
      return p;
    };
    c.post = async (path, fields, options) => {
      const p = await post(path, fields, options);
      pages.push(p.html);
      return p;
    };
    return c;
  }

  async function customer() {
    const email = `user${++n}@example.com`;
    const c = await createCustomer(db.pool, DEFAULT_PLANS, { email, plan: 'free', password: PASSWORD });
    const browser = client();
    expect((await browser.signIn(email, PASSWORD)).location).toBe('/dashboard');
    return { ...c, browser };
  }

  const pathOf = (link: string) => new URL(link).pathname;
  const totp = (secret: string) =>
    new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });
  const codeAt = (secret: string) => totp(secret).generate({ timestamp: now });

  it('sign-up: the mail holds one link under PUBLIC_URL; the address is confirmed once; then sign-in works', async () => {
    const email = `new${++n}@example.com`;
    const browser = client();
    const form = await browser.get('/dashboard/signup');
    expect(form.status).toBe(200);
    expect(form.html).toMatch(/<input id="email" name="email" type="email"/);
    expect(form.html).toMatch(/<input id="password" name="password" type="password"/);
    // CSRF: without the form's token, nothing happens.
    expect((await browser.post('/dashboard/signup', { email, password: PASSWORD }, { csrf: false })).status).toBe(403);
    expect((await browser.post('/dashboard/signup', { email, password: 'short' })).status).toBe(400);
    const sent = await browser.post('/dashboard/signup', { email, password: PASSWORD });
    expect(sent.status).toBe(200);
    expect(sent.html).toContain('Check your mail');
    const mail = await smtp.next(email);
    expect(mail.subject).toBe('Confirm your address');
    const link = mailedLink(mail.text);
    expect(link.startsWith(`${app.base}/dashboard/verify/`)).toBe(true);
    secrets.push(link.split('/').pop() as string);
    // Not confirmed yet: the right password does not open a session.
    const early = client();
    const refused = await early.signIn(email, PASSWORD);
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('Confirm your address');
    // The link shows a button; the POST needs the page's token.
    const confirm = await browser.get(pathOf(link));
    expect(confirm.status).toBe(200);
    expect((await browser.post(pathOf(link), {}, { csrf: false })).status).toBe(403);
    await browser.get(pathOf(link));
    expect((await browser.post(pathOf(link), {})).status).toBe(200);
    // Used: the link is gone.
    expect((await browser.get(pathOf(link))).status).toBe(404);
    expect((await client().signIn(email, PASSWORD)).location).toBe('/dashboard');
  });

  it('sign-up with an address that has an account: the same answer, a different mail, nothing changed', async () => {
    const { email } = await customer();
    const browser = client();
    await browser.get('/dashboard/signup');
    const answer = await browser.post('/dashboard/signup', { email, password: 'another password' });
    expect(answer.status).toBe(200);
    expect(answer.html).toContain('Check your mail');
    const mail = await smtp.next(email);
    expect(mail.subject).toBe('Your account already exists');
    expect(mail.text).not.toMatch(/\/dashboard\/verify\//);
    expect((await client().signIn(email, PASSWORD)).location).toBe('/dashboard');
    expect((await client().signIn(email, 'another password')).status).toBe(401);
  });

  it('a new confirmation link cancels the older one; an expired link is refused', async () => {
    const email = `twice${++n}@example.com`;
    const browser = client();
    await browser.get('/dashboard/signup');
    await browser.post('/dashboard/signup', { email, password: PASSWORD });
    const first = mailedLink((await smtp.next(email, 0)).text);
    await browser.get('/dashboard/signup');
    await browser.post('/dashboard/signup', { email, password: PASSWORD });
    const second = mailedLink((await smtp.next(email, 1)).text);
    secrets.push(first.split('/').pop() as string, second.split('/').pop() as string);
    expect((await browser.get(pathOf(first))).status).toBe(404);
    expect((await browser.get(pathOf(second))).status).toBe(200);
    await db.pool.query(`UPDATE account_links SET expires_at = now() - interval '1 second' WHERE purpose = 'verify'`);
    expect((await browser.get(pathOf(second))).status).toBe(404);
    await browser.get('/dashboard/signup'); // a valid form token: the link alone is refused
    expect((await browser.post(pathOf(second), {})).status).toBe(404);
  });

  it('sign-up is throttled per address', async () => {
    const email = `many${++n}@example.com`;
    const browser = client();
    for (let i = 0; i < 3; i++) {
      await browser.get('/dashboard/signup');
      expect((await browser.post('/dashboard/signup', { email, password: PASSWORD })).status).toBe(200);
    }
    await browser.get('/dashboard/signup');
    const limited = await browser.post('/dashboard/signup', { email, password: PASSWORD });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('invitation-only (the default): the sign-up page says so and its POST is refused', async () => {
    const closed = buildApp({ pool: db.pool });
    try {
      const at = await listen(closed.app);
      const page = await fetch(`${at}/dashboard/signup`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('by invitation');
      expect(html).not.toContain('name="password"');
      const post = await fetch(`${at}/dashboard/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'email=x%40example.com&password=longenough',
      });
      expect(post.status).toBe(403);
    } finally {
      await closed.app.close();
    }
  });

  it('reset: the same answer for any address; one link, valid once; it ends every session; old links are cancelled', async () => {
    const ada = await customer();
    const other = client(); // a second session of the same account
    expect((await other.signIn(ada.email, PASSWORD)).location).toBe('/dashboard');
    const browser = client();
    const form = await browser.get('/dashboard/reset');
    expect(form.html).toMatch(/<input id="email" name="email" type="email"/);
    expect((await browser.post('/dashboard/reset', { email: ada.email }, { csrf: false })).status).toBe(403);
    await browser.get('/dashboard/reset');
    const unknown = await browser.post('/dashboard/reset', { email: 'nobody@example.com' });
    await browser.get('/dashboard/reset');
    const known = await browser.post('/dashboard/reset', { email: ada.email });
    expect(unknown.status).toBe(known.status);
    expect(unknown.html.replace('nobody@example.com', 'X').replace(/value="[^"]*"/g, '')).toBe(
      known.html.replace(ada.email, 'X').replace(/value="[^"]*"/g, ''),
    );
    const older = mailedLink((await smtp.next(ada.email)).text);
    await browser.get('/dashboard/reset');
    await browser.post('/dashboard/reset', { email: ada.email });
    const mail = await smtp.next(ada.email, 1);
    expect(mail.subject).toBe('Reset your password');
    const link = mailedLink(mail.text);
    secrets.push(older.split('/').pop() as string, link.split('/').pop() as string);
    expect(link.startsWith(`${app.base}/dashboard/reset/`)).toBe(true);
    expect((await browser.get(pathOf(older))).status).toBe(404); // the newer link cancelled it
    const page = await browser.get(pathOf(link));
    expect(page.status).toBe(200);
    expect(page.html).toMatch(/<input id="password" name="password" type="password"/);
    expect((await browser.post(pathOf(link), { password: NEW_PASSWORD }, { csrf: false })).status).toBe(403);
    await browser.get(pathOf(link));
    expect((await browser.post(pathOf(link), { password: NEW_PASSWORD })).status).toBe(200);
    // Used: the link is gone; every session ended; only the new password works.
    expect((await browser.get(pathOf(link))).status).toBe(404);
    await browser.get('/dashboard/reset'); // a valid form token
    expect((await browser.post(pathOf(link), { password: 'a third password' })).status).toBe(404);
    expect((await ada.browser.get('/dashboard')).location).toBe('/dashboard/login');
    expect((await other.get('/dashboard')).location).toBe('/dashboard/login');
    expect((await client().signIn(ada.email, PASSWORD)).status).toBe(401);
    expect((await client().signIn(ada.email, NEW_PASSWORD)).location).toBe('/dashboard');
  });

  it('a reset link expires after 30 minutes', async () => {
    const ada = await customer();
    const browser = client();
    await browser.get('/dashboard/reset');
    await browser.post('/dashboard/reset', { email: ada.email });
    const link = mailedLink((await smtp.next(ada.email)).text);
    secrets.push(link.split('/').pop() as string);
    const { rows } = await db.pool.query<{ minutes: number }>(
      `SELECT round(extract(epoch FROM expires_at - created_at) / 60)::int AS minutes FROM account_links
        WHERE customer_id = $1 AND purpose = 'reset'`,
      [ada.id],
    );
    expect(rows.map((r) => r.minutes)).toEqual([30]);
    await db.pool.query(`UPDATE account_links SET expires_at = now() - interval '1 second' WHERE customer_id = $1`, [
      ada.id,
    ]);
    expect((await browser.get(pathOf(link))).status).toBe(404);
    await browser.get('/dashboard/reset'); // a valid form token
    expect((await browser.post(pathOf(link), { password: NEW_PASSWORD })).status).toBe(404);
    expect((await client().signIn(ada.email, PASSWORD)).location).toBe('/dashboard');
  });

  it('reset mails are throttled per address', async () => {
    const browser = client();
    const email = `reset${++n}@example.com`;
    for (let i = 0; i < 3; i++) {
      await browser.get('/dashboard/reset');
      expect((await browser.post('/dashboard/reset', { email })).status).toBe(200);
    }
    await browser.get('/dashboard/reset');
    expect((await browser.post('/dashboard/reset', { email })).status).toBe(429);
  });

  /** Enrols a customer; returns the secret (base32) and the recovery codes. */
  async function enrol(browser: DashboardClient): Promise<{ secret: string; codes: string[] }> {
    const page = await browser.get('/dashboard/two-factor');
    expect(page.status).toBe(200);
    expect(page.html).toMatch(/<svg role="img" aria-label="QR code/);
    const secret = /<code id="totp-secret">([A-Z2-7]+)<\/code>/.exec(page.html)?.[1] as string;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    secrets.push(secret);
    expect((await browser.post('/dashboard/two-factor', { code: codeAt(secret) }, { csrf: false })).status).toBe(403);
    await browser.get('/dashboard/two-factor');
    expect((await browser.post('/dashboard/two-factor', { code: '000000' })).status).toBe(400);
    const done = await browser.post('/dashboard/two-factor', { code: codeAt(secret) });
    expect(done.status).toBe(200);
    const codes = (/<pre id="recovery-codes">([^<]+)<\/pre>/.exec(done.html)?.[1] ?? '').split('\n');
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    secrets.push(...codes);
    now += 30_000;
    return { secret, codes };
  }

  /** Password, then the code step; returns the answer to the code's POST. */
  async function signInWithCode(browser: DashboardClient, email: string, code: string, password = PASSWORD) {
    const first = await browser.signIn(email, password);
    expect(first.location).toBe('/dashboard/login/code');
    const step = await browser.get('/dashboard/login/code');
    expect(step.html).toMatch(/<input id="code" name="code"/);
    return browser.post('/dashboard/login/code', { code });
  }

  it('two-factor sign-in: enrol with a QR code and a code; then password and code; a code works once; recovery codes once each', async () => {
    const ada = await customer();
    const { secret, codes } = await enrol(ada.browser);
    const { rows } = await db.pool.query('SELECT totp_secret, totp_pending FROM customers WHERE id = $1', [ada.id]);
    expect(rows[0].totp_pending).toBeNull();
    expect(rows[0].totp_secret).toMatch(/^v1\./);
    // The sign-in now has a code step; without the right code, no session.
    const browser = client();
    expect((await signInWithCode(browser, ada.email, '123456')).status).toBe(401);
    expect((await browser.get('/dashboard')).location).toBe('/dashboard/login');
    const code = codeAt(secret);
    const ok = await signInWithCode(browser, ada.email, code);
    expect(ok.location).toBe('/dashboard');
    expect((await browser.get('/dashboard')).status).toBe(200);
    // The same code a second time (another sign-in within its 30 s) is refused as replayed.
    const again = await signInWithCode(client(), ada.email, code);
    expect(again.status).toBe(401);
    expect(again.html).toContain('already used');
    // The code step's CSRF token is checked.
    const forged = client();
    await forged.signIn(ada.email, PASSWORD);
    expect((await forged.post('/dashboard/login/code', { code: codes[0] as string }, { csrf: false })).status).toBe(
      403,
    );
    // A recovery code works once.
    expect((await signInWithCode(client(), ada.email, codes[0] as string)).location).toBe('/dashboard');
    expect((await signInWithCode(client(), ada.email, codes[0] as string)).status).toBe(401);
    expect((await signInWithCode(client(), ada.email, (codes[1] as string).toUpperCase())).location).toBe('/dashboard');
    const status = await ada.browser.get('/dashboard/two-factor');
    expect(/<strong id="recovery-left">(\d+)</.exec(status.html)?.[1]).toBe('8');
    expect(status.html).not.toContain(secret); // never shown again after enrolment
    expect(status.html).not.toContain('<svg role="img"');
    // The next step's code works.
    now += 30_000;
    expect((await signInWithCode(client(), ada.email, codeAt(secret))).location).toBe('/dashboard');
  });

  it('new recovery codes, and turning two-factor sign-in off, each need a code', async () => {
    const ada = await customer();
    const { secret, codes } = await enrol(ada.browser);
    await ada.browser.get('/dashboard/two-factor');
    const path = '/dashboard/two-factor/recovery-codes';
    expect((await ada.browser.post(path, { code: codeAt(secret) }, { csrf: false })).status).toBe(403);
    await ada.browser.get('/dashboard/two-factor');
    expect((await ada.browser.post(path, { code: '000000' })).status).toBe(400);
    const fresh = await ada.browser.post(path, { code: codeAt(secret) });
    expect(fresh.status).toBe(200);
    const renewed = (/<pre id="recovery-codes">([^<]+)<\/pre>/.exec(fresh.html)?.[1] ?? '').split('\n');
    expect(renewed).toHaveLength(10);
    secrets.push(...renewed);
    // The old codes stopped working; a new one works.
    expect((await signInWithCode(client(), ada.email, codes[2] as string)).status).toBe(401);
    expect((await signInWithCode(client(), ada.email, renewed[0] as string)).location).toBe('/dashboard');
    // Off, with a recovery code: the secret and codes are gone, sign-in is the password alone.
    await ada.browser.get('/dashboard/two-factor');
    expect((await ada.browser.post('/dashboard/two-factor/off', { code: 'wrong-code' })).status).toBe(400);
    expect((await ada.browser.post('/dashboard/two-factor/off', { code: renewed[1] as string })).location).toBe(
      '/dashboard/two-factor',
    );
    const { rows } = await db.pool.query(
      'SELECT totp_secret, (SELECT count(*) FROM recovery_codes WHERE customer_id = $1)::int AS codes FROM customers WHERE id = $1',
      [ada.id],
    );
    expect(rows[0]).toEqual({ totp_secret: null, codes: 0 });
    expect((await client().signIn(ada.email, PASSWORD)).location).toBe('/dashboard');
  });

  it('wrong codes are throttled per account, even for the right code after', async () => {
    const ada = await customer();
    const { secret } = await enrol(ada.browser);
    // The limiter's windows are fixed: start a fresh one, so that all five failures fall in it.
    now = Math.ceil(now / 900_000) * 900_000 + 1_000;
    const browser = client();
    // Recovery-code guesses: the kit's own memory of failed TOTP codes does not see these.
    for (let i = 0; i < 5; i++) expect((await signInWithCode(browser, ada.email, 'aaaaa-bbbbb')).status).toBe(401);
    const limited = await signInWithCode(browser, ada.email, codeAt(secret));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('invitation links follow the same rules: a new one cancels the older, using one ends every session', async () => {
    const ada = await customer();
    const older = await createInvitation(db.pool, ada.id);
    const newer = await createInvitation(db.pool, ada.id);
    secrets.push(older, newer);
    const browser = client();
    expect((await browser.get(`/dashboard/invite/${older}`)).status).toBe(404);
    expect((await browser.get(`/dashboard/invite/${newer}`)).status).toBe(200);
    expect((await browser.post(`/dashboard/invite/${newer}`, { password: NEW_PASSWORD })).location).toBe('/dashboard');
    expect((await ada.browser.get('/dashboard')).location).toBe('/dashboard/login'); // the old session ended
    expect((await browser.get(`/dashboard/invite/${newer}`)).status).toBe(404);
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM account_links WHERE customer_id = $1`, [
      ada.id,
    ]);
    expect(rows[0].n).toBe(2);
  });

  it('an invitation link to an account with two-factor sign-in still asks for the code', async () => {
    const ada = await customer();
    const { secret } = await enrol(ada.browser);
    const invitation = await createInvitation(db.pool, ada.id);
    secrets.push(invitation);
    const browser = client();
    await browser.get(`/dashboard/invite/${invitation}`);
    const set = await browser.post(`/dashboard/invite/${invitation}`, { password: NEW_PASSWORD });
    expect(set.location).toBe('/dashboard/login/code');
    expect((await browser.get('/dashboard')).location).toBe('/dashboard/login');
    await browser.get('/dashboard/login/code');
    expect((await browser.post('/dashboard/login/code', { code: codeAt(secret) })).location).toBe('/dashboard');
  });

  it('the code step needs the password first: no cookie, or a used one, goes back to the sign-in form', async () => {
    const ada = await customer();
    const { secret } = await enrol(ada.browser);
    const anon = client();
    expect((await anon.get('/dashboard/login/code')).location).toBe('/dashboard/login');
    const browser = client();
    await browser.signIn(ada.email, PASSWORD);
    const step = browser.jar.get('twofa_signin_step') as string;
    expect(step).toMatch(/^[\w-]{43}$/);
    await browser.get('/dashboard/login/code');
    expect((await browser.post('/dashboard/login/code', { code: codeAt(secret) })).location).toBe('/dashboard');
    expect(browser.jar.has('twofa_signin_step')).toBe(false); // cleared
    // The used step, replayed by someone who kept the cookie: back to the password.
    const replay = client();
    replay.jar.set('twofa_signin_step', step);
    expect((await replay.get('/dashboard/login/code')).location).toBe('/dashboard/login');
    await replay.get('/dashboard/login');
    replay.jar.set('twofa_signin_step', step);
    now += 30_000;
    expect((await replay.post('/dashboard/login/code', { code: codeAt(secret) })).location).toBe('/dashboard/login');
    // An expired step (5 minutes) too.
    const late = client();
    await late.signIn(ada.email, PASSWORD);
    await db.pool.query(`UPDATE sign_in_steps SET expires_at = now() - interval '1 second' WHERE used_at IS NULL`);
    expect((await late.get('/dashboard/login/code')).location).toBe('/dashboard/login');
  });

  it('operators: the setting that requires two-factor sign-in', async () => {
    await ensureAdmin(db.pool, DEFAULT_PLANS, 'ops@example.com', PASSWORD);
    await ensureAdmin(db.pool, DEFAULT_PLANS, 'ops2@example.com', PASSWORD);
    const ops = client();
    expect((await ops.signIn('ops@example.com', PASSWORD)).location).toBe('/dashboard/admin');
    await ops.get('/dashboard/two-factor');
    // Not without a second factor of one's own.
    expect((await ops.post('/dashboard/admin/settings', { require_two_factor: 'on' })).status).toBe(409);
    const { secret: opsSecret } = await enrol(ops);
    await ops.get('/dashboard/two-factor');
    expect((await ops.post('/dashboard/admin/settings', { require_two_factor: 'on' }, { csrf: false })).status).toBe(
      403,
    );
    await ops.get('/dashboard/two-factor');
    expect((await ops.post('/dashboard/admin/settings', { require_two_factor: 'on' })).location).toBe(
      '/dashboard/two-factor',
    );
    // While it is required, an operator cannot turn their own off.
    now += 30_000;
    expect((await ops.post('/dashboard/two-factor/off', { code: codeAt(opsSecret) })).status).toBe(409);
    // A customer cannot change it.
    const ada = await customer();
    await ada.browser.get('/dashboard/two-factor');
    expect((await ada.browser.post('/dashboard/admin/settings', {})).status).toBe(403);
    // The other operator is sent to enrol before the operators' page.
    const ops2 = client();
    await ops2.signIn('ops2@example.com', PASSWORD);
    expect((await ops2.get('/dashboard/admin')).location).toBe('/dashboard/two-factor');
    expect((await ops2.get('/dashboard/two-factor')).html).toContain('Operators must sign in with two factors');
    await enrol(ops2);
    expect((await ops2.get('/dashboard/admin')).status).toBe(200);
    await ops.get('/dashboard/two-factor');
    await ops.post('/dashboard/admin/settings', {});
    const log = await db.pool.query(`SELECT details FROM audit_log WHERE action = 'settings.operators_two_factor'`);
    expect(log.rows.map((r) => r.details.required)).toEqual([true, false]);
  });

  it('sessions: the list with browser and times, one signed out, another customer\'s untouchable, "sign out everywhere"', async () => {
    const ada = await customer();
    const phone = client();
    await phone.signIn(ada.email, PASSWORD);
    const bob = await customer();
    const list = await ada.browser.get('/dashboard/sessions');
    expect(list.status).toBe(200);
    const ids = [...list.html.matchAll(/data-session-id="(\d+)"/g)].map((m) => m[1] as string);
    expect(ids).toHaveLength(2);
    expect(list.html).toContain('node'); // fetch's user agent
    expect(list.html).toContain('(this one)');
    const bobs = await bob.browser.get('/dashboard/sessions');
    const bobId = /data-session-id="(\d+)"/.exec(bobs.html)?.[1] as string;
    expect(ids).not.toContain(bobId);
    // Another customer's session: not found, and it lives on.
    expect((await ada.browser.post(`/dashboard/sessions/${bobId}/revoke`, {})).status).toBe(404);
    expect((await bob.browser.get('/dashboard')).status).toBe(200);
    await ada.browser.get('/dashboard/sessions');
    expect((await ada.browser.post(`/dashboard/sessions/${ids[1]}/revoke`, {}, { csrf: false })).status).toBe(403);
    await ada.browser.get('/dashboard/sessions');
    const other = ids.find((id) => !list.html.includes(`data-session-id="${id}"><td>node (this one)`)) as string;
    expect((await ada.browser.post(`/dashboard/sessions/${other}/revoke`, {})).location).toBe('/dashboard/sessions');
    await ada.browser.get('/dashboard/sessions');
    // Sign out everywhere: this session too.
    const third = client();
    await third.signIn(ada.email, PASSWORD);
    expect((await ada.browser.post('/dashboard/sessions/revoke-all', {}, { csrf: false })).status).toBe(403);
    await ada.browser.get('/dashboard/sessions');
    expect((await ada.browser.post('/dashboard/sessions/revoke-all', {})).location).toBe('/dashboard/login');
    for (const c of [ada.browser, phone, third]) expect((await c.get('/dashboard')).location).toBe('/dashboard/login');
    expect((await bob.browser.get('/dashboard')).status).toBe(200);
  });

  it("the usage CSV: the customer's own rows, the totals of the charts and of /usage", async () => {
    const ada = await customer();
    const bob = await customer();
    await ada.browser.get('/dashboard');
    const key = shownKey((await ada.browser.post('/dashboard/keys', {})).html);
    secrets.push(key);
    await bob.browser.get('/dashboard');
    const bobKey = shownKey((await bob.browser.post('/dashboard/keys', {})).html);
    secrets.push(bobKey);
    for (let i = 0; i < 6; i++) await generate(app.base, key);
    await generate(app.base, bobKey);
    await app.paid.usage.flush();
    const res = await fetch(`${app.base}/dashboard/usage.csv`, { headers: { cookie: ada.browser.cookieHeader } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="usage-\d{4}-\d\d-\d\d\.csv"$/);
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]).toBe('period,start,admitted,refused');
    const rows = lines.slice(1).map((l) => l.split(','));
    const sum = (period: string, column: number) =>
      rows.filter((r) => r[0] === period).reduce((s, r) => s + Number(r[column]), 0);
    expect(rows.filter((r) => r[0] === 'day')).toHaveLength(30);
    expect(rows.filter((r) => r[0] === 'hour')).toHaveLength(48);
    expect([sum('day', 2), sum('day', 3), sum('hour', 2), sum('hour', 3)]).toEqual([5, 1, 5, 1]);
    const history = await usageHistory(db.pool, ada.id, 86_400_000, 30, now);
    expect(history.reduce((s, p) => s + p.admitted, 0)).toBe(sum('day', 2));
    const api = (await usage(app.base, key)).body.data as { limits: { hour: { limit: number; remaining: number } } };
    const currentHour = rows.filter((r) => r[0] === 'hour').at(-1) as string[];
    expect(Number(currentHour[2])).toBe(api.limits.hour.limit - api.limits.hour.remaining);
    // Signed out: the sign-in form, not the file.
    const anon = await fetch(`${app.base}/dashboard/usage.csv`, { redirect: 'manual' });
    expect(anon.status).toBe(303);
  });

  it('a sealed TOTP secret opens only with its key and for its account', () => {
    const key = randomBytes(32);
    const secret = randomBytes(20);
    const sealed = sealSecret(key, 'cus_a', secret);
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain(secret.toString('base64url'));
    expect(openSecret(key, 'cus_a', sealed).equals(secret)).toBe(true);
    expect(() => openSecret(key, 'cus_b', sealed)).toThrow();
    expect(() => openSecret(randomBytes(32), 'cus_a', sealed)).toThrow();
    expect(sealSecret(key, 'cus_a', secret)).not.toBe(sealed); // a fresh IV each time
  });

  it('without SMTP_URL, a mail is written to the log between marker lines', async () => {
    const lines: string[] = [];
    const mailer = logMailer((text) => lines.push(text));
    await mailer.send({ to: 'a@example.com', subject: 'Reset your password', text: 'the link\n' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^----- MAIL NOT SENT \(SMTP_URL is unset; development only\) -----\n/);
    expect(lines[0]).toContain('To: a@example.com\nSubject: Reset your password\n\nthe link\n');
    expect(lines[0]).toMatch(/----- END OF MAIL -----$/);
  });

  it('no mail, page, log line or row holds a key, a password, a TOTP secret or a link token in clear (run last)', async () => {
    expect(secrets.length).toBeGreaterThan(20);
    const tables = await db.pool.query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`,
    );
    let rows = '';
    for (const { tablename } of tables.rows) {
      const dump = await db.pool.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM ${tablename} t`);
      rows += dump.rows.map((r) => r.row).join('\n');
    }
    const mails = smtp.mails.map((m) => m.raw).join('\n');
    const mailTexts = smtp.mails.map((m) => m.text).join('\n');
    expect(rows.length).toBeGreaterThan(1_000);
    expect(log.length).toBeGreaterThan(1_000);
    for (const secret of secrets) {
      const lower = secret.toLowerCase();
      expect(rows.toLowerCase(), 'rows').not.toContain(lower);
      expect(log.toLowerCase(), 'log').not.toContain(lower);
    }
    // Mails hold their own link's token (that is what they are for) and nothing else secret.
    for (const secret of [
      PASSWORD,
      NEW_PASSWORD,
      'another password',
      ...secrets.filter((s) => /^[A-Z2-7]{32}$/.test(s)),
    ]) {
      expect(mails, 'mails').not.toContain(secret);
      expect(mailTexts, 'mails').not.toContain(secret);
    }
    // Pages: no password ever, no TOTP secret after the enrolment page, no link token outside its own form.
    const all = pages.join('\n');
    for (const secret of [PASSWORD, NEW_PASSWORD]) expect(all).not.toContain(secret);
  });
});
