/**
 * The API reference page (`docs: true`): every adapter serves the page and its two scripts from the
 * route table (the page and scripts are the documented exceptions to the JSON envelope), off by
 * default; and in a real headless Chromium (Debian's `chromium`, driven by playwright-core) the
 * example server's page renders every operation with no Content-Security-Policy violation and no
 * request leaving the server.
 */
import { existsSync } from 'node:fs';
import { ADAPTERS, contractOptions, TestClock } from '@twofa-kit/contract';
import { ensureBuilt, type RunningExample, startExample } from '@twofa-kit/testing/example-process';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';

function chromiumEnabled(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const message = `${CHROMIUM} not found: the API reference page's browser test needs it (apt-get install chromium)`;
  if (process.env.CI) throw new Error(`${message}; refusing to skip under CI`);
  console.warn(`\n!!! SKIPPING ${message}\n`);
  return false;
}

describe.each(ADAPTERS)('$name serves the API reference page from the route table', (harness) => {
  it('at {prefix}/docs with its scripts, under a strict Content-Security-Policy; off by default', async () => {
    const off = await harness.start(contractOptions(new TestClock()));
    try {
      const res = await fetch(`${off.url}/api/2fa/docs`);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ code: 404, data: null });
    } finally {
      await off.close();
    }

    const on = await harness.start({ ...contractOptions(new TestClock()), docs: true });
    try {
      const page = await fetch(`${on.url}/api/2fa/docs`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/unsafe-eval|https?:|\*/);
      const html = await page.text();
      expect(html).toContain('data-url="/api/2fa/openapi.json"');
      expect(html).not.toMatch(/<script>|<script [^>]*src="https?:/);

      for (const [path, type] of [
        ['/api/2fa/docs/init.js', 'text/javascript; charset=utf-8'],
        ['/api/2fa/docs/api-reference.js?v=1', 'text/javascript; charset=utf-8'],
      ] as const) {
        const script = await fetch(`${on.url}${path}`);
        expect(script.status, path).toBe(200);
        expect(script.headers.get('content-type')).toBe(type);
        expect(script.headers.get('x-content-type-options')).toBe('nosniff');
        expect((await script.text()).length).toBeGreaterThan(100);
      }
      // JSON answers keep the envelope; the document does not list the page.
      const doc = (await (await fetch(`${on.url}/api/2fa/openapi.json`)).json()) as { paths: object };
      expect(Object.keys(doc.paths).some((p) => p.includes('/docs'))).toBe(false);
      expect(await (await fetch(`${on.url}/api/2fa/docs/nope.js`)).json()).toMatchObject({ code: 404 });
    } finally {
      await on.close();
    }
  });
});

describe.skipIf(!chromiumEnabled())('the API reference page in Chromium', () => {
  let example: RunningExample | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    await ensureBuilt('fastify');
    example = await startExample('fastify', { TWOFA_API_KEYS: 'docs-page-key-0001:free' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await example?.stop();
  });

  it('renders every operation, with no CSP violation, no console error and no outside request', async () => {
    const url = example?.url ?? '';
    const page = await (browser as Browser).newPage();
    const problems: string[] = [];
    const outside: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning' || m.text().startsWith('CSP')) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => {
      if (!r.url().startsWith(url) && !r.url().startsWith('data:')) outside.push(r.url());
    });
    await page.addInitScript(() =>
      document.addEventListener('securitypolicyviolation', (e) =>
        console.log(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`),
      ),
    );
    const res = await page.goto(`${url}/api/2fa/docs`);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    for (const summary of ['Generate the current TOTP code', 'Check a TOTP code', "The caller's plan and quota"]) {
      await page.getByText(summary, { exact: false }).first().waitFor({ timeout: 20_000 });
    }
    const text = await page.evaluate(() => document.body.textContent ?? '');
    for (const path of ['/api/2fa/generate', '/api/2fa/verify', '/api/2fa/usage']) expect(text).toContain(path);
    expect(problems).toEqual([]);
    expect(outside).toEqual([]);
    await page.close();
  }, 60_000);
});
