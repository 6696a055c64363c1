import { NOW_LUA } from './redis-clock.js';

/**
 * The Lua of the failed-auth guard in Redis: one hash per bucket (`s` window start, `c` count),
 * all of one client's buckets in one call on Redis's own clock, so instances sharing a Redis share
 * one budget. KEYS = the buckets (one hash slot: their names share the client's group as hash tag).
 * ARGV[1] = 'count' | 'peek' | 'release' (takes back one failure counted in this window, never
 * below 0), ARGV[2] = window seconds, ARGV[3..] = each bucket's limit; for tests only, one more:
 * the Unix ms to use instead of `TIME` (see `RedisStoreOptions.testClock`).
 * Reply: { remaining (smallest, after this call), resetMs }.
 */
export const GUARD_LUA = `if redis.replicate_commands then redis.replicate_commands() end
${NOW_LUA}
local nowS, nowMs = now(ARGV[#KEYS + 3])
local seconds = tonumber(ARGV[2])
local start = nowS - (nowS % seconds)
local resetMs = (start + seconds) * 1000 - nowMs
local count = ARGV[1] == 'count'
local release = ARGV[1] == 'release'
local remaining = nil
for i, key in ipairs(KEYS) do
  local stored = redis.call('HMGET', key, 's', 'c')
  local used = 0
  if tonumber(stored[1]) == start then used = tonumber(stored[2]) or 0 end
  if release and used > 0 then
    used = used - 1
    redis.call('HSET', key, 'c', used)
  end
  if count then
    used = used + 1
    redis.call('HSET', key, 's', start, 'c', used)
    redis.call('PEXPIRE', key, resetMs)
  end
  local left = tonumber(ARGV[i + 2]) - used
  if remaining == nil or left < remaining then remaining = left end
end
return { remaining or 0, resetMs }
`;
