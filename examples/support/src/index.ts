export {
  configFromEnv,
  DEFAULT_HOST,
  DEFAULT_PORT,
  type DemoKey,
  type EnvConfig,
  type EnvSource,
  listenUrl,
  startupMessage,
} from './env.js';
export { limiterStore } from './store.js';
