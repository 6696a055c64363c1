import { TwoFaConfigError } from '../http/errors.js';
import type { Identity } from '../types.js';
import type { CreditCharge, LimiterStore } from './stores/types.js';

/** Credits each route costs. Routes not named cost nothing. */
export interface RouteCosts {
  /** `POST`/`GET /generate`. Default 1. */
  readonly generate?: number;
  /** `POST /verify`. Default 1. */
  readonly verify?: number;
  /** `GET /usage`: only 0 (it counts no quota). Default 0. */
  readonly usage?: number;
}

/** Prepaid credits (see docs/credits.md). */
export interface CreditsOptions {
  /**
   * True: every identity pays, and one without a balance has 0 credits (402 until a top-up);
   * an identity whose key store answers `credits: false` is still exempt. Default false: an
   * identity pays when it holds a balance (a top-up was made for it) or its key store answers
   * `credits: true`; any other identity is not credit-limited.
   */
  readonly required?: boolean;
  /**
   * `credits.low` is reported (through `onEvent`) once when a charge leaves the balance below this
   * many credits, and again only after a top-up. Default 0 (never).
   */
  readonly lowBalance?: number;
}

/** The resolved credit settings; `false` when credits are off. */
export interface CreditConfig {
  readonly costs: Readonly<Record<string, number>>;
  readonly required: boolean;
  readonly lowBalance: number;
  /** The charge of each route, for an identity that pays when it holds a balance and for one that must. */
  readonly charges: ReadonlyMap<string, readonly [optional: CreditCharge, required: CreditCharge]>;
}

export const DEFAULT_COSTS = Object.freeze({ generate: 1, verify: 1, usage: 0 });

function credits(where: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new TwoFaConfigError(`${where} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

/** Checks `costs` and `credits` once, at construction. */
export function resolveCredits(
  costs: RouteCosts | undefined,
  options: CreditsOptions | false | undefined,
  store: LimiterStore,
): CreditConfig | false {
  if (costs !== undefined && (typeof costs !== 'object' || costs === null)) {
    throw new TwoFaConfigError('costs must be an object like { generate: 1, verify: 1, usage: 0 }');
  }
  for (const name of Object.keys(costs ?? {})) {
    if (!Object.hasOwn(DEFAULT_COSTS, name)) {
      throw new TwoFaConfigError(`costs has an unknown route "${name}" (use generate, verify, usage)`);
    }
  }
  const resolved = {
    generate: credits('costs.generate', costs?.generate, DEFAULT_COSTS.generate),
    verify: credits('costs.verify', costs?.verify, DEFAULT_COSTS.verify),
    usage: credits('costs.usage', costs?.usage, DEFAULT_COSTS.usage),
  };
  if (resolved.usage !== 0) throw new TwoFaConfigError('costs.usage must be 0: the usage route counts no quota');
  if (options === false) return false;
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TwoFaConfigError('credits must be false or an object like { required: false, lowBalance: 0 }');
  }
  const required = options?.required ?? false;
  if (typeof required !== 'boolean') throw new TwoFaConfigError('credits.required must be true or false');
  if (typeof store.topUp !== 'function') {
    // A store without balances: nobody could ever hold credits.
    if (required) throw new TwoFaConfigError('credits.required needs a store that keeps credits (topUp)');
    return false;
  }
  const lowBalance = credits('credits.lowBalance', options?.lowBalance, 0);
  const charges = new Map(
    Object.entries(resolved).map(([route, cost]) => {
      const charge = (must: boolean): CreditCharge => Object.freeze({ cost, required: must, lowBalance });
      return [route, [charge(required), charge(true)] as const];
    }),
  );
  return Object.freeze({ costs: Object.freeze(resolved), required, lowBalance, charges });
}

/** What a request to `route` asks of `identity`'s credits, or undefined when it asks nothing. */
export function creditCharge(
  config: CreditConfig | false,
  route: string,
  identity: Identity,
): CreditCharge | undefined {
  if (config === false || identity.credits === false) return undefined;
  return config.charges.get(route)?.[identity.credits === true ? 1 : 0];
}
