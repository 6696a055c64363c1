import { exampleSuite } from '@twofa-kit/testing/example-suite';

exampleSuite('hono');
