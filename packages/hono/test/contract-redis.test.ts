import { HONO, runContractOnRedis } from '@twofa-kit/contract';

// The whole contract with the limits in Redis (a redis-server of its own).
runContractOnRedis(HONO);
