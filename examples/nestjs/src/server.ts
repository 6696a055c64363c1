import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { METRICS_PATH, runExample } from '@twofa-kit/example-support';
import type { Express } from 'express';
import { buildApp } from './app.js';

await runExample('nestjs', async ({ config, metrics, options }) => {
  const app = await buildApp(options, { trustProxy: config.trustProxy });
  if (metrics !== undefined) {
    // TWOFA_METRICS=1: Prometheus metrics outside the prefix.
    (app.getHttpAdapter().getInstance() as Express).get(METRICS_PATH, (_req, res, next) => {
      metrics.scrape().then(({ contentType, body }) => res.type(contentType).send(body), next);
    });
  }
  await app.listen(config.port, config.host);
  const server: Server = app.getHttpServer();
  return { port: (server.address() as AddressInfo).port, close: () => app.close() };
});
