import { once } from 'node:events';
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
    app.get(METRICS_PATH, (_req, res, next) => {
      metrics.scrape().then(({ contentType, body }) => res.type(contentType).send(body), next);
    });
  }
  const server = app.listen(config.port, config.host);
  await once(server, 'listening'); // rejects on 'error' (e.g. EADDRINUSE)
  const { port } = server.address() as AddressInfo;

  const shutdown = async () => {
    server.close();
    await once(server, 'close');
    await close();
    process.exit(0);
  };
  process.once('SIGINT', shutdown).once('SIGTERM', shutdown);
  console.log(startupMessage('express', config.host, port, config.demoKeys));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
