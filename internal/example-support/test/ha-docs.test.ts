/**
 * docs/guides/high-availability.md stays true to the client the example servers build: every option row
 * of its Cluster and Sentinel tables whose value is code appears, as `option: value`, in
 * internal/example-support/src/store.ts; the README links the page.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../../', import.meta.url);
const doc = readFileSync(new URL('docs/guides/high-availability.md', ROOT), 'utf8');
const source = readFileSync(new URL('internal/example-support/src/store.ts', ROOT), 'utf8');

/** `[option, value]` of the table rows after `heading`, until the next blank line after the table. */
function optionRows(heading: string): [string, string][] {
  const start = doc.indexOf(heading);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const table = doc.slice(doc.indexOf('| ioredis option', start)).split('\n\n')[0] ?? '';
  return table
    .split('\n')
    .slice(2)
    .map((line) => line.split('|').map((cell) => cell.trim()))
    .map((cells) => [cells[1] ?? '', cells[2] ?? ''] as [string, string]);
}

describe('docs/guides/high-availability.md', () => {
  it.each(['**Cluster with replicas**', '**Sentinel**'])(
    '%s: each coded option is what redisClient sets',
    (heading) => {
      const rows = optionRows(heading);
      const coded = rows.filter(([, value]) => /^`[^`]+`$/.test(value) && !value.startsWith('`[{'));
      expect(coded.length).toBeGreaterThanOrEqual(5);
      for (const [option, value] of coded) {
        const name = option.replace(/`/g, '').split('.').at(-1);
        expect(source, `${option} = ${value}`).toContain(`${name}: ${value.slice(1, -1)}`);
      }
    },
  );

  it('says why failoverDetector is off, as store.ts does', () => {
    expect(doc).toMatch(/Not `failoverDetector: true`/);
    expect(source).toMatch(/Not `failoverDetector`/);
    expect(source).not.toMatch(/^\s*failoverDetector:/m);
  });

  it('is linked from the README', () => {
    const readme = readFileSync(new URL('README.md', ROOT), 'utf8');
    expect(readme).toContain('](docs/guides/high-availability.md)');
  });
});
