/**
 * The embedded PostgreSQL's access: its directory is its owner's alone (0700, also when it existed
 * with wider rights), and it is served on a Unix socket inside that directory, not on a TCP port
 * any local user could reach.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { type Embedded, openEmbedded } from '../src/index.js';

describe('the embedded PostgreSQL', () => {
  const root = mkdtempSync(join(tmpdir(), 'twofa-embedded-'));
  let embedded: Embedded | undefined;
  afterAll(async () => {
    await embedded?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('keeps its data directory at 0700 and listens on a socket inside it, not on TCP', {
    timeout: 180_000,
  }, async () => {
    const dir = join(root, 'data');
    mkdirSync(dir, { mode: 0o777 });
    embedded = await openEmbedded(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const url = new URL(embedded.url);
    expect(url.port).toBe('');
    expect(url.searchParams.get('host')).toBe(dir);
    expect(statSync(join(dir, '.s.PGSQL.5432')).isSocket()).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'host.json'), 'utf8'))).toEqual({ pid: process.pid, ready: true });
    const client = new pg.Client({ connectionString: embedded.url });
    await client.connect();
    try {
      expect((await client.query('SELECT 1 + 1 AS two')).rows).toEqual([{ two: 2 }]);
    } finally {
      await client.end();
    }
  });
});
