/** Timing loops shared by the benchmarks (micro.mjs, the paid API's bench/events-sink.mjs). */

/** Sequential awaits of `fn(i)` for about `ms`: calls per second. */
export async function timeSeq(fn, ms) {
  let i = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let j = 0; j < 64; j++, i++) await fn(i);
    now = performance.now();
  }
  return (i / (now - start)) * 1000;
}
