import request from 'supertest';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AdapterHarness } from '../harness.js';
import { base32, expectEnvelope, GENERATE, KEYS, serveContract, TestClock } from '../helpers.js';

/** RFC 6238 appendix B: the seeds (ASCII), and the 8-digit codes at each time. */
const SEEDS = {
  SHA1: '12345678901234567890',
  SHA256: '12345678901234567890123456789012',
  SHA512: '1234567890123456789012345678901234567890123456789012345678901234',
} as const;

const VECTORS: readonly [number, keyof typeof SEEDS, string][] = [
  [59, 'SHA1', '94287082'],
  [59, 'SHA256', '46119246'],
  [59, 'SHA512', '90693936'],
  [1111111109, 'SHA1', '07081804'],
  [1111111109, 'SHA256', '68084774'],
  [1111111109, 'SHA512', '25091201'],
  [1111111111, 'SHA1', '14050471'],
  [1111111111, 'SHA256', '67062674'],
  [1111111111, 'SHA512', '99943326'],
  [1234567890, 'SHA1', '89005924'],
  [1234567890, 'SHA256', '91819424'],
  [1234567890, 'SHA512', '93441116'],
  [2000000000, 'SHA1', '69279037'],
  [2000000000, 'SHA256', '90698825'],
  [2000000000, 'SHA512', '38618901'],
  [20000000000, 'SHA1', '65353130'],
  [20000000000, 'SHA256', '77737706'],
  [20000000000, 'SHA512', '47863826'],
];

/** The RFC's test vectors through the HTTP surface, with the `digits` and `algorithm` parameters. */
export function rfc6238Suite(harness: AdapterHarness): void {
  describe('RFC 6238 appendix B vectors over HTTP', () => {
    const { app, clock } = serveContract(harness);
    beforeEach(() => clock.set(TestClock.START));

    it.each(VECTORS)('T=%i %s → %s', async (t, algorithm, expected) => {
      clock.set(t * 1000);
      const secret = base32(new TextEncoder().encode(SEEDS[algorithm]));
      const get = await request(app.url)
        .get(`${GENERATE}?secret=${secret}&digits=8&algorithm=${algorithm}`)
        .set('X-API-Key', KEYS.big);
      const data = expectEnvelope(get, 200).data;
      expect(data?.code).toBe(expected);
      expect(data?.timestamp).toBe(t);
      const post = await request(app.url)
        .post(GENERATE)
        .set('X-API-Key', KEYS.big)
        .type('form')
        .send({ secret: secret.toLowerCase(), digits: '8', algorithm: algorithm.toLowerCase() });
      expect(expectEnvelope(post, 200).data?.code).toBe(expected);
    });
  });
}
