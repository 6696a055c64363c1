import { FETCH_DENO, HONO_DENO, runContract, runContractOnRedis } from '@twofa-kit/contract';

// Run on Deno (by internal/contract/test/runtimes.test.ts): the whole contract against the fetch
// entry and the Hono app on Deno.serve, the core itself running on Deno; both again with their
// limits in Redis (ioredis on Deno's node:net, redis-server started through its node:child_process).
runContract(FETCH_DENO);
runContract(HONO_DENO);
runContractOnRedis(FETCH_DENO);
runContractOnRedis(HONO_DENO);
