export const dynamic = 'force-dynamic';

export function GET(): Response {
  return Response.json({ host_error: 'boom' }, { status: 500 });
}
