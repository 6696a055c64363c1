import type { Readable } from 'node:stream';
import type { TwoFa } from '@twofa-kit/core';
import type { BodySource, HeaderMap, TwoFaResponse, TwoFaSource } from '@twofa-kit/core/adapter';
import { forwardedAddress, splitWebUrl, twoFaOf, webBody, webHeaders } from '@twofa-kit/core/adapter';
import { type Context, Hono } from 'hono';
import type { GetConnInfo } from 'hono/conninfo';
import { basePath as mountPath } from 'hono/route';

/** The app's own settings, beside the core's options (or a core built elsewhere). */
export interface TwoFaAppSettings {
  /**
   * The runtime's `getConnInfo` (`hono/bun`, `hono/deno`, `@hono/node-server/conninfo`, ...), for
   * the client address the failed-auth guard counts by. Default: found from what the server passes
   * Hono (`@hono/node-server`, `Bun.serve({ fetch: app.fetch })`, `Deno.serve(app.fetch)`).
   */
  readonly getConnInfo?: GetConnInfo | undefined;
  /**
   * The number of reverse proxies in front (default 0): the client address is then the one the
   * nearest of them appended to `X-Forwarded-For`. 0 reads no header, which a client can forge.
   */
  readonly trustProxy?: number | undefined;
}

export type TwoFaAppOptions = TwoFaSource & TwoFaAppSettings;

/** The Hono app to mount (`app.route('/', twoFaApp(options))`), with the core it serves. */
export type TwoFaApp = Hono & { readonly twoFa: TwoFa };

/** What the runtimes give Hono as `c.env`: Node's request, Bun's server, Deno's connection info. */
interface RuntimeEnv {
  readonly incoming?: Readable & {
    readonly headers?: HeaderMap;
    readonly socket?: { readonly remoteAddress?: string };
  };
  readonly requestIP?: (request: Request) => { readonly address: string } | null;
  readonly remoteAddr?: { readonly hostname?: string };
}

/** The peer address from the server Hono runs on, without a runtime-specific import. */
function peerAddress(c: Context): string | undefined {
  const env = c.env as RuntimeEnv | undefined;
  if (env === undefined || env === null || typeof env !== 'object') return undefined;
  if (env.incoming !== undefined) return env.incoming.socket?.remoteAddress;
  if (typeof env.requestIP === 'function') return env.requestIP(c.req.raw)?.address;
  return env.remoteAddr?.hostname;
}

function toResponse(out: TwoFaResponse): Response {
  return new Response(out.body, { status: out.status, headers: out.headers });
}

/**
 * The request's headers: on Node.js the server's own header map (what the core reads natively,
 * without building a `Headers`), elsewhere the `Request`'s.
 */
function headersOf(c: Context): HeaderMap {
  return (c.env as RuntimeEnv | undefined)?.incoming?.headers ?? webHeaders(c.req.raw.headers);
}

/**
 * The body still to read, or (a host middleware already read it) the bytes Hono kept of it. On
 * Node.js, a body nobody has touched is read from the server's own stream: `@hono/node-server`
 * builds a web `Request` (and a web stream over the socket) only when something asks for it, and
 * that costs more than the whole rest of the request.
 */
async function bodyOf(c: Context, headers: HeaderMap): Promise<BodySource> {
  const incoming = (c.env as RuntimeEnv | undefined)?.incoming;
  if (incoming !== undefined && incoming.readableDidRead === false && typeof incoming.pipe === 'function') {
    return { kind: 'stream', stream: incoming };
  }
  if (!c.req.raw.bodyUsed) return webBody(c.req.raw, headers);
  try {
    return { kind: 'parsed', value: Buffer.from(await c.req.arrayBuffer()) };
  } catch (error) {
    return { kind: 'failed', error };
  }
}

/**
 * A Hono app serving the /api/2fa surface under `prefix` (default `/api/2fa`):
 * `app.route('/', twoFaApp({ resolveKey }))`. Mounted under a path (`app.route('/v1', ...)`), the
 * surface is at `/v1/api/2fa`. The prefix is matched regardless of letter case, as Express and Koa
 * do; every other path passes on to the host's routes.
 */
export function twoFaApp(options: TwoFaAppOptions): TwoFaApp {
  const { getConnInfo, trustProxy = 0, ...source } = options;
  const twoFa = twoFaOf(source as TwoFaSource, 'twoFaApp');
  const prefix = twoFa.config.prefix;
  const lowerPrefix = prefix.toLowerCase();
  const address = (c: Context): string | undefined => {
    const peer = getConnInfo === undefined ? peerAddress(c) : getConnInfo(c).remote.address;
    return trustProxy === 0 ? peer : forwardedAddress(c.req.header('x-forwarded-for'), peer, trustProxy);
  };

  const app = new Hono();
  app.use('*', async (c, next) => {
    const mount = mountPath(c);
    const base = mount === '/' ? '' : mount;
    const { path, rawQuery } = splitWebUrl(c.req.url);
    const start = base.length;
    const end = start + prefix.length;
    if (
      path.slice(start, end).toLowerCase() !== lowerPrefix ||
      (prefix !== '' && path.length > end && path[end] !== '/')
    ) {
      return next(); // not under the prefix: the host's
    }
    const headers = headersOf(c);
    const out = twoFa.respond({
      method: c.req.method,
      path: path.slice(end) || '/',
      rawQuery,
      headers,
      body: await bodyOf(c, headers),
      ip: address(c),
      basePath: path.slice(0, end),
    });
    return toResponse(out instanceof Promise ? await out : out);
  });
  return Object.assign(app, { twoFa });
}
