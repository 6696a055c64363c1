import type { TwoFa } from '@twofa-kit/core';
import type { TwoFaRequest, TwoFaResponse, TwoFaSource } from '@twofa-kit/core/adapter';
import { splitWebUrl, twoFaOf, webBody, webHeaders } from '@twofa-kit/core/adapter';

/** What the host knows about a request that the `Request` itself does not carry. */
export interface TwoFaFetchContext {
  /**
   * The client address, as the host determines it (Bun: `server.requestIP(request)?.address`;
   * Deno: `info.remoteAddr.hostname`; behind a proxy: from its header, with a trusted hop count).
   * The failed-auth guard counts 401s per address: without one, every request is one client (the
   * kit warns once).
   */
  readonly ip?: string | undefined;
}

/** Answers a request outside the prefix: the host's own routes. */
export type TwoFaFetchFallback = (request: Request, context: TwoFaFetchContext) => Response | Promise<Response>;

/** The handler's own settings, beside the core's options (or a core built elsewhere). */
export interface TwoFaFetchSettings {
  /**
   * Answers every request whose path is outside the prefix (the kit never looks at them). Default:
   * a plain-text `404 Not Found`, not the kit's envelope.
   */
  readonly fallback?: TwoFaFetchFallback | undefined;
}

export type TwoFaFetchOptions = TwoFaSource & TwoFaFetchSettings;

/** `(request, context?) => Promise<Response>`, with the core it serves (`handler.twoFa.close()`). */
export type TwoFaFetchHandler = ((request: Request, context?: TwoFaFetchContext) => Promise<Response>) & {
  readonly twoFa: TwoFa;
};

const NO_CONTEXT: TwoFaFetchContext = {};

const notFound: TwoFaFetchFallback = () =>
  new Response('Not Found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });

function toResponse(out: TwoFaResponse): Response {
  return new Response(out.body, { status: out.status, headers: out.headers });
}

/**
 * A fetch-standard handler serving the /api/2fa surface under `prefix` (default `/api/2fa`), for
 * any runtime with WHATWG `Request`/`Response`: `Bun.serve`, `Deno.serve`, Next.js route handlers,
 * Workers-style handlers. The prefix is matched regardless of letter case, as Express and Koa do.
 */
export function twoFaFetch(options: TwoFaFetchOptions): TwoFaFetchHandler {
  const { fallback = notFound, ...source } = options;
  const twoFa = twoFaOf(source as TwoFaSource, 'twoFaFetch');
  const prefix = twoFa.config.prefix;
  const lowerPrefix = prefix.toLowerCase();

  const handler = async (request: Request, context: TwoFaFetchContext = NO_CONTEXT): Promise<Response> => {
    const { path, rawQuery } = splitWebUrl(request.url);
    let below = path;
    if (prefix !== '') {
      const head = path.slice(0, prefix.length).toLowerCase();
      if (head !== lowerPrefix || (path.length > prefix.length && path[prefix.length] !== '/')) {
        return fallback(request, context);
      }
      below = path.slice(prefix.length) || '/';
    }
    const headers = webHeaders(request.headers);
    const twoFaRequest: TwoFaRequest = {
      method: request.method,
      path: below,
      rawQuery,
      headers,
      body: webBody(request, headers),
      ip: context.ip,
      basePath: path.slice(0, prefix.length),
    };
    const out = twoFa.respond(twoFaRequest);
    return toResponse(out instanceof Promise ? await out : out);
  };
  return Object.assign(handler, { twoFa });
}
