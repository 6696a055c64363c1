import type { HttpAdapterHost } from '@nestjs/core';
import type { TwoFa } from '@twofa-kit/core';

/** The adapter package each Nest platform needs, loaded only on that platform. */
const ADAPTERS = { express: '@twofa-kit/express', fastify: '@twofa-kit/fastify' } as const;

async function load<T>(name: string, platform: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new Error(`@twofa-kit/nestjs on @nestjs/platform-${platform} needs ${name}: npm install ${name}`, {
      cause: error,
    });
  }
}

/** Express's own names of its body parsers' middleware (Nest's are `jsonParser` and `urlencodedParser`). */
const BODY_PARSERS = new Set(['jsonParser', 'urlencodedParser', 'textParser', 'rawParser']);

/**
 * Moves the router, appended last, to just before the app's first body parser: the host's own
 * `app.use()` middleware (CORS, headers) still runs first, but the kit reads the raw body itself,
 * within its limits and after the key is checked, like on every other framework (a parser in front
 * would decide for it: a repeated JSON key, a deep nesting, a body's size without Content-Length).
 */
function beforeBodyParsers(app: { router: { stack: { name?: string; handle?: unknown }[] } }, router: unknown): void {
  const stack = app.router.stack;
  const at = stack.findIndex((layer) => layer.name !== undefined && BODY_PARSERS.has(layer.name));
  const mine = stack.findIndex((layer) => layer.handle === router);
  if (at < 0 || mine < at) return;
  const [layer] = stack.splice(mine, 1);
  if (layer !== undefined) stack.splice(at, 0, layer);
}

/**
 * Mounts the kit on the app's HTTP server through the framework's own adapter: the Express
 * router (and its error handler, for the body parsers Nest runs before every route) or the
 * Fastify plugin (whose routes read their bodies themselves).
 */
export async function mount(host: HttpAdapterHost, twoFa: TwoFa): Promise<void> {
  const adapter = host.httpAdapter;
  const platform = adapter?.getType();
  if (platform === 'express') {
    const { twoFaRouter } = await load<typeof import('@twofa-kit/express')>(ADAPTERS.express, platform);
    const app = adapter.getInstance<import('express').Express>();
    const router = twoFaRouter({ twoFa });
    app.use(router);
    app.use(router.errorHandler);
    beforeBodyParsers(app, router);
  } else if (platform === 'fastify') {
    const { twoFaPlugin } = await load<typeof import('@twofa-kit/fastify')>(ADAPTERS.fastify, platform);
    const app = adapter.getInstance<import('fastify').FastifyInstance>();
    app.register(twoFaPlugin, { twoFa }); // loaded with the app's other plugins when it starts
  } else {
    throw new Error(
      `@twofa-kit/nestjs serves @nestjs/platform-express and @nestjs/platform-fastify, not ${platform ?? 'an app without an HTTP adapter'}`,
    );
  }
}
