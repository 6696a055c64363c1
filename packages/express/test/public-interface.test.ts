// The published API of @twofa-kit/express, pinned (see @twofa-kit/testing/public-interface).
import * as entry from '@twofa-kit/express';
import { testPublicInterface } from '@twofa-kit/testing/public-interface';

testPublicInterface('@twofa-kit/express', entry, 'its own names and those of @twofa-kit/core/host');
