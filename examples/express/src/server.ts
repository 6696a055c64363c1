import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { configFromEnv, limiterStore, startupMessage } from '@twofa-kit/example-support';
import { buildApp } from './app.js';

try {
  const config = configFromEnv();
  const { store, close } = await limiterStore(config.redis);
  const server = buildApp({ resolveKey: config.resolveKey, plans: config.plans, store }).listen(
    config.port,
    config.host,
  );
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
