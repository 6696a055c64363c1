import { exampleSuite } from './support/example-suite.js';

exampleSuite('fastify');
