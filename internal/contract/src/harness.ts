import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer, type Http2Bindings, type HttpBindings } from '@hono/node-server';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { createTwoFa, type TwoFaOptions } from '@twofa-kit/core';
import { twoFaRouter as expressRouter } from '@twofa-kit/express';
import { twoFaFrameworkErrors, twoFaPlugin } from '@twofa-kit/fastify';
import { forwardedAddress, type TwoFaFetchContext, twoFaFetch } from '@twofa-kit/fetch';
import { twoFaApp } from '@twofa-kit/hono';
import { twoFaRouter as koaRouter } from '@twofa-kit/koa';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';

/** What the host app around the kit has. */
export interface HostSetup {
  /**
   * The host's own body parsers run before the kit (express.json/urlencoded, @koa/bodyparser;
   * on Fastify, the host's own parsers for JSON and forms in place of Fastify's JSON one).
   */
  withHostParsers?: boolean;
  /** The host's own routes, error handler and 404 (see HOST_ROUTES). */
  hostRoutes?: boolean;
  /**
   * Reverse proxies in front, as the README shows per framework (the setting a client cannot
   * forge): Fastify `trustProxy: (address, hop) => hop < n`, Koa `proxy = true` with
   * `maxIpsCount = n`, Express `trust proxy` = n. The client address is then the one the nearest
   * proxy appended.
   */
  trustProxyHops?: number;
}

export interface RunningServer {
  /** The Node server (absent when the runtime's own server runs: `Bun.serve`, `Deno.serve`). */
  server?: http.Server | undefined;
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  close(): Promise<void>;
}

/** Starts one framework's app with the kit mounted, listening on a free port. */
export interface AdapterHarness {
  name: string;
  /**
   * How the app sees the request target: as sent (`raw`, node:http frameworks; the default) or as a
   * WHATWG URL (`whatwg`: `Request.url` on fetch-standard servers, where dot segments, `%2e%2e`
   * too, are already resolved, so a target that resolves outside the prefix is the host's).
   */
  requestUrl?: 'raw' | 'whatwg';
  /** The framework matches paths case-sensitively (Fastify): `/API/2fa` is then not under `/api/2fa`. */
  caseSensitivePaths?: boolean;
  /**
   * Headers the host itself writes on (or leaves off) the kit's answers, beyond the HTTP server's
   * own: left out where answers are compared byte for byte across adapters.
   */
  hostHeaders?: readonly string[];
  /**
   * Requests the host answers itself before any route runs, as `METHOD path` → why: the kit never
   * sees them, so the contract's test of each is skipped for this harness only.
   */
  answeredByHost?: Readonly<Record<string, string>>;
  start(options: TwoFaOptions, host?: HostSetup): Promise<RunningServer>;
}

/**
 * The host routes every harness adds with `hostRoutes`: `GET /host/ping` → `{"pong":true}`,
 * `POST /host/echo` → `{"body": <what the host's parser made of the body>}`, `GET /host/boom`
 * → the host's own error handler answers 500 `{"host_error":"boom"}`, and an unknown path gets
 * the framework's own 404 (never the kit's envelope).
 */
export const HOST_ROUTES = {
  ping: '/host/ping',
  echo: '/host/echo',
  boom: '/host/boom',
  hostErrorBody: { host_error: 'boom' },
} as const;

function listen(server: http.Server): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        server,
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Fastify's trust function for `n` proxies in front: the socket peer and the n - 1 hops before it. */
export function trustHops(n: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < n;
}

export const FASTIFY: AdapterHarness = {
  name: 'fastify',
  caseSensitivePaths: true,
  async start(options, host = {}) {
    // The documented setup: a core built first, so Fastify's frameworkErrors (URLs it cannot
    // decode, answered before any plugin runs) can answer under the prefix in the envelope too.
    const twoFa = createTwoFa(options);
    const app = Fastify({
      frameworkErrors: twoFaFrameworkErrors(twoFa),
      // Fastify 5 refuses a bare hop count (`trustProxy: 1` trusts nothing); a function counts hops.
      ...(host.trustProxyHops ? { trustProxy: trustHops(host.trustProxyHops) } : {}),
    });
    app.addHook('onClose', () => twoFa.close());
    if (host.withHostParsers) {
      // The host's own parsers for the content types the kit reads (the kit's routes read the body
      // themselves, so a parser error there is still answered after the key is checked).
      const parseError = (cause: unknown) => Object.assign(new Error('host parser', { cause }), { statusCode: 400 });
      app.removeContentTypeParser('application/json');
      app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
        try {
          done(null, JSON.parse(body as string));
        } catch (cause) {
          done(parseError(cause), undefined);
        }
      });
      app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(body as string)));
      });
    }
    if (host.hostRoutes) {
      app.setErrorHandler((_error, _request, reply) => reply.code(500).send(HOST_ROUTES.hostErrorBody));
      app.get(HOST_ROUTES.ping, async () => ({ pong: true }));
      app.post(HOST_ROUTES.echo, async (request) => ({ body: request.body }));
      app.get(HOST_ROUTES.boom, async () => {
        throw new Error('boom');
      });
    }
    await app.register(twoFaPlugin, { twoFa });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    return { server: app.server, url: `http://127.0.0.1:${port}`, close: () => app.close() };
  },
};

export const KOA: AdapterHarness = {
  name: 'koa',
  async start(options, host = {}) {
    const app = new Koa();
    if (host.trustProxyHops) {
      app.proxy = true;
      app.maxIpsCount = host.trustProxyHops;
    }
    const router = koaRouter(options);
    if (host.hostRoutes) {
      app.use(async (ctx, next) => {
        try {
          await next();
        } catch {
          ctx.status = 500;
          ctx.body = HOST_ROUTES.hostErrorBody;
        }
      });
    }
    // Documented: mount the kit's error boundary before a body parser of the host's.
    if (host.withHostParsers) app.use(router.errorHandler).use(bodyParser());
    app.use(router.routes()).use(router.allowedMethods());
    if (host.hostRoutes) {
      const own = new Router();
      own.get(HOST_ROUTES.ping, (ctx) => {
        ctx.body = { pong: true };
      });
      own.post(HOST_ROUTES.echo, (ctx) => {
        ctx.body = { body: (ctx.request as { body?: unknown }).body ?? null };
      });
      own.get(HOST_ROUTES.boom, () => {
        throw new Error('boom');
      });
      app.use(own.routes()).use(own.allowedMethods());
    }
    const running = await listen(http.createServer(app.callback()));
    return { ...running, close: () => running.close().then(() => router.twoFa.close()) };
  },
};

export const EXPRESS: AdapterHarness = {
  name: 'express',
  async start(options, host = {}) {
    const app = express();
    if (host.trustProxyHops) app.set('trust proxy', host.trustProxyHops);
    const router = expressRouter(options);
    if (host.withHostParsers) app.use(express.json(), express.urlencoded({ extended: false }));
    app.use(router);
    if (host.hostRoutes) {
      app.get(HOST_ROUTES.ping, (_req, res) => {
        res.json({ pong: true });
      });
      app.post(HOST_ROUTES.echo, (req, res) => {
        res.json({ body: req.body ?? null });
      });
      app.get(HOST_ROUTES.boom, () => {
        throw new Error('boom');
      });
    }
    // Documented: with host parsers in front, mount the kit's error handler after the router.
    if (host.withHostParsers) app.use(router.errorHandler);
    if (host.hostRoutes) {
      app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res.status(500).json(HOST_ROUTES.hostErrorBody);
      });
    }
    const running = await listen(http.createServer(app));
    return { ...running, close: () => running.close().then(() => router.twoFa.close()) };
  },
};

/**
 * A fetch-standard host (`Bun.serve`, `Deno.serve`, a Next.js route handler) as a function: the kit's
 * handler for its prefix, the host's own routes (`hostRoutes`) in its `fallback`. A fetch host has
 * no body parser in front of its routes: each route reads its own body, so `withHostParsers` means
 * the host's echo route parses JSON itself.
 */
export function fetchHost(
  options: TwoFaOptions,
  host: HostSetup,
): { fetch: (request: Request, context: TwoFaFetchContext) => Promise<Response>; close(): Promise<void> } {
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });
  const own = async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    try {
      if (request.method === 'GET' && path === HOST_ROUTES.ping) return json({ pong: true });
      if (request.method === 'POST' && path === HOST_ROUTES.echo) {
        const text = await request.text();
        return json({ body: text === '' ? null : JSON.parse(text) });
      }
      if (request.method === 'GET' && path === HOST_ROUTES.boom) throw new Error('boom');
    } catch {
      return json(HOST_ROUTES.hostErrorBody, 500);
    }
    return new Response('Not Found', { status: 404 });
  };
  const handler = twoFaFetch({ ...options, ...(host.hostRoutes ? { fallback: own } : {}) });
  return { fetch: handler, close: () => handler.twoFa.close() };
}

/**
 * A Hono host with the kit mounted at `/`: the host's routes beside it (`hostRoutes`); a Hono host
 * reads bodies in its own routes (`withHostParsers`: its echo route parses JSON itself).
 */
export function honoHost(options: TwoFaOptions, host: HostSetup): { app: Hono; close(): Promise<void> } {
  const app = new Hono();
  const twoFa = twoFaApp({ ...options, trustProxy: host.trustProxyHops ?? 0 });
  if (host.hostRoutes) {
    app.onError((_error, c) => c.json(HOST_ROUTES.hostErrorBody, 500));
    app.get(HOST_ROUTES.ping, (c) => c.json({ pong: true }));
  }
  app.route('/', twoFa);
  if (host.hostRoutes) {
    app.post(HOST_ROUTES.echo, async (c) => {
      const text = await c.req.text();
      return c.json({ body: text === '' ? null : JSON.parse(text) });
    });
    app.get(HOST_ROUTES.boom, () => {
      throw new Error('boom');
    });
  }
  return { app, close: () => twoFa.twoFa.close() };
}

/**
 * A fetch-standard server (`@hono/node-server`, `Bun.serve`, `Deno.serve`) serving `handle` on a free
 * port of 127.0.0.1. It passes each request on with what the runtime gives a handler besides the
 * request (the bindings, the server, the connection info: where Hono finds the client address) and
 * the address of the peer (which the fetch entry is given by its host).
 */
export type FetchServer = (
  handle: (request: Request, env: object, peer: string | undefined) => Response | Promise<Response>,
) => Promise<RunningServer>;

/**
 * The fetch entry and the Hono app on one fetch-standard server, named `fetch` and `hono`, or
 * `fetch on <server>` and `hono on <server>`. The fetch entry takes the client address from the
 * peer's (`X-Forwarded-For` with `trustProxyHops`), the Hono app from what the server passes it.
 */
export function fetchServerHarnesses(
  serve: FetchServer,
  server?: string,
): { fetch: AdapterHarness; hono: AdapterHarness } {
  type Handle = Parameters<FetchServer>[0];
  const harness = (
    kind: string,
    app: (options: TwoFaOptions, host: HostSetup) => { handle: Handle; close(): Promise<void> },
  ): AdapterHarness => ({
    name: server === undefined ? kind : `${kind} on ${server}`,
    requestUrl: 'whatwg',
    async start(options, host = {}) {
      const { handle, close } = app(options, host);
      const running = await serve(handle);
      return { ...running, close: () => running.close().then(close) };
    },
  });
  return {
    fetch: harness('fetch', (options, host) => {
      const app = fetchHost(options, host);
      const hops = host.trustProxyHops ?? 0;
      return {
        handle: (request, _env, peer) =>
          app.fetch(request, { ip: forwardedAddress(request.headers.get('x-forwarded-for'), peer, hops) }),
        close: app.close,
      };
    }),
    hono: harness('hono', (options, host) => {
      const { app, close } = honoHost(options, host);
      return { handle: (request, env) => app.fetch(request, env), close };
    }),
  };
}

const NODE = fetchServerHarnesses((handle) =>
  listen(
    createAdaptorServer({
      overrideGlobalObjects: false, // keep the runtime's own Request/Response (Bun.serve and Deno.serve take no other)
      fetch: (request: Request, env: HttpBindings | Http2Bindings) =>
        handle(request, env, env.incoming.socket.remoteAddress),
    }) as http.Server,
  ),
);

/** The fetch entry on a Node http server (through @hono/node-server's Request/Response bridge). */
export const FETCH: AdapterHarness = NODE.fetch;

/** The Hono app on @hono/node-server. */
export const HONO: AdapterHarness = NODE.hono;
