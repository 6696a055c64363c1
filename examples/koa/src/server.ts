import { listening, METRICS_PATH, runExample } from '@twofa-kit/example-support';
import { buildApp } from './app.js';

await runExample('koa', async ({ config, metrics, options }) => {
  const app = buildApp(options, { trustProxy: config.trustProxy });
  if (metrics !== undefined) {
    // TWOFA_METRICS=1: Prometheus metrics outside the prefix.
    app.use(async (ctx, next) => {
      if (ctx.path !== METRICS_PATH || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
      const { contentType, body } = await metrics.scrape();
      ctx.type = contentType;
      ctx.body = body;
    });
  }
  return listening(app.listen(config.port, config.host));
});
