// Bun: the Hono app on Bun.serve (Hono finds the client address in the server it is given).
import { app } from './app.mjs';

const server = Bun.serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env.PORT ?? 3000) });
console.log(`listening on ${server.port}`);
