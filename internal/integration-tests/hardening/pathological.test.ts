/**
 * Pathological inputs, as large as the surface lets them be, over real HTTP on every adapter: long
 * runs of `/`, `&`, `%` and spaces, deeply nested JSON, many repeated parameters and the longest
 * header Node accepts. Each gets its proper answer in the envelope. That the work stays linear is
 * checked by scripts/check-regexes.mjs (regex-check.test.ts) and measured by `pnpm bench --only
 * pathological` (cost as a ratio to a normal request), never by a timed assertion here.
 */
import http from 'node:http';
import { ADAPTERS, type RunningServer } from '@twofa-kit/contract';
import { staticKeys } from '@twofa-kit/core';
import { pathologicalRequests } from '@twofa-kit/testing/pathological';
import { send } from '@twofa-kit/testing/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const KEY = 'Patho-Key-0001-abcdef';

const REQUESTS = pathologicalRequests(KEY);

for (const harness of ADAPTERS) {
  describe(`pathological inputs: ${harness.name}`, () => {
    let running: RunningServer;
    let port: number;
    const agent = new http.Agent({ keepAlive: true });
    beforeAll(async () => {
      running = await harness.start({
        resolveKey: staticKeys({ [KEY]: { id: 'patho', plan: 'big' } }),
        plans: { big: { minute: 1_000_000 } },
        authFailureLimit: false,
      });
      port = Number(new URL(running.url).port);
    });
    afterAll(async () => {
      agent.destroy();
      await running.close();
    });

    for (const req of REQUESTS) {
      it(`${req.label} (${req.target.length + (req.body?.length ?? 0)} bytes) → ${req.status}`, async () => {
        const res = await send(agent, port, {
          method: req.method,
          target: req.target,
          headers: req.headers,
          body: req.body === undefined ? undefined : Buffer.from(req.body),
        });
        expect(res.status).toBe(req.status);
        const envelope = JSON.parse(res.body.toString('utf8')) as { code: number; message: string };
        expect(envelope.code).toBe(req.status);
      });
    }
  });
}
