import { createTwoFa, ERROR_KINDS, staticKeys } from '@twofa-kit/core';
import { ROUTES } from '@twofa-kit/core/adapter';
import { openApiDocument, routeJsonSchemas } from '@twofa-kit/core/openapi';
import { type ExtServer, get, postForm, postJson, serve } from '@twofa-kit/testing/http-host';
import { afterEach, describe, expect, it } from 'vitest';

type Schema = Record<string, unknown> & {
  properties?: Record<string, Schema>;
  required?: string[];
  oneOf?: Schema[];
  const?: unknown;
  enum?: unknown[];
  type?: string | string[];
};
interface Doc {
  paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: Schema }> }> }>>;
}

type Case = [
  path: string,
  method: string,
  send: () => Promise<{ status: number; json: Parameters<typeof matches>[1] }>,
];

let srv: ExtServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

/** Whether an envelope matches one of the documented envelope schemas (code, message, data's shape). */
function matches(
  schema: Schema,
  body: { code: number; message: string; data: Record<string, unknown> | null },
): boolean {
  if (schema.oneOf) return schema.oneOf.some((s) => matches(s, body));
  const p = schema.properties ?? {};
  if (p.code?.const !== body.code) return false;
  const msg = p.message ?? {};
  if (!(msg.const === body.message || (msg.enum ?? []).includes(body.message))) return false;
  const data = p.data ?? {};
  if (data.type === 'null') return body.data === null;
  if (body.data === null) return false;
  const keys = Object.keys(data.properties ?? {});
  return (
    (data.required ?? []).every((k) => k in (body.data ?? {})) && Object.keys(body.data).every((k) => keys.includes(k))
  );
}

describe('OpenAPI document', () => {
  it('documents every envelope the server actually answers with, for each path and status', async () => {
    const s = await serve({
      resolveKey: staticKeys({ kfree: 'free', kpro: 'pro' }),
      clock: () => Date.UTC(2026, 0, 1, 12, 0, 10),
      authFailureLimit: { max: 3 },
    });
    srv = s;
    const doc = (await (await fetch(s.at('/openapi.json'))).json()) as Doc;
    const S = 'JBSWY3DPEHPK3PXP';
    const cases: Case[] = [
      ['/generate', 'post', () => postForm(s.at('/generate'), { secret: S }, 'kpro')],
      ['/generate', 'get', () => get(`${s.at('/generate')}?secret=${S}`, 'kpro')],
      ['/generate', 'post', () => postForm(s.at('/generate'), { secret: '!' }, 'kpro')],
      ['/generate', 'post', () => postForm(s.at('/generate'), { secret: S, digits: '12' }, 'kpro')],
      ['/generate', 'post', () => postJson(s.at('/generate'), '[1]', 'kpro')],
      ['/verify', 'post', () => postForm(s.at('/verify'), { secret: S, code: '123456' }, 'kpro')],
      ['/verify', 'post', () => postForm(s.at('/verify'), { secret: S, code: '12' }, 'kpro')],
      ['/verify', 'post', () => postForm(s.at('/verify'), { secret: S, code: '123456', window: '99' }, 'kpro')],
      ['/usage', 'get', () => get(s.at('/usage'), 'kfree')],
      ...Array.from(
        { length: 6 },
        (): [string, string, () => Promise<{ status: number; json: Parameters<typeof matches>[1] }>] => [
          '/generate',
          'post',
          () => postForm(s.at('/generate'), { secret: S }, 'kfree'),
        ],
      ),
      ...Array.from(
        { length: 4 },
        (): [string, string, () => Promise<{ status: number; json: Parameters<typeof matches>[1] }>] => [
          '/usage',
          'get',
          () => get(s.at('/usage'), 'wrong'),
        ],
      ),
    ];
    const seen = new Set<number>();
    for (const [path, method, send] of cases) {
      const r = await send();
      seen.add(r.status);
      const response = doc.paths[`/api/2fa${path}`]?.[method]?.responses[String(r.status)];
      expect(response, `${method} ${path} ${r.status} is documented`).toBeDefined();
      const schema = response?.content['application/json']?.schema as Schema;
      expect(matches(schema, r.json), `${method} ${path} ${JSON.stringify(r.json)}`).toBe(true);
    }
    expect([...seen].sort()).toEqual([200, 400, 401, 429]);
  });

  it('uses the basePath the adapter reports (nested mounts), caching one document per path', async () => {
    const kit = createTwoFa({ resolveKey: () => null });
    const askDoc = (method: 'GET' | 'HEAD', basePath?: string) =>
      kit.handle({ method, path: '/openapi.json', rawQuery: '', headers: {}, body: { kind: 'none' }, basePath });
    const fetchDoc = async (basePath?: string) => {
      const r = await askDoc('GET', basePath);
      expect(r.status).toBe(200);
      return JSON.parse(r.body) as Doc & { openapi: string };
    };
    expect(Object.keys((await fetchDoc('/outer/api/2fa')).paths)).toEqual(ROUTES.map((r) => `/outer/api/2fa${r.path}`));
    expect(Object.keys((await fetchDoc()).paths)).toEqual(ROUTES.map((r) => `/api/2fa${r.path}`));
    const head = await askDoc('HEAD');
    expect(head.status).toBe(200);
  });

  it('describes parameters from the route ParamDefs: query for GET; query and both body types for POST', () => {
    const doc = openApiDocument(ROUTES, { basePath: '/api/2fa', allowQueryKey: true, authGuard: true }) as unknown as {
      paths: Record<
        string,
        Record<
          string,
          {
            parameters?: { name: string; required: boolean; schema: Schema }[];
            requestBody?: { content: Record<string, { schema: Schema }> };
          }
        >
      >;
    };
    const post = doc.paths['/api/2fa/verify']?.post;
    expect(Object.keys(post?.requestBody?.content ?? {})).toEqual([
      'application/x-www-form-urlencoded',
      'application/json',
    ]);
    const body = post?.requestBody?.content['application/json']?.schema;
    expect(body?.required).toEqual(['secret', 'code']);
    expect(Object.keys(body?.properties ?? {})).toEqual(['secret', 'code', 'digits', 'period', 'algorithm', 'window']);
    expect(body?.properties?.window).toMatchObject({ type: 'integer', minimum: 0, maximum: 10, default: 1 });
    expect(body?.properties?.algorithm).toMatchObject({ enum: ['SHA1', 'SHA256', 'SHA512'] });
    expect(post?.parameters?.every((p) => p.required === false)).toBe(true);
    const getGen = doc.paths['/api/2fa/generate']?.get;
    expect(getGen?.requestBody).toBeUndefined();
    expect(getGen?.parameters?.find((p) => p.name === 'secret')?.required).toBe(true);
    expect(Object.keys(doc.paths['/api/2fa/generate']?.get ?? {})).toContain('responses');
  });

  it('routeJsonSchemas gives each route a Fastify-style schema from the same definitions', () => {
    const verify = ROUTES.find((r) => r.id === 'verify');
    if (verify === undefined) throw new Error('no verify route');
    const s = routeJsonSchemas(verify, 'POST');
    expect(s.operationId).toBe('verify');
    expect(s.body?.required).toEqual(['secret', 'code']);
    expect(Object.keys(s.response).map(Number)).toEqual([200, 400, 401, 413, 415, 429, 500, 503]);
    const r400 = s.response[400] as { oneOf: { properties: { message: { const: string } } }[] };
    expect(r400.oneOf.map((o) => o.properties.message.const)).toEqual([
      ERROR_KINDS.INVALID_SECRET.message,
      ERROR_KINDS.INVALID_CODE.message,
      ERROR_KINDS.INVALID_PARAMETER.message,
      ERROR_KINDS.MALFORMED_BODY.message,
    ]);
    const generate = ROUTES.find((r) => r.id === 'generate');
    if (generate === undefined) throw new Error('no generate route');
    const g = routeJsonSchemas(generate, 'GET');
    expect(g.operationId).toBe('generateGet');
    expect(g.body).toBeUndefined();
    expect(g.querystring.required).toEqual(['secret']);
    // With the guard off, its 429 is not documented; without query keys, one security scheme.
    const quiet = routeJsonSchemas(generate, 'POST', { authGuard: false, allowQueryKey: false });
    expect(JSON.stringify(quiet.response[429])).not.toContain(ERROR_KINDS.TOO_MANY_AUTH_FAILURES.message);
    expect(quiet.security).toEqual([{ ApiKeyHeader: [] }]);
  });
});
