import { EXPRESS, runContract } from '@twofa-kit/contract';

// The whole HTTP contract (SPEC), written once in @twofa-kit/contract, against the Express router.
runContract(EXPRESS);
