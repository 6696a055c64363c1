import type { AddressInfo } from 'node:net';
import { limitServerTimes, runExample } from '@twofa-kit/example-support';
import { buildApp } from './app.js';

// With TWOFA_METRICS=1, runExample serves the metrics on their own address (TWOFA_METRICS_ADDR).
await runExample('fastify', async ({ config, options }) => {
  const app = buildApp(options, { trustProxy: config.trustProxy });
  limitServerTimes(app.server); // Fastify's defaults leave a request unbounded
  await app.listen({ port: config.port, host: config.host });
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
});
