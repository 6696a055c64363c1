import type { AddressInfo } from 'node:net';
import { configFromEnv, limiterStore, METRICS_PATH, metricsFromEnv, startupMessage } from '@twofa-kit/example-support';
import { buildApp } from './app.js';

try {
  const config = configFromEnv();
  const metrics = metricsFromEnv();
  const { store, close } = await limiterStore(config.redis, metrics);
  const app = buildApp(
    { resolveKey: config.resolveKey, plans: config.plans, store, onEvent: metrics?.onEvent },
    { trustProxy: config.trustProxy },
  );
  if (metrics !== undefined) {
    // TWOFA_METRICS=1: Prometheus metrics outside the prefix.
    app.get(METRICS_PATH, async (_request, reply) => {
      const { contentType, body } = await metrics.scrape();
      return reply.type(contentType).send(body);
    });
  }
  await app.listen({ port: config.port, host: config.host });
  const { port } = app.server.address() as AddressInfo;

  const shutdown = async () => {
    await app.close();
    await close();
    process.exit(0);
  };
  process.once('SIGINT', shutdown).once('SIGTERM', shutdown);
  console.log(startupMessage('fastify', config.host, port, config.demoKeys));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
