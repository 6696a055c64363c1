export { DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT } from '../../../../lib/registered';

// The Node.js runtime, answered per request, never cached (as the kit's Next.js route is written).
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';
