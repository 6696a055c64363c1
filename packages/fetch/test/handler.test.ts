import { KEYS, SEED_SECRET } from '@twofa-kit/contract';
import { staticKeys, twoFaFetch } from '@twofa-kit/fetch';

/** The code of the kit's warning about a request without a client address (documented). */
const NO_CLIENT_ADDRESS_CODE = 'TWOFA_NO_CLIENT_ADDRESS';

import { describe, expect, it } from 'vitest';

const resolveKey = staticKeys({ [KEYS.free]: 'free' });
const generate = (origin: string, path = '/api/2fa/generate', init: RequestInit = {}) =>
  new Request(`${origin}${path}`, {
    method: 'POST',
    headers: { 'x-api-key': KEYS.free, 'content-type': 'application/x-www-form-urlencoded' },
    body: `secret=${SEED_SECRET}`,
    ...init,
  });

describe('twoFaFetch: what is the kit’s and what is the host’s', () => {
  it('answers under the prefix (any letter case) and leaves every other path to a plain 404', async () => {
    const handler = twoFaFetch({ resolveKey });
    expect((await handler(generate('http://h'), { ip: '192.0.2.1' })).status).toBe(200);
    expect((await handler(generate('http://h', '/API/2fa/generate'), { ip: '192.0.2.1' })).status).toBe(200);
    for (const path of ['/api/2fa-other/generate', '/api', '/']) {
      const res = await handler(new Request(`http://h${path}`), { ip: '192.0.2.1' });
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(await res.text()).toBe('Not Found');
    }
    const ours = await handler(new Request('http://h/api/2fa/nope'), { ip: '192.0.2.1' });
    expect(await ours.json()).toMatchObject({ code: 404 });
  });

  it('hands the host’s paths, with their context, to the fallback, and never reads their body', async () => {
    const seen: string[] = [];
    const handler = twoFaFetch({
      resolveKey,
      fallback: async (request, context) => {
        seen.push(`${new URL(request.url).pathname} ${context.ip} ${request.bodyUsed}`);
        return new Response(await request.text(), { status: 201 });
      },
    });
    const res = await handler(generate('http://h', '/host/echo'), { ip: '192.0.2.9' });
    expect(res.status).toBe(201);
    expect(await res.text()).toBe(`secret=${SEED_SECRET}`);
    expect(seen).toEqual(['/host/echo 192.0.2.9 false']);
  });

  it('serves a custom prefix, and the OpenAPI document names the path as mounted', async () => {
    const handler = twoFaFetch({ resolveKey, prefix: '/v2/otp' });
    const doc = (await (await handler(new Request('http://h/v2/otp/openapi.json'), { ip: '::1' })).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toContain('/v2/otp/generate');
    expect((await handler(generate('http://h'), { ip: '::1' })).status).toBe(404);
  });
});

describe('twoFaFetch without a client address', () => {
  it('warns once that every such request counts as one client, and still answers', async () => {
    const warnings: { name: string; code?: string }[] = [];
    const listener = (warning: Error & { code?: string }) => warnings.push({ name: warning.name, code: warning.code });
    process.on('warning', listener);
    try {
      const handler = twoFaFetch({ resolveKey });
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await handler(generate('http://h'))).status);
      // A second core in the same process says nothing more.
      statuses.push((await twoFaFetch({ resolveKey })(generate('http://h'))).status);
      await new Promise((r) => setImmediate(r)); // process warnings are emitted on the next tick
      expect(statuses).toEqual([200, 200, 200, 200]);
      expect(warnings.filter((w) => w.code === NO_CLIENT_ADDRESS_CODE)).toHaveLength(1);
    } finally {
      process.off('warning', listener);
    }
  });
});
