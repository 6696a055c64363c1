import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const text = readFileSync(join(root, 'docs/explanation/architecture.md'), 'utf8');

/** Every code span that names a path in the repository: it has a slash or a file extension. */
function namedPaths(markdown: string): string[] {
  const spans = [...markdown.matchAll(/`([^`\s]+)`/g)].map((m) => m[1] as string);
  return [
    ...new Set(spans.filter((s) => /^[\w.@-]+(\/[\w.@-]*)+$/.test(s) || /^[\w.-]+\.(md|ts|mjs|json|yaml)$/.test(s))),
  ].filter((s) => !s.startsWith('@') && !s.startsWith('/'));
}

describe('docs/explanation/architecture.md', () => {
  const paths = namedPaths(text);

  it('names the main folders', () => {
    expect(paths.length).toBeGreaterThan(20);
    for (const folder of ['packages/core/', 'internal/contract/', 'internal/bench/', 'scripts/', 'docs/']) {
      expect(paths).toContain(folder);
    }
  });

  it.each(paths)('%s exists', (path) => {
    expect(existsSync(join(root, path)), `${path} is named in docs/explanation/architecture.md`).toBe(true);
  });
});
