import { FASTIFY, runContract } from '@twofa-kit/contract';

// The whole HTTP contract, written once in @twofa-kit/contract, against the Fastify plugin.
runContract(FASTIFY);
