// The code cache's worst case in memory: N distinct 256-character secrets (the longest allowed) for
// one identity, heapUsed after full GCs before and after, with the default cache and with it off.
//   pnpm run build && node --expose-gc internal/bench/code-cache-memory.mjs 100000
import { createTwoFa, staticKeys } from '@twofa-kit/core';

const N = Number(process.argv[2] ?? 100000);
const run = async (codeCache) => {
  const twoFa = createTwoFa({
    resolveKey: staticKeys({ k: 'bench' }),
    plans: { bench: { minute: null, hour: null, day: null, month: null } },
    codeCache,
    authFailureLimit: false,
  });
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  // Warm up the code paths (and their lazily made objects) before measuring.
  await twoFa.respond({
    method: 'POST',
    path: '/generate',
    rawQuery: '',
    headers: { 'x-api-key': 'k', 'content-type': 'application/json' },
    body: { kind: 'parsed', value: { secret: 'JBSWY3DPEHPK3PXP' } },
  });
  global.gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < N; i++) {
    let s = '';
    for (let n = i, k = 0; k < 8; k++, n = Math.floor(n / 32)) s += alphabet[n % 32];
    const secret = (s + alphabet.repeat(8)).slice(0, 256);
    const out = twoFa.respond({
      method: 'POST',
      path: '/generate',
      rawQuery: '',
      headers: { 'x-api-key': 'k', 'content-type': 'application/json' },
      body: { kind: 'parsed', value: { secret } },
    });
    const r = out instanceof Promise ? await out : out;
    if (r.status !== 200) throw new Error(r.body);
  }
  global.gc();
  const after = process.memoryUsage().heapUsed;
  globalThis.keep = twoFa;
  return ((after - before) / 1048576).toFixed(1);
};
console.log(`codeCache default, ${N} distinct 256-character secrets: +${await run(undefined)} MiB retained`);
console.log(`codeCache false: +${await run(false)} MiB retained`);
