import { exampleSuite } from '@twofa-kit/testing/example-suite';

// The Next.js example (`pnpm start`: next build when stale, then next start), as the others.
exampleSuite('nextjs');
