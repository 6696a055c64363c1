import { NEST_EXPRESS, runContract } from '@twofa-kit/contract';

// The whole HTTP contract, written once in @twofa-kit/contract, against Nest on @nestjs/platform-express.
runContract(NEST_EXPRESS);
