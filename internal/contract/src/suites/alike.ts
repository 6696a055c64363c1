import { describe, expect, it } from 'vitest';
import { ADAPTERS } from '../adapters.js';
import type { AdapterHarness, RunningServer } from '../harness.js';
import { contractOptions, GENERATE, KEYS, PREFIX, rawRequest, SEED_SECRET, TestClock } from '../helpers.js';

/** Headers the HTTP server or the host app add on their own (not the kit's answer). */
const TRANSPORT_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'x-powered-by']);

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const REQUESTS: readonly { method: string; path: string; headers?: Record<string, string>; body?: string }[] = [
  { method: 'POST', path: GENERATE, headers: { 'x-api-key': KEYS.free, ...FORM }, body: `secret=${SEED_SECRET}` },
  { method: 'GET', path: `${GENERATE}?secret=${SEED_SECRET}&api_key=${KEYS.free}&digits=8` },
  { method: 'POST', path: GENERATE, headers: { 'x-api-key': KEYS.free, ...FORM }, body: 'secret=!' },
  { method: 'POST', path: GENERATE, headers: { 'x-api-key': KEYS.free, 'content-type': 'text/plain' }, body: 'x' },
  {
    method: 'POST',
    path: GENERATE,
    headers: { 'x-api-key': KEYS.free, 'content-type': 'application/json' },
    body: '{"secret":',
  },
  {
    method: 'POST',
    path: GENERATE,
    headers: { 'x-api-key': KEYS.big, ...FORM },
    body: `secret=${'A'.repeat(20_000)}`,
  },
  { method: 'POST', path: GENERATE, headers: { 'x-api-key': KEYS.free, ...FORM }, body: `secret=${SEED_SECRET}` },
  { method: 'POST', path: GENERATE, headers: { 'x-api-key': 'nope', ...FORM }, body: `secret=${SEED_SECRET}` },
  { method: 'PUT', path: GENERATE },
  { method: 'GET', path: `${PREFIX}/nope` },
  { method: 'GET', path: PREFIX },
];

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

async function replay(running: RunningServer, ignored: ReadonlySet<string>): Promise<Answer[]> {
  const out: Answer[] = [];
  for (const r of REQUESTS) {
    const res = await rawRequest(running.url, {
      method: r.method,
      path: r.path,
      headers: {
        ...r.headers,
        ...(r.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(r.body)) }),
      },
      chunks: r.body === undefined ? [] : [r.body],
    });
    const headers = Object.fromEntries(Object.entries(res.headers).filter(([name]) => !ignored.has(name)));
    out.push({ status: res.status, headers, body: res.text });
  }
  return out;
}

/** The same requests at the same clock get byte-for-byte the same answers from every adapter. */
export function alikeSuite(harness: AdapterHarness): void {
  describe('byte-for-byte alike across adapters', () => {
    for (const other of ADAPTERS.filter((a) => a.name !== harness.name)) {
      it(`answers exactly like ${other.name}`, async () => {
        // Headers either host writes on its own (`hostHeaders`) are not the kit's answer either.
        const ignored = new Set([...TRANSPORT_HEADERS, ...(harness.hostHeaders ?? []), ...(other.hostHeaders ?? [])]);
        const [mine, theirs] = await Promise.all(
          [harness, other].map(async (h) => {
            const running = await h.start(contractOptions(new TestClock()));
            try {
              return await replay(running, ignored);
            } finally {
              await running.close();
            }
          }),
        );
        expect(mine?.map((a) => a.status)).toEqual([200, 200, 400, 415, 400, 413, 429, 401, 405, 404, 404]);
        expect(mine).toEqual(theirs);
      });
    }
  });
}
