/**
 * A customer's usage history as CSV: the rows the charts draw (30 days, then 48 hours) with the
 * admitted and refused requests of each, from the same `usageHistory`.
 */
import type { FastifyInstance } from 'fastify';
import { usageHistory } from '../usage/sink.js';
import type { DashboardContext } from './context.js';
import { seeOther } from './http.js';

export function usageCsvRoutes(app: FastifyInstance, ctx: DashboardContext): void {
  app.get('/usage.csv', async (request, reply) => {
    const found = await ctx.requirePage(request, reply);
    if (found === undefined) return reply;
    if (found.session.role === 'admin') return seeOther(reply, '/dashboard/admin');
    const now = ctx.clock();
    const id = found.session.customerId;
    const [daily, hourly] = await Promise.all([
      usageHistory(ctx.pool, id, 86_400_000, 30, now),
      usageHistory(ctx.pool, id, 3_600_000, 48, now),
    ]);
    const rows = [
      ...daily.map((p) => `day,${p.at.toISOString()},${p.admitted},${p.refused}`),
      ...hourly.map((p) => `hour,${p.at.toISOString()},${p.admitted},${p.refused}`),
    ];
    return reply
      .code(200)
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="usage-${new Date(now).toISOString().slice(0, 10)}.csv"`)
      .header('cache-control', 'no-store')
      .send(`period,start,admitted,refused\r\n${rows.join('\r\n')}\r\n`);
  });
}
