import { FASTIFY, runContractOnRedis } from '@twofa-kit/contract';

// The whole HTTP contract with the limits, the failed-auth guard and the verify memory in Redis.
runContractOnRedis(FASTIFY);
