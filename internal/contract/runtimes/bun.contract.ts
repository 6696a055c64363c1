import { FETCH_BUN, HONO_BUN, runContract, runContractOnRedis } from '@twofa-kit/contract';

// Run on Bun (by internal/contract/test/runtimes.test.ts): the whole contract against the fetch
// entry and the Hono app on Bun.serve, the core itself running on Bun; both again with their limits
// in Redis (ioredis on Bun).
runContract(FETCH_BUN);
runContract(HONO_BUN);
runContractOnRedis(FETCH_BUN);
runContractOnRedis(HONO_BUN);
