/**
 * The example's key store over HTTP, on PGlite in this process and on a PostgreSQL server started
 * for the test: a key issued in the table works, an unknown one does not, and a revocation made
 * with plain SQL answers 401 at the next request, although the cache would keep the key for ten
 * minutes: the trigger's NOTIFY cleared it.
 */
import type { AddressInfo } from 'node:net';
import { createTwoFa, twoFaPlugin } from '@twofa-kit/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PostgresServer,
  postgresTestsEnabled,
  startPostgres,
} from '../../../apps/paid-api/test/support/postgres.js';
import { type Database, openDatabase } from '../src/database.js';
import { CHANNEL, createSchema, issueKey, postgresKeys, revokeKey } from '../src/postgres-keys.js';

const backends = ['PGlite', ...(postgresTestsEnabled('examples/postgres-keys') ? ['PostgreSQL'] : [])];

describe.each(backends)('examples/postgres-keys on %s', (backend) => {
  let db: Database;
  let server: PostgresServer | undefined;
  const apps: FastifyInstance[] = [];

  async function serve(options: { listen: boolean }): Promise<string> {
    const keys = postgresKeys(db.sql, { ttlMs: 600_000 });
    if (options.listen) await db.listen(CHANNEL, () => keys.clear());
    const twoFa = createTwoFa({ resolveKey: keys });
    const app = Fastify();
    app.register(twoFaPlugin, { twoFa });
    app.addHook('onClose', () => twoFa.close());
    apps.push(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  }

  const generate = (base: string, key: string) =>
    fetch(`${base}/api/2fa/generate`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ secret: 'JBSWY3DPEHPK3PXP' }),
    }).then((r) => r.status);

  beforeAll(async () => {
    server = backend === 'PostgreSQL' ? await startPostgres() : undefined;
    db = await openDatabase(server?.url ?? '');
    await createSchema(db.sql);
  }, 120_000);

  afterAll(async () => {
    for (const app of apps) await app.close();
    await db?.close();
    await server?.stop();
  });

  it('resolves issued keys from the table and refuses unknown ones', async () => {
    const base = await serve({ listen: true });
    const key = await issueKey(db.sql, 'cus_a', 'free');
    expect(await generate(base, key)).toBe(200);
    expect(await generate(base, `${key}x`)).toBe(401);
  });

  it('a revocation reaches a server at once through NOTIFY; without it the cache keeps the key', async () => {
    const listening = await serve({ listen: true });
    const deaf = await serve({ listen: false });
    const key = await issueKey(db.sql, 'cus_b', 'pro');
    expect(await generate(listening, key)).toBe(200);
    expect(await generate(deaf, key)).toBe(200); // now cached on both, for ten minutes
    await revokeKey(db.sql, key);
    await expect.poll(() => generate(listening, key), { timeout: 2_000 }).toBe(401); // the notification's delivery
    expect(await generate(deaf, key)).toBe(200);
  });
});
