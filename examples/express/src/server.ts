import { listening, runExample } from '@twofa-kit/example-support';
import { buildApp } from './app.js';

// With TWOFA_METRICS=1, runExample serves the metrics on their own address (TWOFA_METRICS_ADDR).
await runExample('express', async ({ config, options }) => {
  const app = buildApp(options, { trustProxy: config.trustProxy });
  return listening(app.listen(config.port, config.host));
});
