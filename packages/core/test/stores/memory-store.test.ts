import { storeSuite } from '@twofa-kit/testing/store-suite';
import { MemoryStore } from '../../src/index.js';

// The reference store, on a clock the suite moves: 10.25 s into a minute of 1 June 2026 (UTC).
let now = Date.UTC(2026, 5, 1, 12, 0, 10, 250);

storeSuite('MemoryStore (injected clock)', {
  setup: () => ({
    store: new MemoryStore({ clock: () => now }),
    exactClock: true,
    withClock: (clock) => new MemoryStore({ clock }),
    async pass(ms: number) {
      now += ms;
    },
  }),
});
