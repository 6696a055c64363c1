/**
 * Bytes per identity of the MemoryStore (`node --expose-gc memory.mjs <n> [windows]`): heapUsed
 * after full GCs, before the store is constructed (so lru-cache's preallocated slots count) and
 * after `n` identities each consumed once on `windows` windows (default 4: minute, hour, day and
 * the calendar month; 3 leaves the month out). The id strings are allocated before the first
 * measurement, as the key store holds them anyway; their own size is reported beside.
 */
import { MemoryStore } from '@twofa-kit/core';
import { CALENDAR_MONTH } from '@twofa-kit/core/store';

const n = Number(process.argv[2] ?? 100_000);
const windowCount = Number(process.argv[3] ?? 4);
const WINDOWS = [
  { name: 'minute', seconds: 60, limit: 1e9 },
  { name: 'hour', seconds: 3600, limit: 1e9 },
  { name: 'day', seconds: 86400, limit: 1e9 },
  { name: 'month', seconds: CALENDAR_MONTH, limit: 1e9 },
].slice(0, windowCount);

function heap() {
  for (let i = 0; i < 6; i++) globalThis.gc();
  return process.memoryUsage().heapUsed;
}

const ids = new Array(n).fill('');
const before0 = heap();
// Flat ids like staticKeys makes them (`key_` + 16 hex characters), as read from a table.
for (let i = 0; i < n; i++) ids[i] = JSON.parse(`"key_${i.toString(16).padStart(16, '0')}"`);
const before = heap();
const store = new MemoryStore({ maxIdentities: n });
for (let i = 0; i < n; i++) store.consume(ids[i], WINDOWS);
const after = heap();
if (store.size !== n) throw new Error(`store holds ${store.size}, expected ${n}`);
const bytes = after - before;
const result = {
  n,
  windows: WINDOWS.length,
  bytes,
  perIdentity: bytes / n,
  idBytesPerIdentity: (before - before0) / n,
};
if (process.send) process.send(result);
else console.log(JSON.stringify(result));
