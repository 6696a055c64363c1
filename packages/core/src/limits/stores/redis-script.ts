import type { ConsumeResult, WindowSpec, WindowState } from './types.js';
import { BOUNDS_LUA, windowEnd, windowStart } from './windows.js';

/**
 * The Lua of the Redis limiter. One hash per identity holds, for each window length `S`, the
 * start of the window it counts (`sS`) and the count (`cS`) — the same triples the memory store
 * keeps. Time is Redis's own `TIME`, never an instance's clock, so instances with skewed clocks
 * agree on windows. `TIME` in a script that writes needs effects replication: the default since
 * Redis 5 and the only mode since Redis 7 (`redis.replicate_commands()` turns it on for 3.2–4).
 *
 * The month (seconds `0`, `CALENDAR_MONTH`) is the UTC calendar month, computed from `TIME` in
 * Lua (`BOUNDS_LUA`).
 *
 * KEYS[1] = the identity's hash. ARGV = seconds1, limit1, seconds2, limit2, ... and, for tests
 * only, a last odd argument: the Unix ms to use instead of `TIME` (see `RedisStoreOptions.testClock`).
 * Reply: { admitted (1|0), nowMs, count1, count2, ... } — the counts after this call.
 */
const READ_BODY = `local n = math.floor(#ARGV / 2)
local nowS, nowMs
if #ARGV > 2 * n then
  nowMs = tonumber(ARGV[#ARGV])
  nowS = math.floor(nowMs / 1000)
else
  local time = redis.call('TIME')
  nowS = tonumber(time[1])
  nowMs = nowS * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local fields = {}
for i = 1, n do
  fields[2 * i - 1] = 's' .. ARGV[2 * i - 1]
  fields[2 * i] = 'c' .. ARGV[2 * i - 1]
end
local stored = redis.call('HMGET', key, unpack(fields))
local reply = { 0, nowMs }
local starts = {}
local ends = {}
local blocked = false
for i = 1, n do
  local seconds = tonumber(ARGV[2 * i - 1])
  local start, stop = bounds(seconds, nowS)
  local count = 0
  if tonumber(stored[2 * i - 1]) == start then count = tonumber(stored[2 * i]) or 0 end
  starts[i] = start
  ends[i] = stop
  reply[i + 2] = count
  if count >= tonumber(ARGV[2 * i]) then blocked = true end
end
if not blocked then reply[1] = 1 end
`;

const WRITE_BODY = `if not blocked then
  local set = {}
  local ttl = 1
  for i = 1, n do
    local seconds = ARGV[2 * i - 1]
    reply[i + 2] = reply[i + 2] + 1
    set[#set + 1] = 's' .. seconds
    set[#set + 1] = starts[i]
    set[#set + 1] = 'c' .. seconds
    set[#set + 1] = reply[i + 2]
    local left = ends[i] * 1000 - nowMs
    if left > ttl then ttl = left end
  end
  redis.call('HSET', key, unpack(set))
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
`;

const READ = `${BOUNDS_LUA}
local key = KEYS[1]
${READ_BODY}`;

/** Checks every window; counts the request in all of them, or (when one is full) in none. */
export const CONSUME_LUA = `if redis.replicate_commands then redis.replicate_commands() end
${READ}
${WRITE_BODY}return reply
`;

/** The same reads, writing nothing. */
export const PEEK_LUA = `${READ}
return reply
`;

/**
 * Several calls in one script run: the calls a `RedisStore` received within one event-loop turn
 * (single server or Sentinel; never a Cluster, whose keys lie in different slots). Each call runs
 * exactly the consume or peek script's body on its own key and its own arguments, in a `pcall`, so
 * a failing call (a foreign value under its key: WRONGTYPE) fails alone and the others still count.
 *
 * KEYS = one key per call. ARGV, per call in the same order: `c` (consume) or `p` (peek), the
 * number of that call's arguments, then those arguments (as for the single scripts).
 * Reply: one element per call: the single script's reply, or an error reply.
 */
export const BATCH_LUA = `if redis.replicate_commands then redis.replicate_commands() end
${BOUNDS_LUA}
local function call(key, ARGV, write)
${READ_BODY}if write then
${WRITE_BODY}end
return reply
end
local out = {}
local p = 1
for k = 1, #KEYS do
  local argc = tonumber(ARGV[p + 1])
  local argv = {}
  for j = 1, argc do argv[j] = ARGV[p + 1 + j] end
  local ok, res = pcall(call, KEYS[k], argv, ARGV[p] == 'c')
  if ok then
    out[k] = res
  elseif type(res) == 'table' and res.err ~= nil then
    out[k] = res
  else
    out[k] = { err = tostring(res) }
  end
  p = p + argc + 2
end
return out
`;

/** ARGV for the scripts: `seconds, limit` per window, then `nowMs` when a test clock is given. */
export function scriptArgs(windows: readonly WindowSpec[], nowMs?: number): string[] {
  const args: string[] = new Array(windows.length * 2 + (nowMs === undefined ? 0 : 1));
  for (let i = 0; i < windows.length; i++) {
    const w = windows[i] as WindowSpec;
    args[2 * i] = String(w.seconds);
    args[2 * i + 1] = String(w.limit);
  }
  if (nowMs !== undefined) args[windows.length * 2] = String(Math.floor(nowMs));
  return args;
}

/**
 * Builds the store result from the counts a script returned and Redis's `nowMs`, with the very
 * arithmetic of the memory store: reset at the window's end, `retryAfterMs` the latest reset
 * among the full windows.
 */
export function resultFromReply(reply: unknown, windows: readonly WindowSpec[]): ConsumeResult {
  if (!Array.isArray(reply) || reply.length !== windows.length + 2) {
    throw new Error('unexpected reply from the limiter script');
  }
  const admitted = Number(reply[0]) === 1;
  const nowMs = Number(reply[1]);
  const nowS = Math.floor(nowMs / 1000);
  const states: WindowState[] = new Array(windows.length);
  let retryAfterMs = 0;
  for (let i = 0; i < windows.length; i++) {
    const w = windows[i] as WindowSpec;
    const count = Number(reply[i + 2]);
    const start = windowStart(w.seconds, nowS);
    const end = windowEnd(w.seconds, start);
    const resetMs = end * 1000 - nowMs;
    if (!admitted && count >= w.limit) retryAfterMs = Math.max(retryAfterMs, resetMs);
    states[i] = {
      name: w.name,
      seconds: end - start,
      limit: w.limit,
      remaining: Math.max(0, w.limit - count),
      resetMs,
    };
  }
  return { allowed: admitted, windows: states, retryAfterMs };
}
