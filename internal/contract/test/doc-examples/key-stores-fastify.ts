import { cachedKeys, hashedKeys, type Identity, twoFaPlugin } from '@twofa-kit/fastify';
import Fastify from 'fastify';

// Your key table keeps SHA-256 digests of the keys you issued (store hashKey(newKey) at issue time).
export interface KeyTable {
  findByDigest(sha256Hex: string): Promise<Identity | null>;
}

export function buildApp(keys: KeyTable) {
  const resolveKey = cachedKeys(
    hashedKeys((digest) => keys.findByDigest(digest)),
    { max: 10_000, ttlMs: 60_000, negativeTtlMs: 5_000 }, // the defaults
  );
  const app = Fastify();
  app.register(twoFaPlugin, { resolveKey });
  return { app, resolveKey }; // resolveKey.invalidate(key) when you revoke a key
}
