import { staticKeys } from '@twofa-kit/core';
import { ROUTES } from '@twofa-kit/core/adapter';
import { routeJsonSchemas } from '@twofa-kit/core/openapi';
import { twoFaPlugin } from '@twofa-kit/fastify';
import Fastify, { type RouteOptions } from 'fastify';
import { expect, it } from 'vitest';

/** What @fastify/swagger reads: each route's `schema`, seen through an onRoute hook. */
it('the Fastify plugin gives each route and method its JSON schemas, for documentation only', async () => {
  const app = Fastify();
  const seen: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    if (route.schema !== undefined) seen.push(route);
  });
  await app.register(twoFaPlugin, { resolveKey: staticKeys({ k: 'pro' }), allowQueryKey: false });
  await app.ready();
  try {
    for (const route of ROUTES) {
      for (const method of route.methods) {
        const registered = seen.find((r) => r.url === `/api/2fa${route.path}` && [r.method].flat().includes(method));
        expect(registered?.schema, `${method} ${route.path}`).toMatchObject(
          routeJsonSchemas(route, method, { authGuard: true, allowQueryKey: false }),
        );
      }
    }
    // The schemas never validate or coerce: a one-element array is still not a secret.
    const res = await app.inject({
      method: 'POST',
      url: '/api/2fa/generate',
      headers: { 'x-api-key': 'k' },
      payload: { secret: ['JBSWY3DPEHPK3PXP'], digits: '8' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ code: 400, message: 'Invalid or missing secret', data: null });
    const ok = await app.inject({
      method: 'GET',
      url: '/api/2fa/generate?secret=JBSWY3DPEHPK3PXP&digits=8',
      headers: { 'x-api-key': 'k' },
    });
    expect(ok.json().data.code).toMatch(/^\d{8}$/);
  } finally {
    await app.close();
  }
});
