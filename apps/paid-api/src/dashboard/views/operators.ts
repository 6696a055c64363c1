/** The operators' page: the customers with their plan, limits and access, and the audit log. */
import type { AuditEntry } from '../../accounts/audit.js';
import type { Customer } from '../../accounts/customers.js';
import { csrfField, esc, iso, type PageSession, page } from './layout.js';

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
