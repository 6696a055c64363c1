/**
 * The Redis script computes the calendar month from Redis's `TIME` in Lua; the memory store and
 * the headers compute it in JS. This runs the script's own Lua (`BOUNDS_LUA`) in a real
 * redis-server over every month's first and last second from 1970 to 2400 and random instants up
 * to the year 9999, and compares each start and end with `windowStart`/`windowEnd`.
 */

import { redisTestsEnabled, useRedis } from '@twofa-kit/testing/redis-clients';
import { describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/index.js';
import { BOUNDS_LUA } from '../../src/limits/stores/windows.js';
import { CALENDAR_MONTH, windowEnd, windowStart } from '../../src/store.js';

const enabled = redisTestsEnabled('the Lua calendar month');

/** Maps each ARGV (Unix seconds) to `start, end` of its window of KEYS-less `seconds`. */
const PROBE = `${BOUNDS_LUA}
local out = {}
local seconds = tonumber(ARGV[1])
for i = 2, #ARGV do
  local start, stop = bounds(seconds, tonumber(ARGV[i]))
  out[#out + 1] = start
  out[#out + 1] = stop
end
return out
`;

function instants(): number[] {
  const out: number[] = [];
  for (let year = 1970; year <= 2400; year++) {
    for (let month = 0; month < 12; month++) {
      const start = Date.UTC(year, month, 1) / 1000;
      out.push(start, start + 1, start + 86_399, start + 86_400, Date.UTC(year, month + 1, 1) / 1000 - 1);
    }
  }
  // A fixed pseudo-random walk (no flakiness): instants up to 9999-12-31.
  let x = 0x2545f491;
  const max = Date.UTC(9999, 11, 31, 23, 59, 59) / 1000;
  for (let i = 0; i < 20_000; i++) {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
    out.push(Math.floor((x / 2 ** 32) * max));
  }
  return out;
}

if (enabled) {
  describe('the Lua calendar month agrees with the JS one', () => {
    const redis = useRedis();

    it('on every month edge 1970–2400 and 20,000 random instants to 9999', async () => {
      const { client } = redis;
      const all = instants();
      expect(all.length).toBeGreaterThan(45_000);
      for (let i = 0; i < all.length; i += 5_000) {
        const chunk = all.slice(i, i + 5_000);
        const reply = (await client.eval(PROBE, 0, String(CALENDAR_MONTH), ...chunk.map(String))) as number[];
        const expected = chunk.flatMap((t) => {
          const start = windowStart(CALENDAR_MONTH, t);
          return [start, windowEnd(CALENDAR_MONTH, start)];
        });
        expect(reply).toEqual(expected);
      }
    });

    it('a month window keeps the hash until the month ends (its TTL comes from the Lua end)', async () => {
      const { client } = redis;
      for (const [now, end] of [
        [Date.UTC(2028, 1, 10, 6), Date.UTC(2028, 2, 1)],
        [Date.UTC(2100, 1, 27, 23, 59, 59, 500), Date.UTC(2100, 2, 1)],
        [Date.UTC(2026, 11, 31, 12), Date.UTC(2027, 0, 1)],
      ] as const) {
        const store = new RedisStore({ client, onRedisError: 'closed', testClock: () => now });
        const id = `ttl-${now}`;
        await store.consume(id, [
          { name: 'minute', seconds: 60, limit: 5 },
          { name: 'month', seconds: CALENDAR_MONTH, limit: 5 },
        ]);
        const ttl = await client.pttl(store.keyFor(id));
        // Set from the script's (test) time; real time passes before PTTL reads it (far less than a day, the
        // smallest error a wrong month end makes).
        expect(ttl).toBeLessThanOrEqual(end - now);
        expect(ttl).toBeGreaterThan(end - now - 60_000);
        await store.close();
      }
    });

    it('fixed windows keep their UTC alignment', async () => {
      const { client } = redis;
      const t = Date.UTC(2026, 5, 1, 12, 34, 56) / 1000;
      for (const seconds of [1, 60, 3_600, 86_400]) {
        const reply = (await client.eval(PROBE, 0, String(seconds), String(t))) as number[];
        expect(reply).toEqual([windowStart(seconds, t), windowEnd(seconds, windowStart(seconds, t))]);
      }
    });
  });
}
