// Deno: the Hono app on Deno.serve (Hono finds the client address in the connection info).
import { app } from './app.mjs';

Deno.serve(
  {
    hostname: '127.0.0.1',
    port: Number(Deno.env.get('PORT') ?? 3000),
    onListen: ({ port }) => console.log(`listening on ${port}`),
  },
  app.fetch,
);
