import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTwoFa, type TwoFa, type TwoFaOptions } from '@twofa-kit/core';

/**
 * A minimal node:http host for the extension tests of the core: it maps each request under the
 * prefix to `handle()` the way an adapter does (body as a stream, read by the core). The client
 * address is the socket's, or `x-test-client-ip` when a test plays several clients (as a host
 * behind a trusted proxy would take it from X-Forwarded-For).
 */
export interface ExtServer {
  kit: TwoFa;
  url: string;
  /** Full URL of a path below the prefix. */
  at(path: string): string;
  close(): Promise<void>;
}

export async function serve(options: TwoFaOptions): Promise<ExtServer> {
  const kit = createTwoFa(options);
  const prefix = kit.config.prefix;
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!url.pathname.startsWith(`${prefix}/`)) {
      res.writeHead(404).end('host 404');
      return;
    }
    const forwarded = req.headers['x-test-client-ip'];
    const response = await kit.handle({
      method: req.method ?? 'GET',
      path: url.pathname.slice(prefix.length),
      rawQuery: url.search.slice(1),
      headers: req.headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? { kind: 'none' } : { kind: 'stream', stream: req },
      ip: typeof forwarded === 'string' ? forwarded : req.socket.remoteAddress,
      basePath: prefix,
    });
    res.writeHead(response.status, response.headers).end(response.body);
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    kit,
    url: base,
    at: (path) => `${base}${prefix}${path}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await kit.close();
    },
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  json: { code: number; message: string; data: Record<string, unknown> | null };
}

/** POSTs a form (the API documentation's way) and parses the envelope. */
export async function postForm(
  url: string,
  fields: Record<string, string>,
  key?: string,
  extra: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(key ? { 'x-api-key': key } : {}), ...extra },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Answer['json'] };
}

export async function postJson(url: string, body: unknown, key?: string): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Answer['json'] };
}

export async function get(url: string, key?: string, extra: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, { headers: { ...(key ? { 'x-api-key': key } : {}), ...extra } });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Answer['json'] };
}
