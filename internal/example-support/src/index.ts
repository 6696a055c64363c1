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
  DEFAULT_METRICS_ADDRESS,
  METRICS_PATH,
  type Metrics,
  type MetricsOptions,
  metricsAddressFromEnv,
  metricsFromEnv,
  metricsServer,
} from './metrics.js';
export {
  type ExampleSetup,
  exampleOptions,
  type Listening,
  limitServerTimes,
  listening,
  runExample,
  SERVER_TIMEOUTS,
  type ServerTimeouts,
} from './run.js';
export { limiterStore, redisClient, type StoreObserver } from './store.js';
