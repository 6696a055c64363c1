/**
 * The seed document's own client examples, run against the built Fastify example with only the
 * host and the key replaced (the contract: "every client example in it ... must work unchanged").
 * curl, Python (requests) and Java run for real when present on the machine; Go and PHP, when their
 * runtimes are missing, are emulated by sending the same method, headers and body bytes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeSecret, totpAt } from '@twofa-kit/core';
import { ensureBuilt, type RunningExample, startExample } from '@twofa-kit/testing/example-process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
/** The API's public documentation, a verbatim copy kept with the test. */
const SEED_COPY = new URL('./fixtures/2fa-api-documentation.txt', import.meta.url);
const seed = readFileSync(SEED_COPY, 'utf8');

const KEY = 'seed-example-key-3f9a1c';
const SEED_BASE = 'https://2faotp.live';
const SEED_KEY = 'your_api_key_here';

/** The seed text between two markers (the start included, the end excluded). */
function between(start: string, end: string): string {
  const from = seed.indexOf(start);
  const to = seed.indexOf(end, from + start.length);
  if (from < 0 || to < 0) throw new Error(`seed document changed: no block from ${start} to ${end}`);
  return seed.slice(from, to);
}

/** Every `curl` command of the seed, with its `\` continuation lines. */
function curlCommands(): string[] {
  const commands: string[] = [];
  const lines = seed.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]?.startsWith('curl ')) continue;
    let command = lines[i] as string;
    while (command.endsWith('\\')) command += `\n${lines[++i]}`;
    commands.push(command);
  }
  return commands;
}

/** Replaces the API documentation's host and key, and checks that both were really there. */
function localise(code: string, base: string, key = KEY): string {
  expect(code).toContain(SEED_BASE);
  return code.replaceAll(SEED_BASE, base).replaceAll(SEED_KEY, key);
}

async function has(command: string, args: string[]): Promise<boolean> {
  try {
    await run(command, args);
    return true;
  } catch {
    return false;
  }
}

/** The codes the seed secret gives anywhere in [fromSec, toSec] (a client run takes time). */
function codesBetween(fromSec: number, toSec: number): string[] {
  const key = decodeSecret('JBSWY3DPEHPK3PXP') as Uint8Array;
  const codes: string[] = [];
  for (let t = fromSec; t <= toSec; t++) codes.push(totpAt({ key, digits: 6, period: 30, algorithm: 'SHA1' }, t));
  return codes;
}
const nowSec = () => Math.floor(Date.now() / 1000);

function expectGenerated(body: unknown, fromSec: number) {
  expect(body).toMatchObject({ code: 200, message: 'Code generated successfully' });
  const data = (body as { data: { code: string; timestamp: number; remaining_time: number; valid_until: number } })
    .data;
  expect(Object.keys(data).sort()).toEqual(['code', 'remaining_time', 'timestamp', 'valid_until']);
  expect(codesBetween(fromSec, nowSec())).toContain(data.code);
  expect(data.code).toBe(
    totpAt(
      { key: decodeSecret('JBSWY3DPEHPK3PXP') as Uint8Array, digits: 6, period: 30, algorithm: 'SHA1' },
      data.timestamp,
    ),
  );
  expect(data.remaining_time).toBe(30 - (data.timestamp % 30));
  expect(data.valid_until).toBe(data.timestamp + data.remaining_time);
}

/** Sends a POST with exactly these headers (in this order, Host first unless given) and body. */
function rawPost(url: string, headers: [string, string][], body: string) {
  return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    const host: [string, string][] = headers.some(([name]) => name === 'Host') ? [] : [['Host', new URL(url).host]];
    const req = request(url, { method: 'POST', headers: [...host, ...headers].flat() }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the seed document’s client examples against examples/fastify', () => {
  let server: RunningExample;
  let work: string;

  beforeAll(async () => {
    await ensureBuilt('fastify');
    server = await startExample('fastify', { TWOFA_API_KEYS: `${KEY}:pro` });
    work = mkdtempSync(join(tmpdir(), 'twofa-seed-'));
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('has the three curl commands of the seed', () => {
    const commands = curlCommands();
    expect(commands).toHaveLength(3);
    expect(commands[0]).toContain('-H "X-API-Key: your_api_key_here"');
    expect(commands[1]).toContain('?api_key=your_api_key_here');
    expect(commands[2]).toContain('-d "secret=JBSWY3DPEHPK3PXP"');
  });

  for (const [form, at] of [
    ['header', 0],
    ['query', 1],
  ] as const) {
    it(`curl, ${form} form: authenticated, and asks for the missing secret`, async () => {
      const command = curlCommands()[at] as string;
      const { stdout } = await run('bash', ['-c', localise(command, server.url)]);
      expect(JSON.parse(stdout)).toEqual({ code: 400, message: 'Invalid or missing secret', data: null });
      const wrong = await run('bash', ['-c', localise(command, server.url, 'wrong-key')]);
      expect(JSON.parse(wrong.stdout)).toEqual({ code: 401, message: 'Invalid or missing API key', data: null });
    });
  }

  it('curl, the POST form example: generates the code', async () => {
    const [, , post] = curlCommands();
    const from = nowSec();
    const { stdout } = await run('bash', ['-c', localise(post as string, server.url)]);
    expectGenerated(JSON.parse(stdout), from);
  });

  /** Writes `code` to `file` in the work folder and runs `command ...args file` there: its stdout. */
  async function runAsFile(file: string, code: string, command: string, args: string[], timeout = 0): Promise<string> {
    writeFileSync(join(work, file), code);
    return (await run(command, [...args, file], { cwd: work, timeout })).stdout;
  }

  /**
   * The API documentation's client examples in other languages: each runs for real when its runtime answers
   * `probe`, else the exact request it sends (`replay`: headers in order, the API documentation's form body) is
   * sent instead.
   */
  const CLIENTS: {
    title: string;
    block: [start: string, end: string];
    probe: [command: string, args: string[]];
    runReal(code: string, from: number): Promise<void>;
    replay(host: string): [string, string][];
  }[] = [
    {
      title: 'Python requests example (run with python3 when requests is importable)',
      block: ['import requests', 'package main'],
      probe: ['python3', ['-c', 'import requests']],
      async runReal(code, from) {
        const { stdout } = await run('python3', ['-c', code]);
        const printed = /^2FA Code: (\d{6})\nRemaining: (\d+)s\n$/.exec(stdout);
        expect(printed).not.toBeNull();
        expect(codesBetween(from, nowSec())).toContain(printed?.[1]);
        expect(Number(printed?.[2])).toBeGreaterThanOrEqual(1);
        expect(Number(printed?.[2])).toBeLessThanOrEqual(30);
      },
      // requests' form POST: urlencoded body, its default headers plus the API documentation's one.
      replay: () => [
        ['User-Agent', 'python-requests/2.32.3'],
        ['Accept-Encoding', 'gzip, deflate'],
        ['Accept', '*/*'],
        ['Connection', 'keep-alive'],
        ['X-API-Key', KEY],
        ['Content-Length', '23'],
        ['Content-Type', 'application/x-www-form-urlencoded'],
      ],
    },
    {
      title: 'Go net/http example (run with go when installed, else the same request bytes)',
      block: ['package main', 'import java.net.URI;'],
      probe: ['go', ['version']],
      async runReal(code) {
        const stdout = await runAsFile('main.go', code, 'go', ['run']);
        expect(stdout).toMatch(/^map\[code:200 data:map\[code:\d{6} /);
      },
      replay: () => [
        ['User-Agent', 'Go-http-client/1.1'],
        ['Content-Length', '23'],
        ['Content-Type', 'application/x-www-form-urlencoded'],
        ['X-Api-Key', KEY], // Go canonicalises the header name
        ['Accept-Encoding', 'gzip'],
      ],
    },
    {
      title: 'Java HttpClient example (run with java when installed, else the same request bytes)',
      block: ['import java.net.URI;', '<?php'],
      probe: ['java', ['-version']],
      async runReal(code, from) {
        const stdout = await runAsFile('TwoFAExample.java', code, 'java', [], 120_000);
        expectGenerated(JSON.parse(stdout), from);
      },
      replay: (host) => [
        ['Content-Length', '23'],
        ['Host', host],
        ['User-Agent', 'Java-http-client/17'],
        ['X-API-Key', KEY],
        ['Content-Type', 'application/x-www-form-urlencoded'],
      ],
    },
    {
      title: 'PHP curl example (run with php when installed, else the same request bytes)',
      block: ['<?php', 'Success Response'],
      probe: ['php', ['-v']],
      async runReal(code, from) {
        const stdout = await runAsFile('example.php', code, 'php', []);
        const printed = /^2FA Code: (\d{6})\nRemaining: (\d+)s\n$/.exec(stdout);
        expect(codesBetween(from, nowSec())).toContain(printed?.[1]);
      },
      replay: () => [
        ['Accept', '*/*'],
        ['X-API-Key', KEY],
        ['Content-Type', 'application/x-www-form-urlencoded'],
        ['Content-Length', '23'],
      ],
    },
  ];

  for (const client of CLIENTS) {
    it(client.title, async () => {
      const code = localise(between(...client.block), server.url);
      const from = nowSec();
      if (await has(...client.probe)) {
        await client.runReal(code, from);
      } else {
        const res = await rawPost(
          `${server.url}/api/2fa/generate`,
          client.replay(new URL(server.url).host),
          'secret=JBSWY3DPEHPK3PXP',
        );
        expect(res.status).toBe(200);
        expectGenerated(res.body, from);
      }
    });
  }
});
