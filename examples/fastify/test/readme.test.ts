/**
 * The README and the reference pages it links stay true: their code snippets are the example files
 * the other tests run, and the tables are the core's own tables (errors, plans, options in
 * docs/reference/options.md; the example servers' variables in the README).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_PLANS, ERROR_KINDS } from '@twofa-kit/core';
import { ROOT } from '@twofa-kit/testing/example-process';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
/** The reference page the README links: options, errors, plans. */
const reference = readFileSync(join(ROOT, 'docs/reference/options.md'), 'utf8');
/** Every page with snippets: the README first (the example apps), then the docs that quote code. */
const withSnippets = [readme, readFileSync(join(ROOT, 'docs/guides/redis.md'), 'utf8')].join('\n');

/** The rows of the markdown table whose header row starts with `| first |`, as trimmed cells. */
function table(first: string, text = reference): string[][] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^\\| *${first} *\\|`).test(l));
  expect(start, `a table starting with | ${first} |`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (let i = start + 2; i < lines.length && lines[i]?.startsWith('|'); i++) {
    const cells = (lines[i] as string).replaceAll('\\|', '\u0000').split('|').slice(1, -1);
    rows.push(cells.map((c) => c.trim().replaceAll('\u0000', '|')));
  }
  return rows;
}

const fmt = (n: number | null) => (n === null ? 'unlimited' : n.toLocaleString('en-US'));

describe('README.md', () => {
  it('starts with the install-and-start command and the test command, for a machine with only Node.js', () => {
    const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.slice(0, 2)).toEqual([
      'npx -y pnpm@12.4.2 install && npx -y pnpm@12.4.2 start\n',
      'npx -y pnpm@12.4.2 test\n',
    ]);
    const rootPackage = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(rootPackage.packageManager).toBe('pnpm@12.4.2');
    expect(rootPackage.scripts.start).toBe('pnpm --dir examples/fastify start');
  });

  it('quotes every snippet verbatim, the example apps first', () => {
    const snippets = [...withSnippets.matchAll(/<!-- snippet: (\S+) -->\n```(?:ts|js)\n([\s\S]*?)```/g)];
    expect(snippets.map((m) => m[1]).slice(0, 3)).toEqual([
      'examples/fastify/src/app.ts',
      'examples/koa/src/app.ts',
      'examples/express/src/app.ts',
    ]);
    for (const [, path, code] of snippets) {
      expect(code, path).toBe(readFileSync(join(ROOT, path as string), 'utf8'));
    }
    // Hono, Next.js, Bun and Deno: the consumer apps CI installs from the packed packages and runs.
    const paths = snippets.map((m) => m[1]);
    const hono = paths.indexOf('internal/consumer-tests/apps/hono-esm/app.mjs');
    expect(hono).toBeGreaterThan(2);
    expect(paths.slice(hono, hono + 4)).toEqual([
      'internal/consumer-tests/apps/hono-esm/app.mjs',
      'internal/consumer-tests/apps/nextjs/app/api/2fa/[[...path]]/route.ts',
      'internal/consumer-tests/apps/fetch-bun/server.ts',
      'internal/consumer-tests/apps/fetch-deno/server.ts',
    ]);
  });

  it('has the error table of ERROR_KINDS', () => {
    expect(table('kind')).toEqual(
      Object.entries(ERROR_KINDS).map(([kind, { status, message }]) => [`\`${kind}\``, String(status), message]),
    );
  });

  it('has the plan table of DEFAULT_PLANS', () => {
    expect(table('plan')).toEqual(
      Object.entries(DEFAULT_PLANS).map(([name, p]) => [
        `\`${name}\``,
        fmt(p.minute),
        fmt(p.hour),
        fmt(p.day),
        fmt(p.month),
      ]),
    );
  });

  it('documents every field of TwoFaOptions, in order, and no other', () => {
    const source = readFileSync(join(ROOT, 'packages/core/src/options.ts'), 'utf8');
    const body = /export interface TwoFaOptions \{([\s\S]*?)\n\}/.exec(source)?.[1] ?? '';
    const fields = [...body.matchAll(/^ {2}(\w+)\??:/gm)].map((m) => `\`${m[1]}\``);
    expect(fields.length).toBeGreaterThan(5);
    expect(table('option').map((row) => row[0])).toEqual(fields);
  });

  it('documents every variable the example servers read', () => {
    const source = ['env.ts', 'metrics.ts']
      .map((file) => readFileSync(join(ROOT, 'internal/example-support/src', file), 'utf8'))
      .join('\n');
    const read = [...new Set([...source.matchAll(/env\.([A-Z_]+)/g)].map((m) => `\`${m[1]}\``))];
    expect(
      table('variable', readme)
        .map((row) => row[0])
        .sort(),
    ).toEqual(read.sort());
  });
});
