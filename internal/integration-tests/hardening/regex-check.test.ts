/**
 * No regular expression in the packages' sources can backtrack super-linearly: scripts/check-regexes.mjs
 * (run by CI) checks each with recheck. Here: it passes on the tree, and it does catch the kind of
 * expression issue 9 found (`/\/+$/` trimming a path: quadratic on a long run of `/`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SCRIPT = join(import.meta.dirname, '../../../scripts/check-regexes.mjs');
const run = (...args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });

describe('scripts/check-regexes.mjs', () => {
  it('finds no vulnerable regular expression in packages/*/src (and the declared parameter patterns)', () => {
    const res = run();
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/check-regexes: \d+ regular expressions checked, 0 problems/);
    expect(res.stdout).toContain('route verify, param code');
    expect(res.status).toBe(0);
  });

  it('fails on a vulnerable literal, on a vulnerable new RegExp and on a RegExp it cannot read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'regex-check-'));
    try {
      writeFileSync(
        join(dir, 'bad.ts'),
        [
          "const a = '/x//'.replace(/\\/+$/, ''); // a / in a string: 'a/b' and a comment /not a regex/",
          'const b = 10 / 2 / 5; // divisions',
          "const c = new RegExp('(a+)+$', 'u');",
          'const d = new RegExp(String(b));',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the fixture is TypeScript source text
          'const e = `template /${a}/ ${/^ok$/.test(a)}`;',
        ].join('\n'),
      );
      const res = run(dir);
      expect(res.status).toBe(1);
      expect(res.stderr).toContain('bad.ts:1: /\\/+$/ is VULNERABLE (polynomial)');
      expect(res.stderr).toContain('bad.ts:3: /(a+)+$/u is VULNERABLE (exponential)');
      expect(res.stderr).toContain('bad.ts:4: RegExp built from a non-literal');
      expect(res.stdout).toContain('3 problems');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
