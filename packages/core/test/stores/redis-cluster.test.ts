import { connectCluster, startRedisCluster } from '@twofa-kit/testing/redis-clients';
import { redisStoreSuite } from './redis-store-suite.js';

redisStoreSuite('3-master Redis Cluster', () => startRedisCluster(), connectCluster);
