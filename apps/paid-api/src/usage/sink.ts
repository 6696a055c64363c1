/**
 * Usage history from the kit's events: every request the limiter admitted or refused is counted in
 * memory per customer per UTC hour (a Map increment on the hot path, nothing else), and the counts
 * are added to `usage_hourly` in one statement every `flushMs` and at shutdown — never one write
 * per request. A flush that fails puts its counts back, to be written by the next one.
 */
import type { TwoFaEvent } from '@twofa-kit/core';
import type pg from 'pg';

const HOUR_MS = 3_600_000;

export interface UsageSinkOptions {
  /** How often the counts are written, in ms. Default 5,000. */
  readonly flushMs?: number;
  /** Unix ms. Default `Date.now`. */
  readonly clock?: () => number;
  /** Called when a flush fails (the counts are kept for the next one). */
  readonly onError?: (error: Error) => void;
}

export interface UsageSink {
  /** The kit's `onEvent` option. */
  readonly onEvent: (event: TwoFaEvent) => void;
  /** Writes what has been counted so far (one statement); resolves when it is in the database. */
  flush(): Promise<void>;
  /** Stops the timer and flushes. */
  close(): Promise<void>;
}

interface Counts {
  admitted: number;
  refused: number;
}

export function usageSink(pool: Pick<pg.Pool, 'query'>, options: UsageSinkOptions = {}): UsageSink {
  const clock = options.clock ?? Date.now;
  /** Counts by hour (Unix ms of its start), then by customer id. */
  let pending = new Map<number, Map<string, Counts>>();
  let writing: Promise<void> = Promise.resolve();
  // The current hour's map, kept at hand: the hot path is one clock read, one Map lookup, one add.
  let hourStart = Number.NaN;
  let hourCounts = new Map<string, Counts>();

  const onEvent = (event: TwoFaEvent) => {
    const decision = event.limiter;
    const id = event.identityId;
    if (id === null || (decision !== 'admitted' && decision !== 'refused')) return;
    const now = clock();
    if (!(now >= hourStart && now < hourStart + HOUR_MS)) {
      hourStart = Math.floor(now / HOUR_MS) * HOUR_MS;
      hourCounts = pending.get(hourStart) ?? new Map();
      pending.set(hourStart, hourCounts);
    }
    const counts = hourCounts.get(id);
    if (counts === undefined)
      hourCounts.set(id, decision === 'admitted' ? { admitted: 1, refused: 0 } : { admitted: 0, refused: 1 });
    else counts[decision] += 1;
  };

  const merge = (batch: Map<number, Map<string, Counts>>) => {
    for (const [hour, byId] of batch) {
      let into = pending.get(hour);
      if (into === undefined) {
        into = new Map();
        pending.set(hour, into);
        if (hour === hourStart) hourCounts = into;
      }
      for (const [id, counts] of byId) {
        const now = into.get(id);
        if (now === undefined) into.set(id, counts);
        else {
          now.admitted += counts.admitted;
          now.refused += counts.refused;
        }
      }
    }
  };

  const write = async (): Promise<void> => {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    hourStart = Number.NaN; // the next event starts a fresh map for its hour
    const ids: string[] = [];
    const hours: string[] = [];
    const admitted: number[] = [];
    const refused: number[] = [];
    for (const [hour, byId] of batch) {
      const at = new Date(hour).toISOString();
      for (const [id, counts] of byId) {
        ids.push(id);
        hours.push(at);
        admitted.push(counts.admitted);
        refused.push(counts.refused);
      }
    }
    if (ids.length === 0) return;
    try {
      await pool.query(
        `INSERT INTO usage_hourly (customer_id, hour, admitted, refused)
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::bigint[], $4::bigint[])
         ON CONFLICT (customer_id, hour) DO UPDATE
           SET admitted = usage_hourly.admitted + EXCLUDED.admitted,
               refused = usage_hourly.refused + EXCLUDED.refused`,
        [ids, hours, admitted, refused],
      );
    } catch (error) {
      merge(batch);
      options.onError?.(error as Error);
    }
  };

  // One flush at a time, in order.
  const flush = () => {
    writing = writing.then(write);
    return writing;
  };
  const timer = setInterval(() => void flush(), options.flushMs ?? 5_000);
  timer.unref();

  return {
    onEvent,
    flush,
    close: async () => {
      clearInterval(timer);
      await flush();
    },
  };
}

export interface UsagePoint {
  /** Start of the hour or day (UTC). */
  readonly at: Date;
  readonly admitted: number;
  readonly refused: number;
}

/**
 * A customer's history: `count` buckets of `bucketMs` (an hour or a day) ending with the current
 * one at `now`, oldest first, empty buckets included.
 */
export async function usageHistory(
  pool: Pick<pg.Pool, 'query'>,
  customerId: string,
  bucketMs: number,
  count: number,
  now: number,
): Promise<UsagePoint[]> {
  const end = Math.floor(now / bucketMs) * bucketMs + bucketMs;
  const start = end - bucketMs * count;
  const { rows } = await pool.query<{ hour: Date; admitted: string; refused: string }>(
    `SELECT hour, admitted, refused FROM usage_hourly
      WHERE customer_id = $1 AND hour >= $2 AND hour < $3`,
    [customerId, new Date(start), new Date(end)],
  );
  const points = Array.from({ length: count }, (_, i) => ({ at: start + i * bucketMs, admitted: 0, refused: 0 }));
  for (const row of rows) {
    const i = Math.floor((row.hour.getTime() - start) / bucketMs);
    const p = points[i];
    if (p === undefined) continue;
    p.admitted += Number(row.admitted);
    p.refused += Number(row.refused);
  }
  return points.map((p) => ({ at: new Date(p.at), admitted: p.admitted, refused: p.refused }));
}
