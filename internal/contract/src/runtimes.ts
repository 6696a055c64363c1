// The fetch entry and the Hono app on the servers of Bun (`Bun.serve`) and Deno (`Deno.serve`).
// These harnesses only work when the contract suite itself runs on that runtime (vitest started by
// `bun --bun` or `deno run`): the options they are given hold functions and clocks the tests move.
import { type AdapterHarness, fetchServerHarnesses } from './harness.js';

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

/** `Bun.serve`: the fetch entry is given the peer from `server.requestIP(request)`, Hono the server itself. */
const BUN = fetchServerHarnesses(async (handle) => {
  const server = bun().serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: (request, self) => handle(request, self, self.requestIP(request)?.address),
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    close: async () => {
      await server.stop(true);
    },
  };
}, 'Bun.serve');

/** `Deno.serve`: the fetch entry is given the peer from `info.remoteAddr`, Hono the connection info. */
const DENO = fetchServerHarnesses(async (handle) => {
  const server = deno().serve({ port: 0, hostname: '127.0.0.1', onListen: () => {} }, (request, info) =>
    handle(request, info, info.remoteAddr.hostname),
  );
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}, 'Deno.serve');

/** The fetch entry on `Bun.serve`, the address from `server.requestIP(request)`. */
export const FETCH_BUN: AdapterHarness = BUN.fetch;

/** The Hono app on `Bun.serve({ fetch: app.fetch })`: Hono is given the server, the kit finds the address in it. */
export const HONO_BUN: AdapterHarness = BUN.hono;

/** The fetch entry on `Deno.serve`, the address from `info.remoteAddr`. */
export const FETCH_DENO: AdapterHarness = DENO.fetch;

/** The Hono app on `Deno.serve(app.fetch)`: Hono is given the connection info, the kit finds the address in it. */
export const HONO_DENO: AdapterHarness = DENO.hono;
