/**
 * A bare node:http host around `createTwoFa().handle`, mapped the way an adapter maps a request,
 * so the store tests go through real HTTP without depending on a framework adapter.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTwoFa, type TwoFa, type TwoFaOptions } from '../../src/index.js';

export interface Host {
  readonly kit: TwoFa;
  /** Full URL of a path below the prefix. */
  at(path: string): string;
  close(): Promise<void>;
}

export async function host(options: TwoFaOptions): Promise<Host> {
  const kit = createTwoFa(options);
  const prefix = kit.config.prefix;
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith(`${prefix}/`)) {
      res.writeHead(404).end();
      return;
    }
    const response = await kit.handle({
      method: req.method ?? 'GET',
      path: url.pathname.slice(prefix.length),
      rawQuery: url.search.slice(1),
      headers: req.headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? { kind: 'none' } : { kind: 'stream', stream: req },
      ip: req.socket.remoteAddress,
      basePath: prefix,
    });
    res.writeHead(response.status, response.headers).end(response.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${prefix}`;
  return {
    kit,
    at: (path) => `${base}${path}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await kit.close();
    },
  };
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: { code: number; message: string; data: Record<string, unknown> | null };
  /** Wall time of the request in ms. */
  readonly ms: number;
}

/** `POST /generate` with the seed's form body and an `X-API-Key`. */
export async function generate(h: Host, apiKey: string): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(h.at('/generate'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-api-key': apiKey },
    body: 'secret=JBSWY3DPEHPK3PXP',
  });
  const body = (await res.json()) as Answer['body'];
  return { status: res.status, headers: res.headers, body, ms: performance.now() - started };
}
