// Next.js App Router: app/api/2fa/[[...path]]/route.ts (also answers /api/2fa itself), on the
// Node.js runtime, where the Redis limiter works too.
import { forwardedAddress, staticKeys, twoFaFetch } from '@twofa-kit/fetch';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

// Made once, in module scope: one handler and one limiter for every request this server answers.
const twoFa = twoFaFetch({ resolveKey: staticKeys({ [String(process.env.API_KEY)]: 'free' }) });

// A route handler has no socket: the client address is the X-Forwarded-For entry the nearest proxy
// appended (1 = one proxy; `next start` itself writes the peer there when the client sent none).
function handle(request: Request): Promise<Response> {
  return twoFa(request, { ip: forwardedAddress(request.headers.get('x-forwarded-for'), undefined, 1) });
}

export {
  handle as DELETE,
  handle as GET,
  handle as HEAD,
  handle as OPTIONS,
  handle as PATCH,
  handle as POST,
  handle as PUT,
};
