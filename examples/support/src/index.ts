export {
  configFromEnv,
  DEFAULT_HOST,
  DEFAULT_PORT,
  type DemoKey,
  type EnvConfig,
  type EnvSource,
  type HostPort,
  listenUrl,
  type RedisConnection,
  startupMessage,
} from './env.js';
export { limiterStore, redisClient } from './store.js';
