// Bun: the fetch entry on Bun.serve, beside a route of the app's own.
import { staticKeys, twoFaFetch } from '@twofa-kit/fetch';

const twoFa = twoFaFetch({
  resolveKey: staticKeys({ [String(process.env.API_KEY)]: 'free' }),
  // Every path outside /api/2fa: the app's own routes.
  fallback: (request) =>
    new URL(request.url).pathname === '/health'
      ? Response.json({ status: 'ok' })
      : new Response('Not Found', { status: 404 }),
});

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT ?? 3000),
  // The client address the failed-auth guard counts by: the peer Bun saw.
  fetch: (request, server) => twoFa(request, { ip: server.requestIP(request)?.address }),
});
console.log(`listening on ${server.port}`);
