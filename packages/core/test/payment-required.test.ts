import { createTwoFa, type Identity, MemoryStore, staticKeys, type TwoFaEvent } from '@twofa-kit/core';
import { get, postForm, serve } from '@twofa-kit/testing/http-host';
import { describe, expect, it } from 'vitest';

const KEYS: Record<string, Identity> = {
  kpaid: { id: 'u-paid', plan: 'pro' },
  kunpaid: { id: 'u-unpaid', plan: 'pro', paymentRequired: 'subscription_past_due' },
};

describe('an identity whose owner must pay (Identity.paymentRequired)', () => {
  it('answers 402 Payment required with the reason on every authenticated route, counting nothing', async () => {
    const store = new MemoryStore();
    const events: TwoFaEvent[] = [];
    const s = await serve({ resolveKey: staticKeys(KEYS), store, onEvent: (e) => events.push(e) });
    try {
      for (const path of ['/generate', '/verify', '/usage']) {
        const res =
          path === '/usage'
            ? await get(s.at(path), 'kunpaid')
            : await postForm(s.at(path), { secret: 'JBSWY3DPEHPK3PXP', code: '123456' }, 'kunpaid');
        expect(res.status).toBe(402);
        expect(res.json).toEqual({ code: 402, message: 'Payment required', data: { reason: 'subscription_past_due' } });
      }
      const peek = await store.peek('u-unpaid', [{ name: 'minute', seconds: 60, limit: 30 }]);
      expect(peek.windows[0]?.remaining).toBe(30);
      expect(events.filter((e) => e.kind === 'PAYMENT_REQUIRED').map((e) => e.identityId)).toEqual([
        'u-unpaid',
        'u-unpaid',
        'u-unpaid',
      ]);
      expect((await postForm(s.at('/generate'), { secret: 'JBSWY3DPEHPK3PXP' }, 'kpaid')).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('still answers 401 first for an unknown key', async () => {
    const kit = createTwoFa({ resolveKey: staticKeys(KEYS) });
    const res = await kit.handle({
      method: 'GET',
      path: '/usage',
      rawQuery: '',
      headers: { 'x-api-key': 'nope' },
      body: { kind: 'none' },
    });
    expect(res.status).toBe(401);
    await kit.close();
  });
});
