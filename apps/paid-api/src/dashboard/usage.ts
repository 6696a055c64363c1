/** A customer's usage per window, as the kit counts it. */
import { type TwoFa, WINDOWS, type WindowSpec } from '@twofa-kit/core';
import type { Customer } from '../accounts/customers.js';
import type { WindowUsage } from './views/overview.js';

interface WindowUsageSpec {
  readonly name: string;
  readonly seconds: number;
  readonly limit: number | null;
}

/** The limited windows of a customer, as the kit computes them: the plan with the overrides applied. */
export function customerWindows(twoFa: TwoFa, customer: Pick<Customer, 'plan' | 'limits'>): WindowUsageSpec[] {
  const plan = twoFa.config.plans[customer.plan];
  return WINDOWS.map((w) => {
    const override = customer.limits[w.name];
    const limit = override === undefined ? (plan?.[w.name] ?? null) : override;
    return { name: w.name, seconds: w.seconds, limit };
  });
}

/** Used / limit / reset per window: the kit's store `peek` on the customer's id (what `/usage` reads). */
export async function customerUsage(twoFa: TwoFa, customer: Customer): Promise<WindowUsage[]> {
  const all = customerWindows(twoFa, customer);
  const limited = all.filter((w): w is WindowSpec => w.limit !== null);
  const peeked = limited.length === 0 ? [] : (await twoFa.config.store.peek(customer.id, limited)).windows;
  return all.map((w) => {
    const state = peeked.find((s) => s.name === w.name);
    if (w.limit === null || state === undefined) return { name: w.name, limit: null, used: null, reset: null };
    return {
      name: w.name,
      limit: state.limit,
      used: state.limit - state.remaining,
      reset: Math.max(1, Math.ceil(state.resetMs / 1000)),
    };
  });
}
