// The request path answers synchronously when every step can: a value that may be a promise
// (`MaybePromise`) is tested with `isThenable` and continued at once when it is not one.

/** True for a promise (or any thenable): the answer is not there yet. */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

/** A step's answer: there now, or later (a promise or another thenable). */
export type MaybePromise<T> = T | PromiseLike<T>;
