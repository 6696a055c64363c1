// `@twofa-kit/core/store`: what a limiter store author needs beyond the `LimiterStore` type in the
// root: the window shapes, the calendar-month marker, the window bounds on the UTC clock, and the
// prepaid-credit and threshold shapes `consume` and `peek` take and answer.
export type { GuardBucket, GuardCounter, GuardState } from './limits/stores/guard-types.js';
export type {
  ConsumeOptions,
  ConsumeResult,
  CreditCharge,
  CreditState,
  LimiterStore,
  StoreNotice,
  TopUpResult,
  WindowSpec,
  WindowState,
} from './limits/stores/types.js';
export type { VerifyAttempt, VerifyMemory, VerifyRecord, VerifyRules } from './limits/stores/verify-types.js';
export { CALENDAR_MONTH, windowEnd, windowStart } from './limits/stores/windows.js';
