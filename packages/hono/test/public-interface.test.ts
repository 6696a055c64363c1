// The public interface of @twofa-kit/hono: its own names and the chosen list it re-exports from
// @twofa-kit/core. A change here is a change of the published API: update the snapshot on purpose
// (`pnpm test public-interface -u`) and say so in a changeset. Types are not listed (see
// @twofa-kit/testing/public-interface).
import * as entry from '@twofa-kit/hono';
import { runtimeExports } from '@twofa-kit/testing/public-interface';
import { expect, it } from 'vitest';

it('@twofa-kit/hono exports its own names and a chosen list from the core', () => {
  expect(runtimeExports(entry)).toMatchInlineSnapshot(`
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
      "twoFaApp: function",
    ]
  `);
});
