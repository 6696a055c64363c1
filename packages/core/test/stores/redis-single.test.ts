import { connect, startRedis } from '@twofa-kit/testing/redis-clients';
import { redisStoreSuite } from './redis-store-suite.js';

redisStoreSuite('single redis-server', () => startRedis(), connect);
