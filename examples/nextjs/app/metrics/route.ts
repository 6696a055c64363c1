import { kit } from '../../lib/twofa';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** TWOFA_METRICS=1: Prometheus metrics outside the prefix (otherwise a 404, as for any unknown path). */
export async function GET(): Promise<Response> {
  const { metrics } = await kit();
  if (metrics === undefined) return new Response('Not Found', { status: 404 });
  const { contentType, body } = await metrics.scrape();
  return new Response(body, { headers: { 'content-type': contentType } });
}
