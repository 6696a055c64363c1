// The fetch entry in a Next.js App Router route handler: a production build (`next build`) served
// by Next.js's own server, in this process (internal/next-host), so the options the contract
// passes (functions, test clocks) reach the route as they are.
import { forwardedAddress, twoFaFetch } from '@twofa-kit/fetch';
import { serveNext } from '@twofa-kit/next-host';
import type { AdapterHarness } from './harness.js';
import { PREFIX } from './helpers.js';

/**
 * The route as the kit's Next.js route is written: `twoFaFetch(options)` for every method under the
 * prefix, the client address read from `X-Forwarded-For` (a route handler has no socket). The
 * server in front appends the peer there, as a reverse proxy does, so with `trustProxyHops` n the
 * address is the entry n + 1 from the right. The host's own routes are Next.js routes of their own
 * (`/host/*`), any other path Next.js's 404. The app routes `/api/2fa` and `/v2/otp` (the prefixes
 * the contract mounts the kit at) to the handler.
 */
export const NEXT: AdapterHarness = {
  name: 'fetch in a Next.js route',
  requestUrl: 'whatwg',
  // Next.js matches app routes case-sensitively: `/API/2fa` is its own 404.
  caseSensitivePaths: true,
  // Next.js writes its router's `Vary` on every answer of an app route, and streams the route's body
  // (chunked, no `Content-Length`); the kit's own headers and bytes are unchanged.
  hostHeaders: ['vary', 'content-length'],
  answeredByHost: {
    // `next start` redirects a path with a trailing slash (308 to `/api/2fa`) before routing.
    [`GET ${PREFIX}/`]: 'Next.js redirects a trailing slash',
    // Next.js answers a path it cannot decode with its own 500 before any route runs.
    [`GET ${PREFIX}/%E0%A4%A`]: 'Next.js cannot decode the path',
    [`POST ${PREFIX}/%ZZ?secret=%ZZ`]: 'Next.js cannot decode the path',
    [`GET ${PREFIX}/generate%`]: 'Next.js cannot decode the path',
  },
  async start(options, host = {}) {
    const handler = twoFaFetch(options);
    const hops = (host.trustProxyHops ?? 0) + 1;
    const running = await serveNext((request) =>
      handler(request, { ip: forwardedAddress(request.headers.get('x-forwarded-for'), undefined, hops) }),
    );
    return { server: running.server, url: running.url, close: () => running.close().then(() => handler.twoFa.close()) };
  },
};
