import type { Readable } from 'node:stream';
import type { TwoFa } from '@twofa-kit/core';
import { type BodySource, splitUrl, type TwoFaResponse, type TwoFaSource, twoFaOf } from '@twofa-kit/core/adapter';
import { openApiSettings, routeJsonSchemas } from '@twofa-kit/core/openapi';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, RegisterOptions } from 'fastify';
import fp from 'fastify-plugin';

/** Either the core's options, or a core built elsewhere (so several apps can share one). */
export type TwoFaPluginOptions = TwoFaSource;

function send(reply: FastifyReply, res: TwoFaResponse): FastifyReply {
  // The body is the serialised envelope: a string with a JSON content type is sent as it is.
  return reply.code(res.status).headers(res.headers).send(res.body);
}

/** The routes, in an encapsulated plugin so the prefix applies and nothing leaks to the host. */
function routesPlugin(twoFa: TwoFa) {
  return async function twoFaRoutes(app: FastifyInstance): Promise<void> {
    const basePath = app.prefix;

    // Fastify reads every body into a Buffer (within the core's body limit), like its own parsers;
    // the core parses it only after authentication. A body refused by Fastify (too large, aborted)
    // reaches the error handler below, which lets the core answer 401 first without a valid key.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: twoFa.config.bodyLimit },
      (_request: FastifyRequest, body: Buffer, done: (error: null, body: Buffer) => void) => done(null, body),
    );
    // Route schemas document the surface (OpenAPI); they never validate or serialise anything.
    app.setValidatorCompiler(() => () => true);
    app.setSerializerCompiler(() => (data) => JSON.stringify(data));

    /** Answers through the core: at once when the core answers at once (no promise). */
    const answer = (request: FastifyRequest, reply: FastifyReply, body: BodySource) => {
      const { path: fullPath, rawQuery } = splitUrl(request.raw.url ?? '/');
      const below = fullPath.slice(basePath.length);
      const res = twoFa.respond({
        method: request.method,
        path: below.startsWith('/') ? below : `/${below}`,
        rawQuery,
        headers: request.headers,
        body,
        ip: request.ip,
        basePath,
      });
      if (res instanceof Promise) return res.then((out) => send(reply, out));
      send(reply, res);
      return undefined; // a synchronous handler that has replied returns nothing
    };
    const handler = (request: FastifyRequest, reply: FastifyReply) => {
      const body = request.body as Buffer | Readable | undefined | null;
      return answer(
        request,
        reply,
        body === undefined || body === null
          ? { kind: 'none' }
          : Buffer.isBuffer(body)
            ? { kind: 'parsed', value: body }
            : { kind: 'stream', stream: body },
      );
    };

    const schemaSettings = openApiSettings(twoFa.config, basePath);
    for (const route of twoFa.routes) {
      // One Fastify route per method: a GET route cannot carry a body schema.
      for (const method of route.methods) {
        app.route({
          method: method === 'GET' ? ['GET', 'HEAD'] : method,
          url: route.path,
          exposeHeadRoute: false,
          // The route's JSON schemas, for @fastify/swagger (documentation only; see the compilers above).
          ...(route.documented === false ? {} : { schema: routeJsonSchemas(route, method, schemaSettings) }),
          handler,
        });
      }
    }
    // Every other path and method under the prefix: the core answers 404 / 405 in the envelope.
    app.all('/', handler);
    app.all('/*', handler);

    app.setNotFoundHandler((request, reply) => handler(request, reply));
    app.setErrorHandler((error, request, reply) => {
      // Fastify refuses a malformed Content-Type (";;;", "a", "x/y/z") before any handler. Answer
      // through the core anyway, body unread, so a key is still checked first (401 before 415)
      // and the answer matches the other adapters.
      if ((error as { code?: unknown }).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        (request as { body: unknown }).body = request.raw;
        return handler(request, reply);
      }
      // Anything else raised before the handler (a hook's error, say) is answered by the core like
      // a body it could not read: 401 first without a valid key, then 400/413/415 by its status.
      return answer(request, reply, { kind: 'failed', error });
    });
  };
}

/** What Fastify itself reads from `register`'s options; passed on to the kit's routes, not to the kit. */
interface FastifyRegisterOptions {
  logLevel?: RegisterOptions['logLevel'];
  logSerializers?: RegisterOptions['logSerializers'];
}

async function twoFaPluginImpl(
  app: FastifyInstance,
  options: TwoFaPluginOptions & FastifyRegisterOptions,
): Promise<void> {
  const { logLevel, logSerializers, ...source } = options;
  const shared = 'twoFa' in source;
  const twoFa = twoFaOf(source as TwoFaPluginOptions, 'twoFaPlugin');
  if (!shared) app.addHook('onClose', () => twoFa.close());
  await app.register(routesPlugin(twoFa), {
    prefix: twoFa.config.prefix,
    ...(logLevel === undefined ? {} : { logLevel }),
    ...(logSerializers === undefined ? {} : { logSerializers }),
  });
}

/**
 * Serves the /api/2fa surface: `app.register(twoFaPlugin, { resolveKey, prefix, ... })`. The
 * routes live in an encapsulated child under `prefix` (default `/api/2fa`); the host's routes,
 * content-type parsers and error handlers are untouched.
 */
export const twoFaPlugin = fp(twoFaPluginImpl, { name: '@twofa-kit/fastify', fastify: '5.x' });

/**
 * For Fastify's `frameworkErrors` server option. Fastify answers a URL it cannot decode
 * (`/api/2fa/%E0%A4%A`) before any route or plugin runs; with this handler such a request under
 * the prefix gets the kit's answer (a 404 envelope) like on Koa and Express. Other paths go to
 * `fallback`, or get Fastify's usual error reply.
 *
 *   const twoFa = createTwoFa(options);
 *   const app = Fastify({ frameworkErrors: twoFaFrameworkErrors(twoFa) });
 *   await app.register(twoFaPlugin, { twoFa });
 */
export function twoFaFrameworkErrors(
  twoFa: TwoFa,
  fallback?: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void,
): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  const prefix = twoFa.config.prefix.toLowerCase();
  return (error, request, reply) => {
    const { path, rawQuery } = splitUrl(request.raw.url ?? '/');
    const at = prefix === '' ? 0 : path.toLowerCase().indexOf(prefix);
    const end = at + prefix.length;
    if (at < 0 || (end < path.length && path[end] !== '/')) {
      if (fallback !== undefined) fallback(error, request, reply);
      else reply.send(error);
      return;
    }
    void twoFa
      .handle({
        method: request.raw.method ?? 'GET',
        path: path.slice(end) || '/',
        rawQuery,
        headers: request.headers,
        body: { kind: 'none' },
        ip: request.ip,
        basePath: path.slice(0, end),
      })
      .then((res) => send(reply, res));
  };
}
