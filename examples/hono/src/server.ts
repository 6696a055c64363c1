import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type Listening, METRICS_PATH, runExample } from '@twofa-kit/example-support';
import type { Hono } from 'hono';
import { buildApp } from './app.js';

/** What the example uses of `Bun.serve` and `Deno.serve` (this package installs neither's types). */
interface Runtimes {
  Bun?: {
    serve(o: { fetch: Hono['fetch']; hostname: string; port: number }): { port: number; stop(): Promise<void> };
  };
  Deno?: {
    serve(
      o: { hostname: string; port: number; onListen: () => void },
      fetch: Hono['fetch'],
    ): { addr: { port: number }; shutdown(): Promise<void> };
  };
}

/** Listens with the runtime's own server: Bun.serve, Deno.serve, or @hono/node-server on Node.js. */
function listen(app: Hono, hostname: string, port: number): Promise<Listening> {
  const { Bun, Deno } = globalThis as Runtimes;
  if (Bun !== undefined) {
    const server = Bun.serve({ fetch: app.fetch, hostname, port });
    return Promise.resolve({ port: server.port, close: () => server.stop() });
  }
  if (Deno !== undefined) {
    const server = Deno.serve({ hostname, port, onListen: () => {} }, app.fetch);
    return Promise.resolve({ port: server.addr.port, close: () => server.shutdown() });
  }
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname, port }, (info: AddressInfo) =>
      resolve({ port: info.port, close: () => new Promise((done) => server.close(() => done())) }),
    );
  });
}

await runExample('hono', async ({ config, metrics, options }) => {
  const app = buildApp(options, { trustProxy: config.trustProxy });
  if (metrics !== undefined) {
    // TWOFA_METRICS=1: Prometheus metrics outside the prefix.
    app.get(METRICS_PATH, async (c) => {
      const { contentType, body } = await metrics.scrape();
      return c.body(body, 200, { 'content-type': contentType });
    });
  }
  return listen(app, config.host, config.port);
});
