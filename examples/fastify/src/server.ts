import type { AddressInfo } from 'node:net';
import { limitServerTimes, METRICS_PATH, runExample } from '@twofa-kit/example-support';
import { buildApp } from './app.js';

await runExample('fastify', async ({ config, metrics, options }) => {
  const app = buildApp(options, { trustProxy: config.trustProxy });
  limitServerTimes(app.server); // Fastify's defaults leave a request unbounded
  if (metrics !== undefined) {
    // TWOFA_METRICS=1: Prometheus metrics outside the prefix.
    app.get(METRICS_PATH, async (_request, reply) => {
      const { contentType, body } = await metrics.scrape();
      return reply.type(contentType).send(body);
    });
  }
  await app.listen({ port: config.port, host: config.host });
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
});
