// The public interface of a package's entry point as a sorted list, for a snapshot test
// (`test/public-interface.test.ts` in each published package): every runtime export with its kind,
// so adding, removing or retyping an export changes the snapshot and is a deliberate decision.
//
// Types are not listed: they do not exist at run time. A type export is pinned by the code that
// uses it (the examples, the consumer tests and the typecheck of this repository).

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
