export {
  applyCredits,
  configFromEnv,
  DEFAULT_HOST,
  DEFAULT_PORT,
  type DemoKey,
  type EnvConfig,
  type EnvSource,
  type HostPort,
  listenUrl,
  type RedisConnection,
  type StartingCredits,
  startupMessage,
} from './env.js';
export {
  createMetrics,
  METRICS_PATH,
  type Metrics,
  type MetricsOptions,
  metricsFromEnv,
} from './metrics.js';
export { type ExampleSetup, exampleOptions, type Listening, listening, runExample } from './run.js';
export { limiterStore, redisClient, type StoreObserver } from './store.js';
