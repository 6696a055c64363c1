// The host app's own routes beside the kit (the contract's HOST_ROUTES), as Next.js routes of their own.
export const dynamic = 'force-dynamic';

export function GET(): Response {
  return Response.json({ pong: true });
}
