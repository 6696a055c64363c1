// The published API of @twofa-kit/nestjs, pinned (see @twofa-kit/testing/public-interface).
import * as entry from '@twofa-kit/nestjs';
import { testPublicInterface } from '@twofa-kit/testing/public-interface';

testPublicInterface('@twofa-kit/nestjs', entry, 'its own names and those of @twofa-kit/core/host');
