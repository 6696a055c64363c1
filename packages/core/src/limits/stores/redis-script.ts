import { noticesOf } from './credits.js';
import { NOW_LUA } from './redis-clock.js';
import type { ConsumeOptions, ConsumeResult, WindowSpec, WindowState } from './types.js';
import { BOUNDS_LUA, windowEnd, windowStart } from './windows.js';

/**
 * The Lua of the Redis limiter. One hash per identity holds, for each window length `S`, the
 * start of the window it counts (`sS`) and the count (`cS`) — the same triples the memory store
 * keeps — and, when the identity holds prepaid credits, its balance (`b`, written by the top-up
 * script), whether `credits.low` was reported since the last top-up (`l`), and per window of an
 * hour or longer the thresholds reported in its current period (`tS` = start * 4 + bits: 1 = 80 %,
 * 2 = 100 %). A hash with a balance never expires (it is money); one without expires when its
 * longest window ends. Time is Redis's own `TIME`, never an instance's clock, so instances with
 * skewed clocks agree on windows. `TIME` in a script that writes needs effects replication: the
 * default since Redis 5 and the only mode since Redis 7 (`redis.replicate_commands()` turns it on
 * for 3.2–4).
 *
 * The month (seconds `0`, `CALENDAR_MONTH`) is the UTC calendar month, computed from `TIME` in
 * Lua (`BOUNDS_LUA`).
 *
 * KEYS[1] = the identity's hash. ARGV = n, then seconds1, limit1, ..., secondsN, limitN, then the
 * Unix ms to use instead of `TIME` (tests only; '' for `TIME`, see `RedisStoreOptions.testClock`),
 * then, optionally: cost (-1: credits not asked), required (1|0), low balance, notify (1|0).
 * Reply: { status (1 admitted | 0 a window is full | 2 the balance does not cover the cost), nowMs,
 * count1, ..., countN (after this call), balance (-1: none), notices (bits 2i, 2i+1: window i
 * crossed 80 %, 100 %; bit 2n: credits fell below the low balance) }.
 */
const READ_BODY = `local n = tonumber(ARGV[1])
local nowS, nowMs = now(ARGV[2 * n + 2])
local cost = tonumber(ARGV[2 * n + 3] or '-1')
local fields = {}
for i = 1, n do
  fields[2 * i - 1] = 's' .. ARGV[2 * i]
  fields[2 * i] = 'c' .. ARGV[2 * i]
end
fields[2 * n + 1] = 'b'
fields[2 * n + 2] = 'l'
local stored = redis.call('HMGET', key, unpack(fields))
local held = stored[2 * n + 1]
local reply = { 0, nowMs }
local starts = {}
local ends = {}
local blocked = false
for i = 1, n do
  local seconds = tonumber(ARGV[2 * i])
  local start, stop = bounds(seconds, nowS)
  local count = 0
  if tonumber(stored[2 * i - 1]) == start then count = tonumber(stored[2 * i]) or 0 end
  starts[i] = start
  ends[i] = stop
  reply[i + 2] = count
  if count >= tonumber(ARGV[2 * i + 1]) then blocked = true end
end
local credit = -1
if cost >= 0 then
  if held then credit = tonumber(held) elseif ARGV[2 * n + 4] == '1' then credit = 0 end
end
if credit >= 0 and credit < cost then
  reply[1] = 2
elseif not blocked then
  reply[1] = 1
end
reply[n + 3] = credit
reply[n + 4] = 0
`;

const WRITE_BODY = `if reply[1] == 1 then
  local notify = ARGV[2 * n + 6] == '1'
  local set = {}
  local ttl = 1
  local weight = 1
  for i = 1, n do
    local seconds = ARGV[2 * i]
    local count = reply[i + 2] + 1
    local limit = tonumber(ARGV[2 * i + 1])
    reply[i + 2] = count
    set[#set + 1] = 's' .. seconds
    set[#set + 1] = starts[i]
    set[#set + 1] = 'c' .. seconds
    set[#set + 1] = count
    local left = ends[i] * 1000 - nowMs
    if left > ttl then ttl = left end
    local s = tonumber(seconds)
    if notify and (s == 0 or s >= 3600) and count * 5 >= limit * 4 then
      local mark = tonumber(redis.call('HGET', key, 't' .. seconds) or '-1')
      local done = 0
      if math.floor(mark / 4) == starts[i] then done = mark % 4 end
      local new = 0
      if done % 2 == 0 then new = 1 end
      if count >= limit and done < 2 then new = new + 2 end
      if new > 0 then
        local all = 0
        if done % 2 == 1 or new % 2 == 1 then all = 1 end
        if done >= 2 or new >= 2 then all = all + 2 end
        set[#set + 1] = 't' .. seconds
        set[#set + 1] = starts[i] * 4 + all
        reply[n + 4] = reply[n + 4] + new * weight
      end
    end
    weight = weight * 4
  end
  if credit >= 0 and cost > 0 and held then
    credit = credit - cost
    set[#set + 1] = 'b'
    set[#set + 1] = credit
    reply[n + 3] = credit
    if notify and credit < tonumber(ARGV[2 * n + 5]) and stored[2 * n + 2] ~= '1' then
      set[#set + 1] = 'l'
      set[#set + 1] = 1
      reply[n + 4] = reply[n + 4] + weight
    end
  end
  if #set > 0 then redis.call('HSET', key, unpack(set)) end
  if not held and redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
`;

const READ = `${BOUNDS_LUA}${NOW_LUA}
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
${BOUNDS_LUA}${NOW_LUA}
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

/**
 * A top-up, once per id. KEYS[1] = the identity's hash, KEYS[2] = its applied top-up ids (same
 * hash tag, so one slot). ARGV = amount, top-up id. Reply: { balance, applied (1|0) }. The hash
 * stops expiring: a balance is kept until the host removes it.
 */
export const TOP_UP_LUA = `if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[1]) == 0 then
  return { tonumber(redis.call('HGET', KEYS[1], 'b') or '0'), 0 }
end
local balance = redis.call('HINCRBY', KEYS[1], 'b', ARGV[1])
redis.call('HDEL', KEYS[1], 'l')
redis.call('PERSIST', KEYS[1])
return { balance, 1 }
`;

/** A refund: KEYS[1] = the identity's hash, ARGV[1] = amount; only to an identity with a balance. */
export const REFUND_LUA = `if redis.call('HEXISTS', KEYS[1], 'b') == 1 then
  return redis.call('HINCRBY', KEYS[1], 'b', ARGV[1])
end
return -1
`;

/** ARGV for the scripts: the windows, the test clock (or ''), then the credits and notices asked. */
export function scriptArgs(windows: readonly WindowSpec[], nowMs?: number, options?: ConsumeOptions): string[] {
  const n = windows.length;
  const extra = options?.credits !== undefined || options?.notify === true;
  const args: string[] = new Array(2 * n + 2 + (extra ? 4 : 0));
  args[0] = String(n);
  for (let i = 0; i < n; i++) {
    const w = windows[i] as WindowSpec;
    args[2 * i + 1] = String(w.seconds);
    args[2 * i + 2] = String(w.limit);
  }
  args[2 * n + 1] = nowMs === undefined ? '' : String(Math.floor(nowMs));
  if (extra) {
    const credits = options?.credits;
    args[2 * n + 2] = credits === undefined ? '-1' : String(credits.cost);
    args[2 * n + 3] = credits?.required ? '1' : '0';
    args[2 * n + 4] = String(credits?.lowBalance ?? 0);
    args[2 * n + 5] = options?.notify ? '1' : '0';
  }
  return args;
}

/**
 * Builds the store result from the counts a script returned and Redis's `nowMs`, with the very
 * arithmetic of the memory store: reset at the window's end, `retryAfterMs` the latest reset
 * among the full windows.
 */
export function resultFromReply(
  reply: unknown,
  windows: readonly WindowSpec[],
  options?: ConsumeOptions,
): ConsumeResult {
  if (!Array.isArray(reply) || reply.length !== windows.length + 4) {
    throw new Error('unexpected reply from the limiter script');
  }
  const status = Number(reply[0]);
  const admitted = status === 1;
  const short = status === 2;
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
    if (status === 0 && count >= w.limit) retryAfterMs = Math.max(retryAfterMs, resetMs);
    states[i] = {
      name: w.name,
      seconds: end - start,
      limit: w.limit,
      remaining: Math.max(0, w.limit - count),
      resetMs,
    };
  }
  const result: ConsumeResult = { allowed: admitted, windows: states, retryAfterMs };
  const balance = Number(reply[windows.length + 2]);
  const mask = Number(reply[windows.length + 3]);
  const charge = options?.credits;
  if ((charge === undefined || balance < 0) && mask === 0) return result;
  const credits = charge === undefined || balance < 0 ? undefined : { balance, cost: charge.cost, sufficient: !short };
  const notices = noticesOf(mask, windows, nowS, credits?.balance);
  return { ...result, ...(credits ? { credits } : {}), ...(notices ? { notices } : {}) };
}
