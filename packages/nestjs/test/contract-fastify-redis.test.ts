import { NEST_FASTIFY, runContractOnRedis } from '@twofa-kit/contract';

// The whole HTTP contract on Nest + @nestjs/platform-fastify with the limits, the failed-auth guard and
// the verify memory in Redis.
runContractOnRedis(NEST_FASTIFY);
