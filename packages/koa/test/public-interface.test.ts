// The published API of @twofa-kit/koa, pinned (see @twofa-kit/testing/public-interface).
import * as entry from '@twofa-kit/koa';
import { testPublicInterface } from '@twofa-kit/testing/public-interface';

testPublicInterface('@twofa-kit/koa', entry, 'its own names and those of @twofa-kit/core/host');
