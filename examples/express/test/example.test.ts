import { exampleSuite } from '../../fastify/test/support/example-suite.js';

exampleSuite('express');
