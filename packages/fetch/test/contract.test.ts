import { FETCH, runContract } from '@twofa-kit/contract';

// The whole HTTP contract, written once in @twofa-kit/contract, against the fetch entry on a Node
// http server.
runContract(FETCH);
