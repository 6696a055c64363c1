// The public interface of a package's entry points, pinned by one snapshot test per published
// package (`test/public-interface.test.ts`): every runtime export with its kind, as a sorted list,
// so adding, removing or retyping an export changes the snapshot and is a deliberate decision.
// The snapshots live beside the test (`test/__snapshots__/public-interface.test.ts.snap`). A change
// to one is a change of the published API: update it on purpose (`pnpm test public-interface -u`)
// and say so in a changeset.
//
// Types are not listed: they do not exist at run time. A type export is pinned by the code that
// uses it (the examples, the consumer tests and the typecheck of this repository).
import { expect, it } from 'vitest';

/**
 * One test: the runtime names of `entry` (imported as `specifier`, `@twofa-kit/core/store`) match
 * the snapshot. `holds` says what the entry point is for, and names the test and its snapshot.
 */
export function testPublicInterface(specifier: string, entry: object, holds: string): void {
  it(`${specifier}: ${holds}`, () => {
    expect(runtimeExports(entry)).toMatchSnapshot();
  });
}

/** `name: kind` for each runtime export, sorted by name (`createTwoFa: function`, `MemoryStore: class`). */
export function runtimeExports(entry: object): string[] {
  return Object.entries(entry)
    .filter(([name]) => name !== 'default' && name !== '__esModule')
    .map(([name, value]) => `${name}: ${kindOf(value)}`)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function kindOf(value: unknown): string {
  if (typeof value === 'function')
    return /^class\b/.test(Function.prototype.toString.call(value)) ? 'class' : 'function';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
