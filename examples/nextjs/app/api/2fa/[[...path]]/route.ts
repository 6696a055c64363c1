import { clientAddress, kit } from '../../../../lib/twofa';

// The Node.js runtime (Redis works there), answered per request, never cached.
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

async function handle(request: Request): Promise<Response> {
  const { handler, trustProxy } = await kit();
  return handler(request, { ip: clientAddress(request, trustProxy) });
}

// Every method under /api/2fa: the kit answers 405 (with Allow) for the ones a route does not take.
export {
  handle as DELETE,
  handle as GET,
  handle as HEAD,
  handle as OPTIONS,
  handle as PATCH,
  handle as POST,
  handle as PUT,
};
