/**
 * The Dashboard's pages: plain HTML from template strings, every value escaped, one small style
 * sheet (readable from a phone to a laptop, visible focus, text contrast ≥ 4.5:1), one line of
 * script (the copy button; the page works without it). Charts are server-rendered SVG.
 */
import type { AuditEntry } from './accounts.js';
import type { Customer } from './customers.js';
import type { KeyRecord } from './keys.js';
import type { UsagePoint } from './usage-sink.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (value: unknown): string => String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] as string);

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#f6f7f9}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between;padding:.75rem 1rem;background:#12355b;color:#fff}
header a,header button{color:#fff}
main{max-width:60rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
section{background:#fff;border:1px solid #d0d5dd;border-radius:8px;padding:1rem;margin:0 0 1rem}
label{display:block;font-weight:600;margin:.5rem 0 .25rem}
input,select{font:inherit;padding:.5rem;border:1px solid #5b6472;border-radius:6px;width:100%;max-width:24rem;background:#fff;color:#1a1a1a}
button{font:inherit;padding:.5rem 1rem;border-radius:6px;border:1px solid #12355b;background:#12355b;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#12355b}
button.danger{background:#a61b1b;border-color:#a61b1b}
:focus-visible{outline:3px solid #e07b00;outline-offset:2px}
a{color:#0b4f9c}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #e1e4e8;vertical-align:top}
.scroll{overflow-x:auto;position:relative}
.error{color:#a61b1b;font-weight:600}.ok{color:#1b6e2e;font-weight:600}
.bar{height:.75rem;background:#e1e4e8;border-radius:4px;overflow:hidden;min-width:6rem}.bar>span{display:block;height:100%;background:#12355b}
.bar.full>span{background:#a61b1b}
.key{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all;background:#fff8e1;border:1px solid #e0b400;padding:.5rem;border-radius:6px}
pre{white-space:pre-wrap;word-break:break-all;background:#f0f2f5;padding:.75rem;border-radius:6px;font-size:.9rem}
.inline{display:inline-block;margin:.25rem .25rem .25rem 0}
.inline input,.inline select{width:auto}
.legend span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 .8rem;vertical-align:middle}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
svg{max-width:100%;height:auto}
`;

const COPY_SCRIPT = `document.addEventListener('click',e=>{const b=e.target.closest('[data-copy]');if(!b)return;navigator.clipboard.writeText(document.getElementById(b.dataset.copy).textContent).then(()=>{b.textContent='Copied'})})`;

export interface PageSession {
  readonly email: string;
  readonly role: 'customer' | 'admin';
  readonly csrf: string;
}

function page(title: string, body: string, session?: PageSession): string {
  const nav =
    session === undefined
      ? ''
      : `<nav aria-label="Account"><span>${esc(session.email)}</span>
${session.role === 'admin' ? ' · <a href="/dashboard/admin">Customers</a>' : ' · <a href="/dashboard">Overview</a>'}
<form method="post" action="/dashboard/logout" class="inline">${csrfField(session.csrf)}<button class="secondary" type="submit">Sign out</button></form></nav>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · 2FA API Dashboard</title><style>${STYLE}</style></head>
<body><header><strong>2FA API Dashboard</strong>${nav}</header>
<main id="main">${body}</main><script>${COPY_SCRIPT}</script></body></html>`;
}

export const csrfField = (csrf: string) => `<input type="hidden" name="csrf" value="${esc(csrf)}">`;

export function loginPage(csrf: string, options: { error?: string; email?: string; notice?: string } = {}): string {
  return page(
    'Sign in',
    `<h1>Sign in</h1><section>
${options.notice ? `<p class="ok" role="status">${esc(options.notice)}</p>` : ''}
${options.error ? `<p class="error" role="alert" id="login-error">${esc(options.error)}</p>` : ''}
<form method="post" action="/dashboard/login"${options.error ? ' aria-describedby="login-error"' : ''}>${csrfField(csrf)}
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required value="${esc(options.email ?? '')}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<p><button type="submit">Sign in</button></p></form></section>`,
  );
}

export function invitePage(invitation: string, csrf: string, email: string, error?: string): string {
  return page(
    'Set your password',
    `<h1>Set your password</h1><section><p>For <strong>${esc(email)}</strong>.</p>
${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/dashboard/invite/${esc(invitation)}">${csrfField(csrf)}
<label for="password">New password (8 characters or more)</label><input id="password" name="password" type="password" autocomplete="new-password" minlength="8" required>
<p><button type="submit">Set password</button></p></form></section>`,
  );
}

export function messagePage(title: string, message: string, status: 'error' | 'ok' = 'error'): string {
  return page(title, `<h1>${esc(title)}</h1><section><p class="${status}">${esc(message)}</p></section>`);
}

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

const iso = (d: Date | null) => (d === null ? '—' : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`);

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
    return `<tr data-key-id="${esc(k.id)}"><td><code>${esc(k.display)}</code></td><td class="status">${esc(keyStatus(k))}</td><td>${iso(k.createdAt)}</td><td>${iso(k.lastUsedAt)}</td><td>${k.expiresAt === null ? 'never' : iso(k.expiresAt)}</td><td>${actions}</td></tr>`;
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
</section>
<section aria-labelledby="keys-title"><h2 id="keys-title">API keys</h2>
<form method="post" action="/dashboard/keys">${csrfField(session.csrf)}<button type="submit">Create a key</button></form>
<div class="scroll"><table><thead><tr><th scope="col">Key</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col">Actions</th></tr></thead>
<tbody>${keyRows.join('') || '<tr><td colspan="6">No key yet.</td></tr>'}</tbody></table></div></section>`,
    session,
  );
}

function limitsText(limits: Customer['limits']): string {
  const entries = Object.entries(limits);
  return entries.length === 0 ? 'plan limits' : entries.map(([w, v]) => `${w}=${v ?? 'unlimited'}`).join(', ');
}

export function adminPage(
  session: PageSession,
  customers: readonly Customer[],
  plans: readonly string[],
  auditLog: readonly AuditEntry[],
  notice?: string,
): string {
  const rows = customers.map((c) => {
    const idp = `c-${esc(c.id)}`;
    const options = plans
      .map((p) => `<option value="${esc(p)}"${p === c.plan ? ' selected' : ''}>${esc(p)}</option>`)
      .join('');
    const limitInputs = ['minute', 'hour', 'day', 'month']
      .map((w) => {
        const value = Object.hasOwn(c.limits, w) ? (c.limits[w as 'minute'] ?? 'unlimited') : '';
        return `<label for="${idp}-${w}">${w}</label><input id="${idp}-${w}" name="${w}" inputmode="numeric" placeholder="plan" value="${esc(value)}">`;
      })
      .join('');
    return `<tr data-customer-id="${esc(c.id)}"><td>${esc(c.email)}<br><small>${esc(c.id)}</small></td><td class="status">${esc(c.status)}</td>
<td><form method="post" action="/dashboard/admin/customers/${esc(c.id)}/plan">${csrfField(session.csrf)}
<label for="${idp}-plan">Plan</label><select id="${idp}-plan" name="plan">${options}</select> <button type="submit" class="secondary">Change plan</button></form></td>
<td><details><summary>${esc(limitsText(c.limits))}</summary><form method="post" action="/dashboard/admin/customers/${esc(c.id)}/limits">${csrfField(session.csrf)}
${limitInputs}<p><small>Empty: the plan's limit. A number, or "unlimited".</small></p><button type="submit" class="secondary">Set limits</button></form></details></td>
<td><form method="post" action="/dashboard/admin/customers/${esc(c.id)}/status">${csrfField(session.csrf)}
<input type="hidden" name="status" value="${c.status === 'active' ? 'suspended' : 'active'}">
<button type="submit" class="${c.status === 'active' ? 'danger' : 'secondary'}">${c.status === 'active' ? 'Suspend' : 'Reactivate'}</button></form></td></tr>`;
  });
  const audits = auditLog.map(
    (a) =>
      `<tr><td>${iso(a.at)}</td><td>${esc(a.actorEmail)}</td><td>${esc(a.action)}</td><td>${esc(a.targetId ?? '')}</td><td><code>${esc(JSON.stringify(a.details))}</code></td></tr>`,
  );
  return page(
    'Customers',
    `<h1>Customers</h1>${notice ? `<p class="ok" role="status">${esc(notice)}</p>` : ''}
<section><div class="scroll"><table><thead><tr><th scope="col">Customer</th><th scope="col">Status</th><th scope="col">Plan</th><th scope="col">Limits</th><th scope="col">Access</th></tr></thead>
<tbody>${rows.join('') || '<tr><td colspan="5">No customer yet.</td></tr>'}</tbody></table></div></section>
<section aria-labelledby="audit-title"><h2 id="audit-title">Audit log</h2><div class="scroll"><table id="audit"><thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Customer</th><th scope="col">Details</th></tr></thead>
<tbody>${audits.join('') || '<tr><td colspan="5">Nothing yet.</td></tr>'}</tbody></table></div></section>`,
    session,
  );
}
