import { HONO, runContract } from '@twofa-kit/contract';

// The whole HTTP contract, written once in @twofa-kit/contract, against the Hono app on
// @hono/node-server.
runContract(HONO);
