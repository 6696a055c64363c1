import { FETCH_DENO, HONO_DENO, runContract } from '@twofa-kit/contract';

// Run on Deno (by internal/contract/test/runtimes.test.ts): the whole contract against the fetch
// entry and the Hono app on Deno.serve, the core itself running on Deno. (The contract's Redis
// machinery does not start its redis-server under Deno; ioredis and the Redis store on Deno are
// shown by examples/hono/test/runtimes.test.ts.)
runContract(FETCH_DENO);
runContract(HONO_DENO);
