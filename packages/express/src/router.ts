import type { TwoFa } from '@twofa-kit/core';
import type { BodySource, TwoFaRequest, TwoFaResponse, TwoFaSource } from '@twofa-kit/core/adapter';
import { hostBody, splitUrl, twoFaOf } from '@twofa-kit/core/adapter';
import {
  type ErrorRequestHandler,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  Router,
} from 'express';

/** The router to mount, with the core it serves and an error handler for host body parsers. */
export type TwoFaRouter = Router & {
  readonly twoFa: TwoFa;
  /**
   * Mount after the router (`app.use(router.errorHandler)`, at the same path) when a host body
   * parser runs before it: its errors on paths under the prefix (malformed JSON, body too large)
   * are then answered by the kit like a body it read itself: 401 without a valid key, otherwise
   * 400/413 in the envelope, counted like any other request. Errors on other paths pass on to
   * the host's handlers.
   */
  readonly errorHandler: ErrorRequestHandler;
};

function write(res: Response, out: TwoFaResponse): void {
  // Written as the core made it: no ETag, no charset rewriting, byte-for-byte the other adapters'.
  res.statusCode = out.status;
  const headers = out.headers;
  for (const name in headers) res.setHeader(name, headers[name] as string);
  res.end(out.body);
}

/**
 * Where `path` (relative to where a handler is mounted) meets the prefix, as Express matches it
 * (case-insensitively): the length of the prefix part, or -1 when the path is not under it.
 */
function prefixEnd(path: string, prefix: string): number {
  if (prefix === '') return 0;
  const p = path.toLowerCase();
  const want = prefix.toLowerCase();
  return p === want || p.startsWith(`${want}/`) ? want.length : -1;
}

function toRequest(req: Request, url: string, basePath: string, body: BodySource): TwoFaRequest {
  return { method: req.method, ...splitUrl(url), headers: req.headers, body, ip: req.ip, basePath };
}

/**
 * An Express router serving the /api/2fa surface under `prefix` (default `/api/2fa`):
 * `app.use(twoFaRouter({ resolveKey }))`. Mounted under a path (`app.use('/v1', router)`), the
 * surface is at `/v1/api/2fa`.
 */
export function twoFaRouter(options: TwoFaSource): TwoFaRouter {
  const twoFa = twoFaOf(options, 'twoFaRouter');
  const prefix = twoFa.config.prefix;

  const handler: RequestHandler = (req: Request, res: Response, next) => {
    const out = twoFa.respond(toRequest(req, req.url, req.baseUrl, hostBody(req.body, req)));
    if (out instanceof Promise) out.then((o) => write(res, o), next);
    else write(res, out); // answered at once: no promise
  };
  // A host body parser failed before the router: the core answers it (401 without a valid key).
  const answerParserError = (error: unknown, req: Request, res: Response, next: NextFunction, end: number) => {
    if (res.headersSent) return next(error);
    const url = req.url.slice(end) || '/';
    const basePath = req.baseUrl + req.url.slice(0, end);
    twoFa
      .handle(toRequest(req, url.startsWith('?') ? `/${url}` : url, basePath, { kind: 'failed', error }))
      .then((out) => write(res, out), next);
  };
  const errorHandler: ErrorRequestHandler = (error, req, res, next) => answerParserError(error, req, res, next, 0);

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
    const end = prefixEnd(req.path, prefix);
    if (end < 0) next(error);
    else answerParserError(error, req, res, next, end);
  };
  return Object.assign(router, { twoFa, errorHandler: hostErrorHandler });
}
