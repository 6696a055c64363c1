export const dynamic = 'force-dynamic';

// A route handler has no error handler around it: the host's own 500 is answered here.
export async function POST(request: Request): Promise<Response> {
  const text = await request.text();
  try {
    return Response.json({ body: text === '' ? null : JSON.parse(text) });
  } catch {
    return Response.json({ host_error: 'boom' }, { status: 500 });
  }
}
