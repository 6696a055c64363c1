// The published API of @twofa-kit/fetch, pinned (see @twofa-kit/testing/public-interface).
import * as entry from '@twofa-kit/fetch';
import { testPublicInterface } from '@twofa-kit/testing/public-interface';

testPublicInterface('@twofa-kit/fetch', entry, 'its own names and those of @twofa-kit/core/host');
