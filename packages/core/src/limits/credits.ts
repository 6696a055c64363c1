import { TwoFaConfigError } from '../http/errors.js';
import { checkFlag, checkNumber, checkOptionsObject } from '../option-checks.js';
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

/** Prepaid credits: who pays, what a request costs, the alerts (see the guide on prepaid credits). */
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

const COST_NAMES = ['generate', 'verify', 'usage'] as const;
const CREDITS_NAMES = ['required', 'lowBalance'] as const;

/** Checks `costs` and `credits` once, at construction. */
export function resolveCredits(
  costs: RouteCosts | undefined,
  options: CreditsOptions | false | undefined,
  store: LimiterStore,
): CreditConfig | false {
  const given = checkOptionsObject('costs', costs, COST_NAMES);
  const resolved = {
    generate: checkNumber('costs.generate', given.generate, { min: 0 }, DEFAULT_COSTS.generate),
    verify: checkNumber('costs.verify', given.verify, { min: 0 }, DEFAULT_COSTS.verify),
    usage: checkNumber(
      'costs.usage',
      given.usage,
      { min: 0, max: 0, alternative: '(the usage route counts no quota)' },
      0,
    ),
  };
  if (options === false) return false;
  const credits = checkOptionsObject('credits', options, CREDITS_NAMES);
  const required = checkFlag('credits.required', credits.required, false);
  const lowBalance = checkNumber('credits.lowBalance', credits.lowBalance, { min: 0 }, 0);
  if (typeof store.topUp !== 'function') {
    // A store without balances: nobody could ever hold credits.
    if (required) throw new TwoFaConfigError('credits.required needs a store that keeps credits (topUp)');
    return false;
  }
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
