import { METHODS } from 'node:http';
import Router, { type RouterMiddleware } from '@koa/router';
import type { TwoFa } from '@twofa-kit/core';
import type { BodySource, TwoFaRequest, TwoFaResponse, TwoFaSource } from '@twofa-kit/core/adapter';
import { hostBody, twoFaOf } from '@twofa-kit/core/adapter';
import type { Context, Middleware } from 'koa';

/** The router to mount, with the core it serves and an error boundary for host body parsers. */
export type TwoFaRouter = Router & {
  readonly twoFa: TwoFa;
  /**
   * Mount before a host body parser (`app.use(router.errorHandler)`) so that its errors on paths
   * under the prefix (malformed JSON, body too large) are answered by the kit like a body it read
   * itself: 401 without a valid key, otherwise 400/413 in the envelope, counted like any other
   * request. Optional.
   */
  readonly errorHandler: Middleware;
};

/**
 * Splits a request path into the mount prefix as the client sent it (`/v1/api/2fa` when nested)
 * and the path below it (`/generate`). The router matched the path, so the prefix is in it.
 */
function splitAtPrefix(path: string, prefix: string): { basePath: string; below: string } | undefined {
  const lower = path.toLowerCase();
  const want = prefix.toLowerCase();
  for (let i = lower.indexOf(want); i >= 0; i = lower.indexOf(want, i + 1)) {
    const end = i + want.length;
    if (end === path.length || path[end] === '/') {
      return { basePath: path.slice(0, end), below: path.slice(end) || '/' };
    }
  }
  return undefined;
}

function write(ctx: Context, res: TwoFaResponse): void {
  ctx.status = res.status;
  ctx.set(res.headers); // content-type first, so assigning a string body keeps it
  ctx.body = res.body;
}

function toRequest(ctx: Context, prefix: string, body: BodySource): TwoFaRequest {
  const { basePath, below } = splitAtPrefix(ctx.path, prefix) ?? { basePath: prefix, below: ctx.path };
  return {
    method: ctx.method,
    path: below,
    rawQuery: ctx.querystring,
    headers: ctx.headers,
    body,
    ip: ctx.ip,
    basePath,
  };
}

/**
 * A @koa/router router serving the /api/2fa surface under `prefix` (default `/api/2fa`):
 * `app.use(router.routes()).use(router.allowedMethods())`.
 */
export function twoFaRouter(options: TwoFaSource): TwoFaRouter {
  const twoFa = twoFaOf(options, 'twoFaRouter');
  const prefix = twoFa.config.prefix;
  const router = new Router(prefix === '' ? { methods: [...METHODS] } : { prefix, methods: [...METHODS] });

  const handler: RouterMiddleware = (ctx) => {
    const res = twoFa.respond(toRequest(ctx, prefix, hostBody((ctx.request as { body?: unknown }).body, ctx.req)));
    if (res instanceof Promise) return res.then((out) => write(ctx, out));
    write(ctx, res); // answered at once: no promise
    return undefined;
  };
  for (const route of twoFa.routes) {
    router.register(route.path, [...route.methods], handler); // GET routes answer HEAD too
  }
  // Every other path and method under the prefix: the core answers 404 / 405 in the envelope.
  // The handlers answer every method on every path under the prefix and never call next(), so a
  // mounted allowedMethods() has nothing left to do there.
  router.all('{/*rest}', handler);

  const errorHandler: Middleware = async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (splitAtPrefix(ctx.path, prefix) === undefined) throw error;
      // The core answers it like a body it read itself: 401 first without a valid key.
      write(ctx, await twoFa.handle(toRequest(ctx, prefix, { kind: 'failed', error })));
    }
  };
  return Object.assign(router, { twoFa, errorHandler });
}
