/// <reference lib="dom" />
/**
 * Self-service end to end in a real headless Chromium, with a real PostgreSQL and a real SMTP
 * server: sign up → the mail arrives → confirm the address → turn on two-factor sign-in → sign
 * out → sign in with password and code (the same code a second time is refused) → create a key →
 * 200s then 429 → the CSV's totals equal /usage and the charts → reset the password from the
 * mailed link → the other session is signed out → a recovery code works once. TOTP codes come
 * from `otpauth`, not from the app's code. axe-core checks every new page (no serious or critical
 * violation); the screenshots go where the Dashboard's other browser test puts them
 * (`.vitest-out/dashboard/`, or docs/dashboard/ with `UPDATE_SCREENSHOTS=1`).
 *
 * The app's clock is held by the test and moved 30 s at a time (never slept), so each sign-in
 * has a fresh TOTP step and the free plan's minute cannot roll over in the middle.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smtpMailer } from '../src/index.js';
import { usePaidApp } from './support/app.js';
import { axeViolations } from './support/axe.js';
import { CHROMIUM, chromiumEnabled } from './support/chromium.js';
import { useDatabase } from './support/database.js';
import { generate, usage } from './support/http.js';
import { postgresTestsEnabled } from './support/postgres.js';
import { ROOT } from './support/process.js';
import { mailedLink, useSmtp } from './support/smtp.js';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'];
const SHOTS = join(ROOT, process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/dashboard' : '.vitest-out/dashboard');
const EMAIL = 'grace@example.com';
const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'staple battery horse';

describe.skipIf(!postgresTestsEnabled('self-service in Chromium') || !chromiumEnabled())(
  'self-service in Chromium',
  () => {
    const db = useDatabase();
    const smtp = useSmtp();
    let browser: Browser;
    let contexts: BrowserContext[] = [];
    let now = Math.floor(Date.now() / 60_000) * 60_000 + 1_000;
    const app = usePaidApp(db, () => ({
      ttlMs: 1_000,
      clock: () => now,
      mailer: smtpMailer(smtp.url),
      selfService: { signup: 'open', publicUrl: () => app.base },
    }));

    beforeAll(async () => {
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
      mkdirSync(SHOTS, { recursive: true });
    });
    afterAll(async () => {
      for (const c of contexts) await c.close();
      await browser?.close();
    });

    async function newPage(): Promise<Page> {
      const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
      contexts = [...contexts, context];
      return context.newPage();
    }

    /** Checks the page with axe-core and saves its screenshot. */
    async function shoot(page: Page, name: string, mask: string[] = []): Promise<void> {
      expect(await axeViolations(page), name).toEqual([]);
      await page.screenshot({ path: join(SHOTS, name), fullPage: true, mask: mask.map((m) => page.locator(m)) });
    }

    async function password(page: Page, email: string, pw: string): Promise<void> {
      await page.goto(`${app.base}/dashboard/login`);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(pw);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForLoadState();
    }

    async function code(page: Page, value: string): Promise<void> {
      expect(page.url()).toBe(`${app.base}/dashboard/login/code`);
      await page.getByLabel(/^Code from your authenticator app/).fill(value);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForLoadState();
    }

    it('sign up, confirm, two-factor, key, 429, CSV = /usage = charts, reset signs the other session out, recovery code once', async () => {
      const page = await newPage();

      // Sign up; the mail arrives with one link under PUBLIC_URL.
      await page.goto(`${app.base}/dashboard/signup`);
      await shoot(page, 'signup.png');
      await page.getByLabel('Email').fill(EMAIL);
      await page.getByLabel(/^Password/).fill(PASSWORD);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.waitForLoadState();
      expect(await page.locator('h1').textContent()).toBe('Check your mail');
      expect(await axeViolations(page)).toEqual([]);
      const welcome = await smtp.next(EMAIL);
      const verifyLink = mailedLink(welcome.text);
      expect(verifyLink.startsWith(`${app.base}/dashboard/verify/`)).toBe(true);

      // Confirm the address, then sign in with the password alone.
      await page.goto(verifyLink);
      await shoot(page, 'verify.png');
      await page.getByRole('button', { name: 'Confirm my address' }).click();
      await page.waitForLoadState();
      expect(await page.locator('h1').textContent()).toBe('Address confirmed');
      await password(page, EMAIL, PASSWORD);
      expect(page.url()).toBe(`${app.base}/dashboard`);

      // Turn on two-factor sign-in: a QR code and the key as text; a code from another implementation.
      await page.getByRole('link', { name: 'Two-factor' }).click();
      await page.waitForURL(`${app.base}/dashboard/two-factor`);
      expect(await page.getByRole('img', { name: /QR code/ }).isVisible()).toBe(true);
      const secret = ((await page.locator('#totp-secret').textContent()) ?? '').trim();
      const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });
      await shoot(page, 'two-factor.png', ['#totp-secret', '.qr svg']);
      await page.getByLabel('Code', { exact: true }).fill(totp.generate({ timestamp: now }));
      await page.getByRole('button', { name: 'Turn on' }).click();
      await page.waitForLoadState();
      const recovery = ((await page.locator('#recovery-codes').textContent()) ?? '').trim().split('\n');
      expect(recovery).toHaveLength(10);
      await shoot(page, 'recovery-codes.png', ['#recovery-codes']);
      // The page once it is on: status, new recovery codes, turning it off.
      await page.goto(`${app.base}/dashboard/two-factor`);
      expect(await page.locator('#recovery-left').textContent()).toBe('10');
      expect(await axeViolations(page)).toEqual([]);

      // Sign out; sign in with the password, then the code.
      now += 30_000;
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(`${app.base}/dashboard/login`);
      await password(page, EMAIL, PASSWORD);
      await shoot(page, 'login-code.png');
      const first = totp.generate({ timestamp: now });
      await code(page, first);
      expect(page.url()).toBe(`${app.base}/dashboard`);

      // Another browser: the same code a second time is refused; the next step's code works.
      const other = await newPage();
      await password(other, EMAIL, PASSWORD);
      await code(other, first);
      expect(other.url()).toBe(`${app.base}/dashboard/login/code`);
      expect(await other.getByRole('alert').textContent()).toContain('already used');
      now += 30_000;
      await code(other, totp.generate({ timestamp: now }));
      expect(other.url()).toBe(`${app.base}/dashboard`);

      // Create a key; the free plan's minute: 5 answers 200, then 429.
      await page.getByRole('button', { name: 'Create a key' }).click();
      const key = ((await page.locator('#new-key').textContent()) ?? '').trim();
      expect(key).toMatch(/^tfa_live_/);
      for (let i = 0; i < 5; i++) expect((await generate(app.base, key)).status).toBe(200);
      expect((await generate(app.base, key)).status).toBe(429);

      // The CSV (downloaded from the page's link) adds up to the charts and to /usage.
      await app.paid.usage.flush();
      await page.goto(`${app.base}/dashboard`);
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Download as CSV' }).click(),
      ]);
      const csv = readFileSync((await download.path()) as string, 'utf8')
        .trim()
        .split('\r\n');
      expect(csv[0]).toBe('period,start,admitted,refused');
      const rows = csv.slice(1).map((l) => l.split(','));
      const total = (period: string, column: number) =>
        rows.filter((r) => r[0] === period).reduce((s, r) => s + Number(r[column]), 0);
      for (const [chart, period] of [
        ['#chart-daily', 'day'],
        ['#chart-hourly', 'hour'],
      ] as const) {
        expect(String(total(period, 2)), chart).toBe(await page.locator(chart).getAttribute('data-admitted'));
        expect(String(total(period, 3)), chart).toBe(await page.locator(chart).getAttribute('data-refused'));
      }
      expect([total('hour', 2), total('hour', 3)]).toEqual([5, 1]);
      const api = (await usage(app.base, key)).body.data as { limits: { hour: { limit: number; remaining: number } } };
      const thisHour = rows.filter((r) => r[0] === 'hour').at(-1) as string[];
      expect(Number(thisHour[2])).toBe(api.limits.hour.limit - api.limits.hour.remaining);

      // The sessions page lists both browsers.
      await page.getByRole('link', { name: 'Sessions' }).click();
      await page.waitForURL(`${app.base}/dashboard/sessions`);
      expect(await page.locator('#sessions tbody tr').count()).toBe(2);
      await shoot(page, 'sessions.png');
      // On a phone the sessions table reflows: nothing is wider than the screen.
      await page.setViewportSize({ width: 390, height: 844 });
      const wide = await page.evaluate(() =>
        [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > 390)
          .map((e) => e.outerHTML.slice(0, 100)),
      );
      expect(wide).toEqual([]);
      await page.setViewportSize({ width: 1100, height: 900 });

      // Reset the password from the mailed link: every session ends, the other browser's too.
      await page.goto(`${app.base}/dashboard/reset`);
      await shoot(page, 'reset.png');
      await page.getByLabel('Email').fill(EMAIL);
      await page.getByRole('button', { name: 'Send me a link' }).click();
      await page.waitForLoadState();
      const resetLink = mailedLink((await smtp.next(EMAIL, 1)).text);
      expect(resetLink.startsWith(`${app.base}/dashboard/reset/`)).toBe(true);
      await page.goto(resetLink);
      await shoot(page, 'reset-password.png');
      await page.getByLabel(/^New password/).fill(NEW_PASSWORD);
      await page.getByRole('button', { name: 'Set password' }).click();
      await page.waitForLoadState();
      expect(await page.locator('h1').textContent()).toBe('Password changed');
      expect(await axeViolations(page)).toEqual([]);
      await other.goto(`${app.base}/dashboard`);
      expect(other.url()).toBe(`${app.base}/dashboard/login`);

      // A recovery code signs in once.
      await password(page, EMAIL, NEW_PASSWORD);
      await code(page, recovery[0] as string);
      expect(page.url()).toBe(`${app.base}/dashboard`);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(`${app.base}/dashboard/login`);
      await password(page, EMAIL, NEW_PASSWORD);
      await code(page, recovery[0] as string);
      expect(page.url()).toBe(`${app.base}/dashboard/login/code`);
      expect(await page.getByRole('alert').textContent()).toContain('did not work');
    }, 180_000);
  },
);
