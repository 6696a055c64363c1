import { NOW_LUA } from './redis-clock.js';
import type { VerifyRecord } from './verify-types.js';

/**
 * The Lua of the Redis verify memory: one hash per identity and secret (`last`, `fails`, `until`),
 * read and written in one atomic call on Redis's own clock, so instances sharing a Redis share one
 * replay memory and one failure count. The key expires when nothing in it matters any more.
 *
 * KEYS[1] = the hash. ARGV = step ('' when the code matched none), rememberMs, maxFailures,
 * failureWindowMs; for tests only, a fifth: the Unix ms to use instead of `TIME` (see
 * `RedisStoreOptions.testClock`). Reply: { status, retryAfterMs }.
 */
export const VERIFY_LUA = `if redis.replicate_commands then redis.replicate_commands() end
${NOW_LUA}
local key = KEYS[1]
local _, nowMs = now(ARGV[5])
local stored = redis.call('HMGET', key, 'last', 'fails', 'until')
local last = tonumber(stored[1])
local fails = tonumber(stored[2]) or 0
local untilMs = tonumber(stored[3]) or 0
if untilMs <= nowMs then fails = 0 end
if fails >= tonumber(ARGV[3]) then return { 'blocked', untilMs - nowMs } end
local keep
if ARGV[1] == '' then
  if fails == 0 then untilMs = nowMs + tonumber(ARGV[4]) end
  redis.call('HSET', key, 'fails', fails + 1, 'until', untilMs)
  keep = untilMs - nowMs
  if redis.call('PTTL', key) < keep then redis.call('PEXPIRE', key, keep) end
  return { 'failed', 0 }
end
local step = tonumber(ARGV[1])
if last ~= nil and step <= last then return { 'replayed', 0 } end
redis.call('HSET', key, 'last', step)
keep = tonumber(ARGV[2])
if redis.call('PTTL', key) < keep then redis.call('PEXPIRE', key, keep) end
return { 'accepted', 0 }
`;

const STATUSES = new Set(['accepted', 'replayed', 'failed', 'blocked']);

export function verifyRecordFromReply(reply: unknown): VerifyRecord {
  if (!Array.isArray(reply) || reply.length !== 2 || !STATUSES.has(String(reply[0]))) {
    throw new Error('unexpected reply from the verify script');
  }
  return { status: String(reply[0]) as VerifyRecord['status'], retryAfterMs: Math.max(0, Number(reply[1])) };
}
