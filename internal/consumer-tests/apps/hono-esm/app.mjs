// A Hono app with a route of its own and the 2FA API under /api/2fa; started on Node, Bun or Deno
// by node.mjs, bun.mjs or deno.mjs.
import { staticKeys, twoFaApp } from '@twofa-kit/hono';
import { Hono } from 'hono';

const apiKey = globalThis.Deno?.env.get('API_KEY') ?? globalThis.process?.env.API_KEY;

export const app = new Hono();
app.get('/health', (c) => c.json({ status: 'ok' }));
// POST /api/2fa/generate, ...; the client address comes from the server Hono runs on.
app.route('/', twoFaApp({ resolveKey: staticKeys({ [apiKey]: 'free' }) }));
