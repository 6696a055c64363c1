/**
 * The paid-API docs stay true: docs/guides/paid-api.md and the example's README quote the CLI's usage and
 * the host app verbatim, state the key cache's default TTL as the revocation bound, list the
 * environment the server reads, and the root README links the page.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CODE_LIMIT,
  DEFAULT_GRACE_SECONDS,
  DEFAULT_KEY_CACHE_TTL_MS,
  DEFAULT_MAIL_LIMIT,
  DEFAULT_SIGN_IN_LIMIT,
  LINK_TTL_SECONDS,
  RECOVERY_CODE_COUNT,
  SESSION_TTL_SECONDS,
  USAGE,
} from '../src/index.js';
import { ROOT } from './support/process.js';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const page = read('docs/guides/paid-api.md');
const exampleReadme = read('apps/paid-api/README.md');

describe('docs/guides/paid-api.md and apps/paid-api/README.md', () => {
  it('quote the CLI usage verbatim', () => {
    for (const doc of [page, exampleReadme]) {
      const block = /<!-- usage: apps\/paid-api\/src\/cli\/usage.ts -->\n```\n([\s\S]*?)```/.exec(doc);
      expect(block?.[1]).toBe(`${USAGE}\n`);
    }
  });

  it('quote the host app verbatim', () => {
    const snippets = [...page.matchAll(/<!-- snippet: (\S+) -->\n```ts\n([\s\S]*?)```/g)];
    expect(snippets.map((m) => m[1])).toEqual(['apps/paid-api/src/app.ts']);
    for (const [, path, code] of snippets) expect(code).toBe(read(path as string));
  });

  it('state the defaults the code has: the revocation bound and the grace period', () => {
    const ttl = `\`KEY_CACHE_TTL_MS\` (default ${DEFAULT_KEY_CACHE_TTL_MS.toLocaleString('en-US')} ms)`;
    expect(page).toContain(ttl);
    expect(page).toMatch(new RegExp(`\\| +\`KEY_CACHE_TTL_MS\` +\\| +\`${DEFAULT_KEY_CACHE_TTL_MS}\` +\\|`));
    expect(exampleReadme).toContain(
      `\`KEY_CACHE_TTL_MS\` (default ${DEFAULT_KEY_CACHE_TTL_MS.toLocaleString('en-US')}`,
    );
    expect(page).toContain(`grace period (default ${DEFAULT_GRACE_SECONDS.toLocaleString('en-US')} s)`);
  });

  it('list every variable the server reads', () => {
    const read = [
      ...new Set(
        [...readFileSync(join(ROOT, 'apps/paid-api/src/config.ts'), 'utf8').matchAll(/env\.([A-Z_]+)/g)].map(
          (m) => m[1],
        ),
      ),
    ];
    expect(read.length).toBeGreaterThan(2);
    for (const name of read) expect(page, name).toContain(`\`${name}\``);
  });

  it('state the self-service numbers the code has', () => {
    const flat = page.replace(/\s+/g, ' ');
    expect(LINK_TTL_SECONDS.reset).toBe(30 * 60);
    expect(flat).toContain('valid 30 minutes and once');
    expect(flat).toContain(`valid ${LINK_TTL_SECONDS.verify / 3600} hours`);
    expect(flat).toContain(`then ${RECOVERY_CODE_COUNT} recovery codes`);
    const mail = DEFAULT_MAIL_LIMIT;
    expect(flat).toContain(`per address (${mail.perAccount}) and per client address (${mail.perAddress}) an hour`);
    expect(mail.windowSeconds).toBe(3_600);
    const code = DEFAULT_CODE_LIMIT;
    expect(flat).toContain(
      `per account (${code.perAccount}) and per client address (${code.perAddress}) per ${code.windowSeconds / 60} minutes`,
    );
    for (const doc of [page, exampleReadme]) {
      for (const name of ['PUBLIC_URL', 'SMTP_URL', 'MAIL_FROM', 'DASHBOARD_SIGNUP', 'DASHBOARD_SECRET_KEY']) {
        expect(doc, name).toContain(`\`${name}\``);
      }
    }
  });

  it('are linked: the README links the page, the example README links the page', () => {
    expect(read('README.md')).toContain('[Running a paid API](docs/guides/paid-api.md)');
    expect(exampleReadme).toContain('(../../docs/guides/paid-api.md)');
    expect(page.startsWith('# Running a paid API\n')).toBe(true);
  });

  it('show the Dashboard: a Run it command, the screenshots the browser test takes, the stated limits', () => {
    expect(page).toContain('**Run it**');
    expect(page).toMatch(/DASHBOARD_ADMIN_EMAIL=\S+ DASHBOARD_ADMIN_PASSWORD=\S+ pnpm --dir apps\/paid-api start\n/);
    const e2e = read('apps/paid-api/test/dashboard-e2e.test.ts');
    const taken = [...e2e.matchAll(/join\(SHOTS, '([\w-]+\.png)'\)/g)].map((m) => m[1] as string);
    expect(taken.length).toBeGreaterThanOrEqual(4);
    // The self-service journey's screenshots: shoot(page, 'name.png').
    const journey = read('apps/paid-api/test/self-service-e2e.test.ts');
    const shots = [...journey.matchAll(/shoot\(page, '([\w-]+\.png)'/g)].map((m) => m[1] as string);
    expect(shots.length).toBeGreaterThanOrEqual(8);
    taken.push(...shots);
    for (const shot of taken) {
      expect(page, shot).toContain(`(../dashboard/${shot})`);
      expect(existsSync(join(ROOT, 'docs/dashboard', shot)), shot).toBe(true);
    }
    const { perEmail, perAddress, windowSeconds } = DEFAULT_SIGN_IN_LIMIT;
    expect(page).toContain(`per email (${perEmail}) and per client address (${perAddress}; IPv6 per /64, /56 and /48)`);
    expect(page).toContain(`per ${windowSeconds / 60} minutes`);
    expect(page).toContain(`an expiry (${SESSION_TTL_SECONDS / 3600} hours)`);
  });
});
