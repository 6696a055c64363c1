/**
 * `pnpm --dir examples/postgres-keys start`: the kit on Fastify with its keys in PostgreSQL. Issues
 * one key at start and prints it, with the commands to try it and to revoke it.
 */
import type { AddressInfo } from 'node:net';
import { createTwoFa, twoFaPlugin } from '@twofa-kit/fastify';
import Fastify from 'fastify';
import { openDatabase } from './database.js';
import { CHANNEL, createSchema, issueKey, postgresKeys } from './postgres-keys.js';

const db = await openDatabase();
await createSchema(db.sql);
const keys = postgresKeys(db.sql);
await db.listen(CHANNEL, () => keys.clear());

const twoFa = createTwoFa({ resolveKey: keys });
const app = Fastify();
app.register(twoFaPlugin, { twoFa });
app.addHook('onClose', async () => {
  await twoFa.close();
  await db.close();
});
const host = process.env.HOST ?? '127.0.0.1';
await app.listen({ port: Number(process.env.PORT ?? 3000), host });
const { port } = app.server.address() as AddressInfo;

const key = await issueKey(db.sql, 'cus_demo', 'free');
console.log(`Listening on http://${host}:${port}; a key for customer cus_demo on the free plan:
  curl -X POST -H "X-API-Key: ${key}" -d "secret=JBSWY3DPEHPK3PXP" http://${host}:${port}/api/2fa/generate
With DATABASE_URL set, revoke it from psql; the next request answers 401:
  UPDATE api_keys SET revoked_at = now() WHERE digest = encode(sha256('${key}'), 'hex');`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close());
