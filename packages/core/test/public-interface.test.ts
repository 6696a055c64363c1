// The public interface of @twofa-kit/core: the runtime names of each entry point. A change here is
// a change of the published API: update the snapshot on purpose (`pnpm test public-interface -u`)
// and say so in a changeset. Types are not listed (see @twofa-kit/testing/public-interface).
import * as root from '@twofa-kit/core';
import * as adapter from '@twofa-kit/core/adapter';
import * as host from '@twofa-kit/core/host';
import * as openapi from '@twofa-kit/core/openapi';
import * as store from '@twofa-kit/core/store';
import { runtimeExports } from '@twofa-kit/testing/public-interface';
import { describe, expect, it } from 'vitest';

describe('@twofa-kit/core public interface', () => {
  it('the root entry: what a host needs, at most 30 runtime names', () => {
    expect(runtimeExports(root).length).toBeLessThanOrEqual(30);
    expect(runtimeExports(root)).toMatchInlineSnapshot(`
      [
        "DEFAULT_PLANS: object",
        "ERROR_KINDS: object",
        "MemoryStore: class",
        "REDACTED: string",
        "RedisStore: class",
        "TOTP_BOUNDS: object",
        "TwoFaConfigError: class",
        "TwoFaError: class",
        "WINDOWS: array",
        "cachedKeys: function",
        "checkPlan: function",
        "clientBucket: function",
        "createAuthGuard: function",
        "createTwoFa: function",
        "decodeSecret: function",
        "encodeBase32: function",
        "hashKey: function",
        "hashedKeys: function",
        "hotp: function",
        "parseKeyList: function",
        "redactUrl: function",
        "resolvePlans: function",
        "staticKeys: function",
        "totpAt: function",
        "verifyTotp: function",
      ]
    `);
  });

  it('@twofa-kit/core/adapter: what an adapter needs', () => {
    expect(runtimeExports(adapter)).toMatchInlineSnapshot(`
      [
        "ROUTES: array",
        "forwardedAddress: function",
        "hostBody: function",
        "splitUrl: function",
        "twoFaOf: function",
        "webBody: function",
        "webHeaders: function",
      ]
    `);
  });

  it('@twofa-kit/core/host: what a host needs to configure the kit, re-exported by every adapter', () => {
    expect(runtimeExports(host)).toMatchInlineSnapshot(`
      [
        "DEFAULT_PLANS: object",
        "ERROR_KINDS: object",
        "MemoryStore: class",
        "RedisStore: class",
        "TwoFaConfigError: class",
        "TwoFaError: class",
        "cachedKeys: function",
        "createTwoFa: function",
        "hashKey: function",
        "hashedKeys: function",
        "redactUrl: function",
        "staticKeys: function",
      ]
    `);
  });

  it('@twofa-kit/core/store: what a limiter store author needs', () => {
    expect(runtimeExports(store)).toMatchInlineSnapshot(`
      [
        "CALENDAR_MONTH: number",
        "windowEnd: function",
        "windowStart: function",
      ]
    `);
  });

  it('@twofa-kit/core/openapi: the documentation helpers', () => {
    expect(runtimeExports(openapi)).toMatchInlineSnapshot(`
      [
        "OPENAPI_INFO: object",
        "REQUEST_CONTENT_TYPES: array",
        "envelopeSchema: function",
        "errorEnvelopeSchema: function",
        "openApiDocument: function",
        "openApiSettings: function",
        "paramSchema: function",
        "routeErrorKinds: function",
        "routeJsonSchemas: function",
        "routeStatuses: function",
      ]
    `);
  });
});
