// A client of the 2FA API as a user of the published OpenAPI document writes one: types generated
// by openapi-typescript from the document a server serves (`generated/api.d.ts`, written by the
// test), calls made with openapi-fetch. Type-checked with TypeScript 5 in strict mode, without a
// single cast: every field read here is typed by the document alone.
import createClient from 'openapi-fetch';
import type { paths } from '../generated/api.js';

export type TwoFaClient = ReturnType<typeof createClient<paths>>;

export function twoFaClient(baseUrl: string, apiKey: string): TwoFaClient {
  return createClient<paths>({ baseUrl, headers: { 'X-API-Key': apiKey } });
}

/** `POST /generate`: the code and its timing, or the error envelope's status and message. */
export async function generate(client: TwoFaClient, secret: string) {
  const { data, error } = await client.POST('/api/2fa/generate', { body: { secret } });
  if (error !== undefined) return { ok: false as const, status: error.code, message: error.message };
  const code: string = data.data.code;
  const validUntil: number = data.data.valid_until;
  return { ok: true as const, code, remaining: data.data.remaining_time, validUntil };
}

/** `POST /verify`: whether the code is valid for the secret now. */
export async function verify(client: TwoFaClient, secret: string, code: string) {
  const { data, error } = await client.POST('/api/2fa/verify', { body: { secret, code } });
  if (error !== undefined) return { ok: false as const, status: error.code, message: error.message };
  const valid: boolean = data.data.valid;
  const replayed: boolean = data.data.replayed;
  return { ok: true as const, valid, replayed, delta: data.data.delta };
}

/** `GET /usage`: the plan and the minute window's limit and remaining requests (null: unlimited). */
export async function usage(client: TwoFaClient) {
  const { data, error } = await client.GET('/api/2fa/usage');
  if (error !== undefined) return { ok: false as const, status: error.code, message: error.message };
  const minute: { limit: number | null; remaining: number | null } = data.data.limits.minute;
  return { ok: true as const, plan: data.data.plan, minute };
}

/**
 * `GET /generate` until the quota refuses: the 429's `retry_after`, read from the typed error
 * envelope once its `code` says 429. (Errors whose `data` is always `null` state it as
 * `{"type": "null"}`; openapi-fetch 0.17 leaves a property typed exactly `null` out of its error
 * type, so `error.data` is readable after narrowing to an error kind that carries data.)
 */
export async function retryAfterWhenLimited(client: TwoFaClient, secret: string, attempts: number) {
  for (let i = 0; i < attempts; i++) {
    const { error, response } = await client.GET('/api/2fa/generate', { params: { query: { secret } } });
    if (error === undefined) continue;
    if (error.code === 429) {
      const retryAfter: number = error.data.retry_after;
      return { retryAfter, header: response.headers.get('Retry-After'), message: error.message };
    }
    return { retryAfter: null, header: null, message: error.message };
  }
  return undefined;
}
