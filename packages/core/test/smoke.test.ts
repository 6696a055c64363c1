import { createTwoFa, staticKeys } from '@twofa-kit/core';
import { describe, expect, it } from 'vitest';

describe('smoke', () => {
  it('generates', async () => {
    const kit = createTwoFa({ resolveKey: staticKeys({ k1: 'free' }), clock: () => 59_000 });
    const res = await kit.handle({
      method: 'GET',
      path: '/generate',
      rawQuery: 'secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8',
      headers: { 'x-api-key': 'k1' },
      body: { kind: 'none' },
    });
    expect(res.status).toBe(200);
    console.log(res);
  });
});
