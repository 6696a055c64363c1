import { clientAddress, kit } from '../../../../lib/twofa';

// The Node.js runtime (Redis works there), answered per request, never cached.
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

async function handle(request: Request): Promise<Response> {
  const { handler, trustProxy } = await kit();
  return handler(request, { ip: clientAddress(request, trustProxy) });
}

// Every method under /api/2fa: the kit answers 405 (with Allow) for the ones a route does not take.
export const DELETE = handle;
export const GET = handle;
export const HEAD = handle;
export const OPTIONS = handle;
export const PATCH = handle;
export const POST = handle;
export const PUT = handle;
