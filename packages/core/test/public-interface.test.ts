// The published API of @twofa-kit/core, each entry point pinned (see @twofa-kit/testing/public-interface).
import * as root from '@twofa-kit/core';
import * as adapter from '@twofa-kit/core/adapter';
import * as host from '@twofa-kit/core/host';
import * as openapi from '@twofa-kit/core/openapi';
import * as store from '@twofa-kit/core/store';
import { runtimeExports, testPublicInterface } from '@twofa-kit/testing/public-interface';
import { expect, it } from 'vitest';

it('the root entry holds at most 30 runtime names', () => {
  expect(runtimeExports(root).length).toBeLessThanOrEqual(30);
});

testPublicInterface('@twofa-kit/core', root, 'what a host needs');
testPublicInterface('@twofa-kit/core/adapter', adapter, 'what an adapter needs');
testPublicInterface('@twofa-kit/core/host', host, 'what a host configures the kit with, re-exported by every adapter');
testPublicInterface('@twofa-kit/core/store', store, 'what a limiter store author needs');
testPublicInterface('@twofa-kit/core/openapi', openapi, 'the documentation helpers');
