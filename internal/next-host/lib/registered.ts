import type { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What the process serving this app registered for the request being answered: the server it
 * came in on runs Next.js's request handler inside `AsyncLocalStorage.run(handler, …)` (see
 * `server.mjs`), so the handler is the one of that server, whatever other servers run beside it.
 */
type Handler = (request: Request) => Response | Promise<Response>;

const registry = (globalThis as { [key: symbol]: AsyncLocalStorage<Handler> | undefined })[
  Symbol.for('twofa-kit.next-host')
];

/** Hands the request to the registered handler, as the kit's route hands it to the kit. */
async function handle(request: Request): Promise<Response> {
  const handler = registry?.getStore();
  if (handler === undefined) return new Response('no handler registered for this server', { status: 500 });
  return handler(request);
}

// Every method under the route: the kit answers 405 (with Allow) for the ones a path does not take.
export const DELETE = handle;
export const GET = handle;
export const HEAD = handle;
export const OPTIONS = handle;
export const PATCH = handle;
export const POST = handle;
export const PUT = handle;
