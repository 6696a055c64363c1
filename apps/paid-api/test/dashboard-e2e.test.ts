/// <reference lib="dom" />
/**
 * The Dashboard end to end in a real headless Chromium (Debian's `chromium`, driven by
 * playwright-core), on a real PostgreSQL (initdb + pg_ctl on a free port): a customer signs in,
 * creates a key, uses the free plan's minute up over HTTP, sees it in the usage bars and the
 * charts, rotates (both keys work), revokes (401); an operator changes the plan and the new
 * limits apply. The run saves screenshots of the main pages into `.vitest-out/dashboard/`, and into
 * docs/dashboard/ (the ones the docs show) with `UPDATE_SCREENSHOTS=1`, so an ordinary test run
 * leaves the tracked files alone.
 *
 * The app's clock is held at the start of a minute and moved by the test (never slept), so the
 * free plan's minute cannot roll over in the middle; the database keeps its own clock.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PLANS } from '@twofa-kit/core';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomer, ensureAdmin, listKeys } from '../src/index.js';
import { usePaidApp } from './support/app.js';
import { axeViolations } from './support/axe.js';
import { CHROMIUM, chromiumEnabled } from './support/chromium.js';
import { useDatabase } from './support/database.js';
import { generate, usage } from './support/http.js';
import { postgresTestsEnabled } from './support/postgres.js';
import { ROOT } from './support/process.js';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SHOTS = join(ROOT, process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/dashboard' : '.vitest-out/dashboard');
const PASSWORD = 'correct horse battery';
const TTL = 1_000;

/**
 * axe-core finds no serious or critical violation; every visible form control has a label; text
 * has a contrast of at least 4.5:1 on its background; keyboard focus is visible.
 */
async function checkAccessible(page: Page): Promise<void> {
  expect(await axeViolations(page)).toEqual([]);
  const problems = await page.evaluate(() => {
    const out: string[] = [];
    for (const el of document.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select')) {
      if (el.type === 'hidden') continue;
      if ((el.labels?.length ?? 0) === 0 && !el.getAttribute('aria-label')) out.push(`no label: ${el.outerHTML}`);
    }
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r = 0, g = 0, b = 0]: number[]) => {
      const f = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el: Element | null): number[] => {
      for (let e = el; e !== null; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c[3] ?? 0) > 0) return c;
      }
      return [255, 255, 255];
    };
    for (const el of document.querySelectorAll('p, a, button, label, th, td, h1, h2, summary, code, small, span')) {
      if (!el.textContent?.trim() || el.closest('svg') || el.closest('.visually-hidden')) continue;
      const a = lum(rgb(getComputedStyle(el).color));
      const b = lum(background(el));
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < 4.5) out.push(`contrast ${ratio.toFixed(2)}: ${el.outerHTML.slice(0, 80)}`);
    }
    return out;
  });
  expect(problems).toEqual([]);
  // Keyboard focus is visible: the first focusable control gets an outline.
  await page.keyboard.press('Tab');
  const outline = await page.evaluate(() => {
    const el = document.activeElement;
    return el === null || el === document.body ? 'none' : getComputedStyle(el).outlineStyle;
  });
  expect(outline).not.toBe('none');
}

describe.skipIf(!postgresTestsEnabled('the Dashboard in Chromium') || !chromiumEnabled())(
  'the Dashboard in Chromium',
  () => {
    const db = useDatabase();
    let context: BrowserContext;
    let profile: string;
    // The start of the current minute, plus a second; moved by the test.
    let now = Math.floor(Date.now() / 60_000) * 60_000 + 1_000;
    const app = usePaidApp(db, () => ({ ttlMs: TTL, clock: () => now }));

    beforeAll(async () => {
      profile = mkdtempSync(join(tmpdir(), 'twofa-chromium-'));
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: ARGS,
        viewport: { width: 1100, height: 900 },
      });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.base });
      mkdirSync(SHOTS, { recursive: true });
    });
    afterAll(async () => {
      await context?.close();
      if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
    });

    async function signIn(page: Page, email: string): Promise<void> {
      await page.goto(`${app.base}/dashboard`);
      expect(page.url()).toBe(`${app.base}/dashboard/login`);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForLoadState();
    }

    const cell = (page: Page, window: string, field: string) =>
      page.locator(`tr[data-window="${window}"] .${field}`).textContent();

    it('sign in, create a key, use up the minute, see it, rotate, revoke; an operator changes the plan', async () => {
      await ensureAdmin(db.pool, DEFAULT_PLANS, 'ops@example.com', PASSWORD);
      const ada = await createCustomer(db.pool, DEFAULT_PLANS, {
        email: 'ada@example.com',
        plan: 'free',
        password: PASSWORD,
      });
      const page = await context.newPage();

      // Signed out: the sign-in form.
      await page.goto(`${app.base}/dashboard`);
      expect(page.url()).toBe(`${app.base}/dashboard/login`);
      await checkAccessible(page);
      await page.screenshot({ path: join(SHOTS, 'login.png') });
      await signIn(page, 'ada@example.com');
      expect(page.url()).toBe(`${app.base}/dashboard`);
      expect(await page.locator('#plan').textContent()).toBe('free');

      // Create a key: shown once, with a copy button and the curl example.
      await page.getByRole('button', { name: 'Create a key' }).click();
      const key = ((await page.locator('#new-key').textContent()) ?? '').trim();
      expect(key).toMatch(/^tfa_live_[\w-]{32}$/);
      expect(await page.locator('#curl-example').textContent()).toContain(`-H "X-API-Key: ${key}"`);
      await page.getByRole('button', { name: 'Copy key' }).click();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
      await page.screenshot({ path: join(SHOTS, 'new-key.png'), mask: [page.locator('#new-key, #curl-example')] });

      // Use the free plan's minute up (5), and one more that is refused.
      for (let i = 0; i < 5; i++) expect((await generate(app.base, key)).status).toBe(200);
      expect((await generate(app.base, key)).status).toBe(429);

      // After a flush and a reload: the numbers of /usage, and the charts.
      await app.paid.usage.flush();
      await page.goto(`${app.base}/dashboard`);
      expect(await page.locator('#new-key').count()).toBe(0); // never shown again
      expect(await page.content()).not.toContain(key);
      const api = (await usage(app.base, key)).body.data as {
        limits: Record<string, { limit: number; remaining: number }>;
      };
      for (const w of ['minute', 'hour']) {
        const limits = api.limits[w] as { limit: number; remaining: number };
        expect(await cell(page, w, 'used'), w).toBe(String(limits.limit - limits.remaining));
        expect(await cell(page, w, 'limit'), w).toBe(String(limits.limit));
      }
      expect(await cell(page, 'minute', 'used')).toBe('5');
      expect(await cell(page, 'minute', 'limit')).toBe('5');
      expect(await cell(page, 'hour', 'used')).toBe('5');
      for (const chart of ['#chart-daily', '#chart-hourly']) {
        expect(await page.locator(chart).getAttribute('data-admitted'), chart).toBe('5');
        expect(await page.locator(chart).getAttribute('data-refused'), chart).toBe('1');
        const last = page.locator(`${chart} svg g`).last();
        expect(await last.locator('title').textContent()).toMatch(/: 5 admitted, 1 refused$/);
        expect(Number(await last.locator('rect').first().getAttribute('height'))).toBeGreaterThan(0);
      }
      await checkAccessible(page);
      await page.screenshot({ path: join(SHOTS, 'overview.png'), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${app.base}/dashboard`);
      // Nothing makes the page wider than the phone (wide tables scroll inside their own box).
      expect(await page.evaluate(() => document.scrollingElement?.scrollWidth)).toBeLessThanOrEqual(390);
      const wide = await page.evaluate(() =>
        [...document.querySelectorAll('body *')]
          .filter((e) => e.closest('.scroll') === null && e.getBoundingClientRect().right > 391)
          .map((e) => e.outerHTML.slice(0, 100)),
      );
      expect(wide).toEqual([]);
      // The keys table reflows: every cell, its actions included, is within the phone's width.
      const clipped = await page.evaluate(() =>
        [...document.querySelectorAll('#keys td, #keys button')]
          .filter((e) => e.getBoundingClientRect().right > 390)
          .map((e) => e.outerHTML.slice(0, 100)),
      );
      expect(clipped).toEqual([]);
      await checkAccessible(page);
      await page.screenshot({ path: join(SHOTS, 'overview-phone.png') });
      await page.setViewportSize({ width: 1100, height: 900 });
      await page.goto(`${app.base}/dashboard`);

      // Rotate with the default grace period: both keys work.
      const [old] = await listKeys(db.pool, ada.id);
      await page.locator(`tr[data-key-id="${old?.id}"]`).getByRole('button', { name: 'Rotate' }).click();
      const fresh = ((await page.locator('#new-key').textContent()) ?? '').trim();
      expect(fresh).toMatch(/^tfa_live_/);
      expect(fresh).not.toBe(key);
      now += 60_000; // the next minute
      expect((await generate(app.base, key)).status).toBe(200);
      expect((await generate(app.base, fresh)).status).toBe(200);
      await page.goto(`${app.base}/dashboard`);
      expect(await page.locator(`tr[data-key-id="${old?.id}"] .status`).textContent()).toMatch(
        /^rotating, works until/,
      );
      expect(await cell(page, 'minute', 'used')).toBe('2'); // one quota for both keys

      // Revoke the old key: 401 (once the key cache's TTL has passed), the new one still works.
      await page
        .locator(`tr[data-key-id="${old?.id}"]`)
        .getByRole('button', { name: /^Revoke/ })
        .click();
      await page.waitForURL(`${app.base}/dashboard`);
      expect(await page.locator(`tr[data-key-id="${old?.id}"] .status`).textContent()).toBe('revoked');
      now += TTL + 1;
      expect((await generate(app.base, key)).status).toBe(401);
      expect((await generate(app.base, fresh)).status).toBe(200);

      // Sign out; an operator moves the customer to pro.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(`${app.base}/dashboard/login`);
      await signIn(page, 'ops@example.com');
      expect(page.url()).toBe(`${app.base}/dashboard/admin`);
      const row = page.locator(`tr[data-customer-id="${ada.id}"]`);
      await row.getByLabel('Plan').selectOption('pro');
      await row.getByRole('button', { name: 'Change plan' }).click();
      await page.waitForURL(`${app.base}/dashboard/admin`);
      expect(await page.locator('#audit tbody tr').first().textContent()).toContain('plan.set');
      expect(await row.getByLabel('Plan').inputValue()).toBe('pro');
      await checkAccessible(page);
      await page.screenshot({ path: join(SHOTS, 'admin.png'), fullPage: true });
      // The operators' tables reflow on a phone too.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${app.base}/dashboard/admin`);
      expect(
        await page.evaluate(() =>
          [...document.querySelectorAll('main td, main button, main input, main select')]
            .filter((e) => e.getBoundingClientRect().right > 390)
            .map((e) => e.outerHTML.slice(0, 100)),
        ),
      ).toEqual([]);
      await page.setViewportSize({ width: 1100, height: 900 });

      // The new limits apply: pro allows 30 a minute.
      now += TTL + 1;
      const after = (await usage(app.base, fresh)).body.data as { plan: string; limits: { minute: { limit: number } } };
      expect(after.plan).toBe('pro');
      expect(after.limits.minute.limit).toBe(30);
      for (let i = 0; i < 10; i++) expect((await generate(app.base, fresh)).status).toBe(200);
      await page.close();
    }, 120_000);
  },
);
