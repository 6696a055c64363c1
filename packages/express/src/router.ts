import { createTwoFa, type TwoFa, type TwoFaOptions, type TwoFaResponse } from '@twofa-kit/core';
import { type ErrorRequestHandler, type Request, type RequestHandler, type Response, Router } from 'express';

/** Either the core's options, or a core built elsewhere (so several apps can share one). */
export type TwoFaRouterOptions = TwoFaOptions | { readonly twoFa: TwoFa };

/** The router to mount, with the core it serves and an error handler for host body parsers. */
export type TwoFaRouter = Router & {
  readonly twoFa: TwoFa;
  /**
   * Mount after the router (`app.use(router.errorHandler)`, at the same path) when a host body
   * parser runs before it: its errors on paths under the prefix (malformed JSON, body too large)
   * then answer in the envelope. Errors on other paths pass on to the host's handlers.
   */
  readonly errorHandler: ErrorRequestHandler;
};

function write(res: Response, out: TwoFaResponse): void {
  // Written as the core made it: no ETag, no charset rewriting, byte-for-byte the other adapters'.
  res.statusCode = out.status;
  for (const [name, value] of Object.entries(out.headers)) res.setHeader(name, value);
  res.end(out.body);
}

/** Whether a path (relative to where the router is mounted) is under the prefix, as Express matches it. */
function underPrefix(path: string, prefix: string): boolean {
  if (prefix === '') return true;
  const p = path.toLowerCase();
  const want = prefix.toLowerCase();
  return p === want || p.startsWith(`${want}/`);
}

/**
 * An Express router serving the /api/2fa surface under `prefix` (default `/api/2fa`):
 * `app.use(twoFaRouter({ resolveKey }))`. Mounted under a path (`app.use('/v1', router)`), the
 * surface is at `/v1/api/2fa`.
 */
export function twoFaRouter(options: TwoFaRouterOptions): TwoFaRouter {
  const twoFa = 'twoFa' in options ? options.twoFa : createTwoFa(options);
  const prefix = twoFa.config.prefix;

  const handler: RequestHandler = (req: Request, res: Response, next) => {
    const url = req.url;
    const q = url.indexOf('?');
    const parsed: unknown = req.body;
    twoFa
      .handle({
        method: req.method,
        path: q < 0 ? url : url.slice(0, q),
        rawQuery: q < 0 ? '' : url.slice(q + 1),
        headers: req.headers,
        // A host body parser that already consumed the stream left its result; otherwise we read it.
        body:
          parsed !== undefined && req.readableEnded
            ? { kind: 'parsed', value: parsed }
            : { kind: 'stream', stream: req },
        ip: req.ip,
        basePath: req.baseUrl,
      })
      .then((out) => write(res, out), next);
  };
  const errorHandler: ErrorRequestHandler = (error, _req, res, next) => {
    if (res.headersSent) next(error);
    else write(res, twoFa.hostParserError(error));
  };

  const routes = Router();
  for (const route of twoFa.routes) {
    for (const method of route.methods) {
      routes[method === 'GET' ? 'get' : 'post'](route.path, handler); // GET routes answer HEAD too
    }
  }
  // Every other path and method under the prefix: the core answers 404 / 405 in the envelope.
  routes.use(handler);
  routes.use(errorHandler);

  const router = Router();
  if (prefix === '') router.use(routes);
  else router.use(prefix, routes);
  const hostErrorHandler: ErrorRequestHandler = (error, req, res, next) => {
    if (underPrefix(req.path, prefix)) errorHandler(error, req, res, next);
    else next(error);
  };
  return Object.assign(router, { twoFa, errorHandler: hostErrorHandler });
}
