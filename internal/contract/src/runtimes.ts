// The fetch entry and the Hono app on the servers of Bun (`Bun.serve`) and Deno (`Deno.serve`).
// These harnesses only work when the contract suite itself runs on that runtime (vitest started by
// `bun --bun` or `deno run`): the options they are given hold functions and clocks the tests move.
import { forwardedAddress } from '@twofa-kit/fetch';
import { type AdapterHarness, fetchHost, honoHost, type RunningServer } from './harness.js';

/** What the contract uses of `Bun.serve` (typed here: the repository does not install Bun's types). */
interface BunServer {
  readonly port: number;
  requestIP(request: Request): { address: string } | null;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}
interface BunGlobal {
  serve(options: {
    port: number;
    hostname: string;
    fetch: (request: Request, server: BunServer) => Response | Promise<Response>;
  }): BunServer;
}
/** What the contract uses of `Deno.serve`. */
interface DenoServer {
  readonly addr: { readonly port: number };
  shutdown(): Promise<void>;
}
interface DenoGlobal {
  serve(
    options: { port: number; hostname: string; onListen?: () => void },
    handler: (request: Request, info: { remoteAddr: { hostname: string } }) => Response | Promise<Response>,
  ): DenoServer;
}

const runtime = globalThis as { Bun?: BunGlobal; Deno?: DenoGlobal };

function bun(): BunGlobal {
  if (runtime.Bun === undefined) throw new Error('this harness runs on Bun only (vitest started by `bun --bun`)');
  return runtime.Bun;
}
function deno(): DenoGlobal {
  if (runtime.Deno === undefined) throw new Error('this harness runs on Deno only (vitest started by `deno run`)');
  return runtime.Deno;
}

function onBun(
  fetch: (request: Request, server: BunServer) => Response | Promise<Response>,
  close: () => Promise<void>,
): RunningServer {
  const server = bun().serve({ port: 0, hostname: '127.0.0.1', fetch });
  return {
    url: `http://127.0.0.1:${server.port}`,
    close: async () => {
      await server.stop(true);
      await close();
    },
  };
}

function onDeno(
  handler: (request: Request, info: { remoteAddr: { hostname: string } }) => Response | Promise<Response>,
  close: () => Promise<void>,
): RunningServer {
  const server = deno().serve({ port: 0, hostname: '127.0.0.1', onListen: () => {} }, handler);
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    close: async () => {
      await server.shutdown();
      await close();
    },
  };
}

/** The fetch entry on `Bun.serve`, the address from `server.requestIP(request)`. */
export const FETCH_BUN: AdapterHarness = {
  name: 'fetch on Bun.serve',
  requestUrl: 'whatwg',
  async start(options, host = {}) {
    const app = fetchHost(options, host);
    const hops = host.trustProxyHops ?? 0;
    return onBun(
      (request, server) =>
        app.fetch(request, {
          ip: forwardedAddress(request.headers.get('x-forwarded-for'), server.requestIP(request)?.address, hops),
        }),
      app.close,
    );
  },
};

/** The Hono app on `Bun.serve({ fetch: app.fetch })`: Hono is given the server, the kit finds the address in it. */
export const HONO_BUN: AdapterHarness = {
  name: 'hono on Bun.serve',
  requestUrl: 'whatwg',
  async start(options, host = {}) {
    const { app, close } = honoHost(options, host);
    return onBun((request, server) => app.fetch(request, server), close);
  },
};

/** The fetch entry on `Deno.serve`, the address from `info.remoteAddr`. */
export const FETCH_DENO: AdapterHarness = {
  name: 'fetch on Deno.serve',
  requestUrl: 'whatwg',
  async start(options, host = {}) {
    const app = fetchHost(options, host);
    const hops = host.trustProxyHops ?? 0;
    return onDeno(
      (request, info) =>
        app.fetch(request, {
          ip: forwardedAddress(request.headers.get('x-forwarded-for'), info.remoteAddr.hostname, hops),
        }),
      app.close,
    );
  },
};

/** The Hono app on `Deno.serve(app.fetch)`: Hono is given the connection info, the kit finds the address in it. */
export const HONO_DENO: AdapterHarness = {
  name: 'hono on Deno.serve',
  requestUrl: 'whatwg',
  async start(options, host = {}) {
    const { app, close } = honoHost(options, host);
    return onDeno((request, info) => app.fetch(request, info), close);
  },
};
