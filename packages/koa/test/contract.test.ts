import { KOA, runContract } from '@twofa-kit/contract';

// The whole HTTP contract, written once in @twofa-kit/contract, against the Koa router.
runContract(KOA);
