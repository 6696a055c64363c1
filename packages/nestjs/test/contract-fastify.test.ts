import { NEST_FASTIFY, runContract } from '@twofa-kit/contract';

// The whole HTTP contract, written once in @twofa-kit/contract, against Nest on @nestjs/platform-fastify.
runContract(NEST_FASTIFY);
