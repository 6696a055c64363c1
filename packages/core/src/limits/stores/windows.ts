/**
 * Where a window starts and ends. Fixed windows (`seconds > 0`) are aligned to the UTC clock: they
 * start when `unixSeconds % seconds === 0`. The calendar month (`seconds === CALENDAR_MONTH`)
 * starts on the 1st at 00:00 UTC and lasts 28, 29, 30 or 31 days. The Redis script does the same
 * arithmetic in Lua (`BOUNDS_LUA`); a test runs both over many timestamps in a real Redis.
 */

/** `WindowSpec.seconds` of the UTC calendar month (its length varies, so it has no fixed value). */
export const CALENDAR_MONTH = 0;

const DAY = 86_400;

// The last month computed, [start, end) in Unix seconds: nearly every call falls in it, and a
// `Date` per call would triple the cost of a limiter call with a month window.
let monthStart = 0;
let monthEnd = 0;

function monthOf(nowS: number): void {
  const date = new Date(nowS * 1000);
  monthStart = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) / 1000;
  monthEnd = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) / 1000;
}

/** Start (Unix seconds) of the window of length `seconds` that holds `nowS`. */
export function windowStart(seconds: number, nowS: number): number {
  if (seconds !== CALENDAR_MONTH) return nowS - (nowS % seconds);
  if (nowS < monthStart || nowS >= monthEnd) monthOf(nowS);
  return monthStart;
}

/** End (Unix seconds, exclusive) of the window of length `seconds` that starts at `start`. */
export function windowEnd(seconds: number, start: number): number {
  if (seconds !== CALENDAR_MONTH) return start + seconds;
  if (start !== monthStart) monthOf(start);
  return monthEnd;
}

/**
 * The Lua twin of `windowStart` and `windowEnd` for the Redis script: `bounds(seconds, nowS)` returns the start
 * and the end. The month comes from the day number with Howard Hinnant's civil-from-days
 * (proleptic Gregorian, exact for any Unix time a double holds), so Redis's `TIME` decides it.
 */
export const BOUNDS_LUA = `
local function bounds(seconds, nowS)
  if seconds ~= ${CALENDAR_MONTH} then
    local start = nowS - (nowS % seconds)
    return start, start + seconds
  end
  local days = math.floor(nowS / ${DAY})
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp + 3
  if mp >= 10 then m = mp - 9 end
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  local len = 31
  if m == 2 then
    len = 28
    if y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0) then len = 29 end
  elseif m == 4 or m == 6 or m == 9 or m == 11 then
    len = 30
  end
  local start = (days - d + 1) * ${DAY}
  return start, start + len * ${DAY}
end
`;
