import { EXPRESS, runContract } from '@twofa-kit/contract';

// The whole HTTP contract, written once in @twofa-kit/contract, against the Express router.
runContract(EXPRESS);
