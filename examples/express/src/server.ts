import { listening, METRICS_PATH, runExample } from '@twofa-kit/example-support';
import { buildApp } from './app.js';

await runExample('express', async ({ config, metrics, options }) => {
  const app = buildApp(options, { trustProxy: config.trustProxy });
  if (metrics !== undefined) {
    // TWOFA_METRICS=1: Prometheus metrics outside the prefix.
    app.get(METRICS_PATH, (_req, res, next) => {
      metrics.scrape().then(({ contentType, body }) => res.type(contentType).send(body), next);
    });
  }
  return listening(app.listen(config.port, config.host));
});
