/** The paid API's own errors. */

/** A mistake in what was asked (unknown customer, plan, bad value): the CLI prints its message. */
export class PaidApiError extends Error {
  override readonly name = 'PaidApiError';
}
