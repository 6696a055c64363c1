import { MemoryStore, staticKeys, type TwoFaEvent, twoFaRouter } from '@twofa-kit/express';
import express from 'express';

// Prepaid credits: a key whose identity holds a balance pays 1 credit per generate or verify;
// out of credits it gets 402. Alerts fire once per threshold (80 % and 100 % of an hour, a day or
// a month; the balance falling below 100 credits), whichever instance sees the request.
export function buildApp(keys: Record<string, string>, alert: (event: TwoFaEvent) => void) {
  const store = new MemoryStore(); // a RedisStore shares balances and alerts across instances
  const app = express();
  app.use(
    twoFaRouter({
      resolveKey: staticKeys(keys),
      store,
      credits: { lowBalance: 100 },
      onEvent: (e) => {
        if (e.type === 'quota.threshold' || e.type === 'credits.low') alert(e);
      },
    }),
  );
  // After a payment: credited once per payment id, however often the webhook is retried.
  const addCredits = (identityId: string, amount: number, paymentId: string) =>
    store.topUp(identityId, amount, paymentId);
  return { app, addCredits };
}
