/** Small HTTP helpers for the paid-api tests: real requests with `fetch`. */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: { code: number; message: string; data: Record<string, unknown> | null };
}

export const SECRET = 'JBSWY3DPEHPK3PXP';

export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/** POST /api/2fa/generate with the API documentation's form body, as every example of the API documentation sends it. */
export async function generate(base: string, key: string): Promise<Reply> {
  const res = await fetch(`${base}/api/2fa/generate`, {
    method: 'POST',
    headers: { 'X-API-Key': key, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `secret=${SECRET}`,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Reply['body'] };
}

/** GET /api/2fa/usage (consumes nothing). */
export async function usage(base: string, key: string): Promise<Reply> {
  const res = await fetch(`${base}/api/2fa/usage`, { headers: { 'X-API-Key': key } });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Reply['body'] };
}
