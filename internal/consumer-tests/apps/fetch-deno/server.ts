// Deno: the fetch entry on Deno.serve, beside a route of the app's own.
import { staticKeys, twoFaFetch } from '@twofa-kit/fetch';

const twoFa = twoFaFetch({
  resolveKey: staticKeys({ [String(Deno.env.get('API_KEY'))]: 'free' }),
  // Every path outside /api/2fa: the app's own routes.
  fallback: (request) =>
    new URL(request.url).pathname === '/health'
      ? Response.json({ status: 'ok' })
      : new Response('Not Found', { status: 404 }),
});

Deno.serve(
  {
    hostname: '127.0.0.1',
    port: Number(Deno.env.get('PORT') ?? 3000),
    onListen: ({ port }) => console.log(`listening on ${port}`),
  },
  // The client address the failed-auth guard counts by: the peer Deno saw.
  (request, info) => twoFa(request, { ip: info.remoteAddr.hostname }),
);
