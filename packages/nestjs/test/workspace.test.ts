import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');

// Nest injects by class: the package and the apps that test it must load the same @nestjs/core, or
// the module cannot be given Nest's HttpAdapterHost. pnpm can resolve two copies (one per set of
// optional peers); re-resolve those workspaces' lockfile entries together when this fails.
it('the package, the contract, the example and the bench load one @nestjs/core', () => {
  const copies = ['packages/nestjs', 'internal/contract', 'examples/nestjs', 'internal/bench'].map((dir) =>
    realpathSync(createRequire(join(ROOT, dir, 'package.json')).resolve('@nestjs/core/package.json')),
  );
  expect(new Set(copies).size, copies.join('\n')).toBe(1);
});
