/**
 * Set-up for the enclosing `describe`, one piece at a time. `beforeAllValue` makes a piece in a
 * `beforeAll` and releases it in an `afterAll`: pieces are made in the order of the calls and
 * released in the reverse order (vitest runs `afterAll` hooks last registered first), so a piece
 * made from an earlier one is released before it, and when one fails to start the ones before it
 * are still released. `readers` turns the pieces into an object whose properties read them.
 */
import { afterAll, beforeAll } from 'vitest';

/** Reads the piece: in a test or a hook after its `beforeAll`; earlier, throws naming `what`. */
export type Piece<T> = () => T;

export function beforeAllValue<T>(
  what: string,
  make: () => T | Promise<T>,
  release?: (value: T) => unknown,
  timeoutMs?: number,
): Piece<T> {
  let made: { value: T } | undefined;
  beforeAll(async () => {
    made = { value: await make() };
  }, timeoutMs);
  afterAll(async () => {
    if (made !== undefined && release !== undefined) await release(made.value);
  });
  return () => {
    if (made === undefined) throw new Error(`${what} is not started: read it in a test or a hook`);
    return made.value;
  };
}

/** An object whose property `name` reads `pieces[name]()` each time it is read. */
export function readers<P extends Record<string, () => unknown>>(
  pieces: P,
): { readonly [K in keyof P]: ReturnType<P[K]> } {
  const out = {};
  for (const [name, read] of Object.entries(pieces)) Object.defineProperty(out, name, { get: read, enumerable: true });
  return out as { readonly [K in keyof P]: ReturnType<P[K]> };
}
