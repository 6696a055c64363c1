/**
 * A bare node:http host around `createTwoFa().handle`, mapped the way an adapter maps a request,
 * so the store tests go through real HTTP without depending on a framework adapter.
 */
import { type ExtServer, serve } from './http-host.js';

export type Host = ExtServer;

/** The same node:http host the extension tests use. */
export const host = serve;

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: { code: number; message: string; data: Record<string, unknown> | null };
  /** Wall time of the request in ms. */
  readonly ms: number;
}

/** `POST /generate` with the API documentation's form body and an `X-API-Key`. */
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
