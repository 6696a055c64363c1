/**
 * The clock of the Redis scripts, in Lua: `now(testMs)` returns the Unix seconds and milliseconds
 * of Redis's own `TIME`, or of `testMs` when a test passes one (`RedisStoreOptions.testClock`; nil
 * or '' for `TIME`). Instances with skewed clocks agree because none of them reads its own.
 */
export const NOW_LUA = `
local function now(testMs)
  if testMs ~= nil and testMs ~= '' then
    local ms = tonumber(testMs)
    return math.floor(ms / 1000), ms
  end
  local time = redis.call('TIME')
  local s = tonumber(time[1])
  return s, s * 1000 + math.floor(tonumber(time[2]) / 1000)
end
`;
