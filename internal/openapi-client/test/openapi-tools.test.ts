/**
 * The served OpenAPI document as tools no one here wrote read it, on every adapter: Redocly's lint
 * (recommended rules) with no error and no warning, swagger-parser's validation, and a typed client
 * generated from it (openapi-typescript 7, openapi-fetch 0.17), type-checked by TypeScript 5 in
 * strict mode and run against the Fastify example server: generate, verify, usage and a 429's
 * `retry_after`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import SwaggerParser from '@apidevtools/swagger-parser';
import { ADAPTERS, contractOptions, TestClock } from '@twofa-kit/contract';
import { ensureBuilt, type RunningExample, startExample } from '@twofa-kit/testing/example-process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const HERE = join(import.meta.dirname, '..');
const BIN = join(HERE, 'node_modules/.bin');
const KEY = 'openapi-client-free-0001';

/**
 * What the test calls of the built client (`dist/client/usage.js`). Written out here rather than
 * imported: the client's own types exist only once its API types are generated.
 */
type Outcome<T> = Promise<({ ok: true } & T) | { ok: false; status: number; message: string }>;
interface Client {
  twoFaClient(baseUrl: string, apiKey: string): unknown;
  generate(client: unknown, secret: string): Outcome<{ code: string }>;
  verify(client: unknown, secret: string, code: string): Outcome<{ valid: boolean }>;
  usage(client: unknown): Outcome<{ plan: string }>;
  retryAfterWhenLimited(
    client: unknown,
    secret: string,
    attempts: number,
  ): Promise<{ retryAfter: number | null; header: string | null; message: string } | undefined>;
}

/** The served documents, by server: each adapter's harness and the example. */
const documents = new Map<string, string>();
let dir = '';
let example: RunningExample | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'twofa-openapi-'));
  for (const harness of ADAPTERS) {
    const server = await harness.start(contractOptions(new TestClock()));
    try {
      documents.set(harness.name, await (await fetch(`${server.url}/api/2fa/openapi.json`)).text());
    } finally {
      await server.close();
    }
  }
  await ensureBuilt('fastify');
  example = await startExample('fastify', { TWOFA_API_KEYS: `${KEY}:free` });
  documents.set('example', await (await fetch(`${example.url}/api/2fa/openapi.json`)).text());
}, 180_000);

afterAll(async () => {
  await example?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function files(): string[] {
  return [...documents].map(([name, text]) => {
    const file = join(dir, `${name}.json`);
    writeFileSync(file, text);
    return file;
  });
}

describe('the served OpenAPI document, read by outside tools', () => {
  it('every adapter serves the same document', () => {
    expect(documents.size).toBe(ADAPTERS.length + 1);
    expect(new Set(documents.values()).size).toBe(1);
  });

  it('Redocly lint, recommended rules: no error and no warning', async () => {
    const { stdout } = await run(join(BIN, 'redocly'), ['lint', '--extends=recommended', '--format=json', ...files()], {
      cwd: dir,
    });
    // One JSON report per file, written one after another.
    const reports = JSON.parse(`[${stdout.replace(/\}\s*\{/g, '},{')}]`) as {
      totals: { errors: number; warnings: number };
      problems: unknown[];
    }[];
    expect(reports).toHaveLength(documents.size);
    for (const report of reports) {
      expect(report.problems).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    }
  }, 60_000);

  it('swagger-parser validates it', async () => {
    for (const text of documents.values()) {
      await expect(SwaggerParser.validate(JSON.parse(text))).resolves.toMatchObject({ openapi: '3.1.0' });
    }
  });

  it('a typed client generated from it type-checks (TypeScript 5, strict, no casts) and runs', async () => {
    // Generate: the types of the example server's own document.
    const generated = join(HERE, 'generated');
    mkdirSync(generated, { recursive: true });
    const source = join(dir, 'example.json');
    writeFileSync(source, documents.get('example') ?? '');
    await run(join(BIN, 'openapi-typescript'), [source, '-o', join(generated, 'api.ts')], { cwd: HERE });
    expect(readFileSync(join(generated, 'api.ts'), 'utf8')).toContain('"/api/2fa/generate"');

    // Type-check (and build) the client with TypeScript 5.
    const { stdout: version } = await run(join(BIN, 'tsc'), ['--version'], { cwd: HERE });
    expect(version).toMatch(/^Version 5\./);
    await run(join(BIN, 'tsc'), ['-p', 'tsconfig.json'], { cwd: HERE });
    expect(readFileSync(join(HERE, 'client/usage.ts'), 'utf8')).not.toMatch(/\bas\s+(unknown|never|any)\b|<any>/);

    // Run it against the example server.
    const client = (await import(pathToFileURL(join(HERE, 'dist/client/usage.js')).href)) as Client;
    const url = example?.url ?? '';
    const api = client.twoFaClient(url, KEY);
    const code = await client.generate(api, 'JBSWY3DPEHPK3PXP');
    expect(code).toMatchObject({ ok: true, code: expect.stringMatching(/^\d{6}$/) });
    if (!code.ok) throw new Error('generate failed');
    expect(await client.verify(api, 'JBSWY3DPEHPK3PXP', code.code)).toMatchObject({ ok: true, valid: true });
    expect(await client.usage(api)).toMatchObject({ ok: true, plan: 'free', minute: { limit: 5, remaining: 3 } });
    expect(await client.generate(client.twoFaClient(url, 'not-a-key'), 'JBSWY3DPEHPK3PXP')).toEqual({
      ok: false,
      status: 401,
      message: 'Invalid or missing API key',
    });

    const limited = await client.retryAfterWhenLimited(api, 'JBSWY3DPEHPK3PXP', 10);
    expect(limited?.message).toBe('Rate limit exceeded');
    expect(limited?.retryAfter).toBeGreaterThanOrEqual(1);
    expect(limited?.retryAfter).toBeLessThanOrEqual(60);
    expect(limited?.header).toBe(String(limited?.retryAfter));
  }, 120_000);
});
