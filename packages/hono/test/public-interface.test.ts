// The published API of @twofa-kit/hono, pinned (see @twofa-kit/testing/public-interface).
import * as entry from '@twofa-kit/hono';
import { testPublicInterface } from '@twofa-kit/testing/public-interface';

testPublicInterface('@twofa-kit/hono', entry, 'its own names and those of @twofa-kit/core/host');
