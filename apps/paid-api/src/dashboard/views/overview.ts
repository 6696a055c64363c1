/** A customer's overview: plan and usage per window, request charts, keys and their actions. */
import type { Customer } from '../../accounts/customers.js';
import type { KeyRecord } from '../../keys/service.js';
import type { UsagePoint } from '../../usage/sink.js';
import { csrfField, esc, iso, type PageSession, page } from './layout.js';

export interface WindowUsage {
  readonly name: string;
  /** null: unlimited. */
  readonly limit: number | null;
  readonly used: number | null;
  /** Whole seconds until the window resets (null when unlimited). */
  readonly reset: number | null;
}

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7_200) return `${Math.ceil(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.ceil(seconds / 3_600)} h`;
  return `${Math.ceil(seconds / 86_400)} days`;
}

function usageTable(windows: readonly WindowUsage[]): string {
  const rows = windows.map((w) => {
    if (w.limit === null) return `<tr><th scope="row">${esc(w.name)}</th><td colspan="3">no limit</td></tr>`;
    const used = w.used ?? 0;
    const pct = w.limit === 0 ? 100 : Math.min(100, Math.round((used / w.limit) * 100));
    return `<tr data-window="${esc(w.name)}"><th scope="row">${esc(w.name)}</th>
<td><span class="used">${used}</span> / <span class="limit">${w.limit}</span>
<div class="bar${used >= w.limit ? ' full' : ''}" role="progressbar" aria-label="${esc(w.name)} used" aria-valuemin="0" aria-valuemax="${w.limit}" aria-valuenow="${used}"><span style="width:${pct}%"></span></div></td>
<td>resets in <span class="reset">${duration(w.reset ?? 0)}</span></td></tr>`;
  });
  return `<div class="scroll"><table><thead><tr><th scope="col">Window</th><th scope="col">Used / limit</th><th scope="col">Reset</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

const ADMITTED = '#12355b';
const REFUSED = '#c2410c';

/** A stacked bar chart (admitted below, refused above) as SVG, with a text summary for screen readers. */
export function chart(id: string, title: string, points: readonly UsagePoint[], label: (d: Date) => string): string {
  const width = 720;
  const height = 180;
  const pad = { left: 40, bottom: 24, top: 10 };
  const max = Math.max(1, ...points.map((p) => p.admitted + p.refused));
  const slot = (width - pad.left) / points.length;
  const bar = Math.max(1, slot * 0.8);
  const h = height - pad.bottom - pad.top;
  const y = (v: number) => (v / max) * h;
  const totalA = points.reduce((s, p) => s + p.admitted, 0);
  const totalR = points.reduce((s, p) => s + p.refused, 0);
  const every = Math.ceil(points.length / 8);
  const bars = points
    .map((p, i) => {
      const x = (pad.left + i * slot).toFixed(1);
      const ha = y(p.admitted);
      const hr = y(p.refused);
      const base = height - pad.bottom;
      const tick =
        i % every === 0 ? `<text x="${x}" y="${height - 6}" font-size="11" fill="#333">${esc(label(p.at))}</text>` : '';
      return `<g><title>${esc(label(p.at))}: ${p.admitted} admitted, ${p.refused} refused</title>
<rect x="${x}" y="${(base - ha).toFixed(1)}" width="${bar.toFixed(1)}" height="${ha.toFixed(1)}" fill="${ADMITTED}"/>
<rect x="${x}" y="${(base - ha - hr).toFixed(1)}" width="${bar.toFixed(1)}" height="${hr.toFixed(1)}" fill="${REFUSED}"/>${tick}</g>`;
    })
    .join('');
  return `<figure id="${esc(id)}" data-admitted="${totalA}" data-refused="${totalR}">
<figcaption><strong>${esc(title)}</strong>: ${totalA} admitted, ${totalR} refused
<span class="legend" aria-hidden="true"><span style="background:${ADMITTED}"></span>admitted<span style="background:${REFUSED}"></span>refused</span></figcaption>
<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}: ${totalA} admitted, ${totalR} refused">
<text x="0" y="${pad.top + 10}" font-size="11" fill="#333">${max}</text><text x="0" y="${height - pad.bottom}" font-size="11" fill="#333">0</text>
<line x1="${pad.left - 2}" y1="${height - pad.bottom}" x2="${width}" y2="${height - pad.bottom}" stroke="#5b6472"/>${bars}</svg></figure>`;
}

function keyStatus(k: KeyRecord): string {
  return k.status === 'rotating' ? `rotating, works until ${iso(k.graceEndsAt)}` : k.status;
}

export interface NewKey {
  readonly key: string;
  readonly what: string;
}

export interface OverviewData {
  readonly customer: Customer;
  readonly windows: readonly WindowUsage[];
  readonly daily: readonly UsagePoint[];
  readonly hourly: readonly UsagePoint[];
  readonly keys: readonly KeyRecord[];
  readonly apiBase: string;
  readonly newKey?: NewKey | undefined;
  readonly notice?: string | undefined;
}

export function overviewPage(session: PageSession, data: OverviewData): string {
  const { customer } = data;
  const fresh = data.newKey
    ? `<section aria-labelledby="new-key-title"><h2 id="new-key-title">${esc(data.newKey.what)}</h2>
<p><strong>Copy it now: it is shown only this once.</strong></p>
<p class="key" id="new-key">${esc(data.newKey.key)}</p>
<p><button type="button" data-copy="new-key">Copy key</button></p>
<p>Try it:</p><pre id="curl-example">curl -X POST "${esc(data.apiBase)}/api/2fa/generate" \\
     -H "X-API-Key: ${esc(data.newKey.key)}" \\
     -H "Content-Type: application/x-www-form-urlencoded" \\
     -d "secret=JBSWY3DPEHPK3PXP"</pre>
<p><button type="button" class="secondary" data-copy="curl-example">Copy command</button></p></section>`
    : '';
  const keyRows = data.keys.map((k) => {
    const live = k.status === 'active' || k.status === 'rotating';
    const actions = live
      ? `${
          k.status === 'active'
            ? `<form method="post" action="/dashboard/keys/${esc(k.id)}/rotate" class="inline">${csrfField(session.csrf)}
<label for="grace-${esc(k.id)}" class="visually-hidden">Grace period for ${esc(k.display)}</label>
<select id="grace-${esc(k.id)}" name="grace"><option value="3600">old key works 1 hour</option><option value="86400" selected>old key works 1 day</option><option value="604800">old key works 7 days</option><option value="0">old key stops now</option></select>
<button type="submit" class="secondary">Rotate</button></form>`
            : ''
        }<form method="post" action="/dashboard/keys/${esc(k.id)}/revoke" class="inline">${csrfField(session.csrf)}<button type="submit" class="danger" aria-label="Revoke ${esc(k.display)}">Revoke</button></form>`
      : '';
    return `<tr data-key-id="${esc(k.id)}"><td data-label="Key"><code>${esc(k.display)}</code></td><td class="status" data-label="Status">${esc(keyStatus(k))}</td><td data-label="Created">${iso(k.createdAt)}</td><td data-label="Last used">${iso(k.lastUsedAt)}</td><td data-label="Expires">${k.expiresAt === null ? 'never' : iso(k.expiresAt)}</td><td data-label="Actions">${actions}</td></tr>`;
  });
  return page(
    'Overview',
    `<h1>Your API</h1>
${data.notice ? `<p class="ok" role="status">${esc(data.notice)}</p>` : ''}
${fresh}
<section aria-labelledby="plan-title"><h2 id="plan-title">Plan <span id="plan">${esc(customer.plan)}</span></h2>
<p>The same numbers as <code>GET /api/2fa/usage</code>, shared by all your keys.</p>${usageTable(data.windows)}</section>
<section aria-labelledby="history-title"><h2 id="history-title">Requests</h2>
${chart('chart-daily', 'Per day, last 30 days', data.daily, (d) => d.toISOString().slice(5, 10))}
${chart('chart-hourly', 'Per hour, last 48 hours', data.hourly, (d) => `${d.toISOString().slice(11, 13)}h`)}
<p><a href="/dashboard/usage.csv" download>Download as CSV</a> (both charts' numbers)</p>
</section>
<section aria-labelledby="keys-title"><h2 id="keys-title">API keys</h2>
<form method="post" action="/dashboard/keys">${csrfField(session.csrf)}<button type="submit">Create a key</button></form>
<div class="scroll"><table id="keys" class="cards"><thead><tr><th scope="col">Key</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col">Actions</th></tr></thead>
<tbody>${keyRows.join('') || '<tr><td colspan="6">No key yet.</td></tr>'}</tbody></table></div></section>`,
    session,
  );
}
