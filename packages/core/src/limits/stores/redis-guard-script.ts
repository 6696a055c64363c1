/**
 * The Lua of the failed-auth guard in Redis: one hash per bucket (`s` window start, `c` count),
 * all of one client's buckets in one call on Redis's own clock, so instances sharing a Redis share
 * one budget. KEYS = the buckets (one hash slot: their names share the client's group as hash tag).
 * ARGV[1] = 'count' | 'peek', ARGV[2] = window seconds, ARGV[3..] = each bucket's limit; for tests
 * only, one more: the Unix ms to use instead of `TIME` (see `RedisStoreOptions.testClock`).
 * Reply: { remaining (smallest, after this call), resetMs }.
 */
export const GUARD_LUA = `if redis.replicate_commands then redis.replicate_commands() end
local nowS, nowMs
if #ARGV > #KEYS + 2 then
  nowMs = tonumber(ARGV[#ARGV])
  nowS = math.floor(nowMs / 1000)
else
  local time = redis.call('TIME')
  nowS = tonumber(time[1])
  nowMs = nowS * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local seconds = tonumber(ARGV[2])
local start = nowS - (nowS % seconds)
local resetMs = (start + seconds) * 1000 - nowMs
local count = ARGV[1] == 'count'
local remaining = nil
for i, key in ipairs(KEYS) do
  local stored = redis.call('HMGET', key, 's', 'c')
  local used = 0
  if tonumber(stored[1]) == start then used = tonumber(stored[2]) or 0 end
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
