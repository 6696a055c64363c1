// The published API of @twofa-kit/fastify, pinned (see @twofa-kit/testing/public-interface).
import * as entry from '@twofa-kit/fastify';
import { testPublicInterface } from '@twofa-kit/testing/public-interface';

testPublicInterface('@twofa-kit/fastify', entry, 'its own names and those of @twofa-kit/core/host');
