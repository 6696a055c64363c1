import { TwoFaConfigError } from '../http/errors.js';
import { checkKnownOptions, checkNumber } from '../option-checks.js';
import type { Identity, PlanLimits } from '../types.js';
import type { WindowSpec } from './stores/types.js';
import { CALENDAR_MONTH } from './stores/windows.js';

export type PlanTable = Readonly<Record<string, PlanLimits>>;

/** The API documentation's plans. Replace or extend them with the `plans` option. */
export const DEFAULT_PLANS: PlanTable = Object.freeze({
  free: Object.freeze({ minute: 5, hour: 100, day: null, month: null }),
  pro: Object.freeze({ minute: 30, hour: 1_000, day: 10_000, month: null }),
  ultra: Object.freeze({ minute: 100, hour: 5_000, day: null, month: null }),
});

/**
 * The windows, in the order they appear in the RateLimit headers. The month is the UTC calendar
 * month (`CALENDAR_MONTH`): its length in the headers is the current month's.
 */
export const WINDOWS = [
  { name: 'minute', seconds: 60 },
  { name: 'hour', seconds: 3_600 },
  { name: 'day', seconds: 86_400 },
  { name: 'month', seconds: CALENDAR_MONTH },
] as const satisfies readonly { name: keyof PlanLimits; seconds: number }[];

function checkLimit(where: string, value: unknown): number | null {
  if (value === null) return null;
  return checkNumber(where, value, { min: 1, alternative: 'or null (unlimited)' }, 0);
}

/** Validates one plan's limits; a missing window is unlimited. */
export function checkPlan(name: string, plan: unknown): PlanLimits {
  if (typeof plan !== 'object' || plan === null) {
    throw new TwoFaConfigError(`plan "${name}" must be an object like { minute, hour, day, month }`);
  }
  const p = plan as Record<string, unknown>;
  checkKnownOptions(`plan "${name}"`, p, ['minute', 'hour', 'day', 'month'], 'window');
  return Object.freeze({
    minute: checkLimit(`plans.${name}.minute`, p.minute ?? null),
    hour: checkLimit(`plans.${name}.hour`, p.hour ?? null),
    day: checkLimit(`plans.${name}.day`, p.day ?? null),
    month: checkLimit(`plans.${name}.month`, p.month ?? null),
  });
}

/**
 * The resolved plan table: the defaults, with `plans` adding or replacing entries by name.
 * With `replace: true` the given table is used alone.
 */
export function resolvePlans(plans: Record<string, Partial<PlanLimits>> | undefined, replace = false): PlanTable {
  const out: Record<string, PlanLimits> = replace ? {} : { ...DEFAULT_PLANS };
  for (const [name, plan] of Object.entries(plans ?? {})) out[name] = checkPlan(name, plan);
  if (Object.keys(out).length === 0) throw new TwoFaConfigError('the plan table is empty');
  return Object.freeze(out);
}

/**
 * The limited windows for an identity: its plan's limits with the per-key overrides applied.
 * Returns `undefined` for a plan the table does not know, or an override that is not `null` or a
 * non-negative integer (the caller treats that as a store misconfiguration, a 500, never as
 * "unlimited").
 */
export function windowsFor(plans: PlanTable, identity: Identity): WindowSpec[] | undefined {
  const plan = Object.hasOwn(plans, identity.plan) ? plans[identity.plan] : undefined;
  if (plan === undefined) return undefined;
  const out: WindowSpec[] = [];
  for (const w of WINDOWS) {
    const override = identity.limits?.[w.name];
    const limit = override === undefined ? plan[w.name] : override;
    if (limit === null) continue;
    // A garbage override ("10", -1, NaN) fails closed like an unknown plan; it never means unlimited.
    if (!Number.isSafeInteger(limit) || limit < 0) return undefined;
    out.push({ name: w.name, seconds: w.seconds, limit });
  }
  return out;
}
