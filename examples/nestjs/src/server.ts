import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { limitServerTimes, runExample } from '@twofa-kit/example-support';
import { buildApp } from './app.js';

// With TWOFA_METRICS=1, runExample serves the metrics on their own address (TWOFA_METRICS_ADDR).
await runExample('nestjs', async ({ config, options }) => {
  const app = await buildApp(options, { trustProxy: config.trustProxy });
  const server: Server = app.getHttpServer();
  limitServerTimes(server);
  await app.listen(config.port, config.host);
  return { port: (server.address() as AddressInfo).port, close: () => app.close() };
});
