/**
 * The operators' page: totals across all customers (per day, top customers), the customers — searched
 * by email or id, a page at a time — with their plan, limits and access, and the audit log.
 */
import type { AuditEntry } from '../../accounts/audit.js';
import type { CustomerPage } from '../../accounts/customer-search.js';
import type { Customer } from '../../accounts/customers.js';
import type { UsageTotals } from '../../usage/totals.js';
import { csrfField, esc, iso, type PageSession, page } from './layout.js';
import { chart } from './overview.js';

function limitsText(limits: Customer['limits']): string {
  const entries = Object.entries(limits);
  return entries.length === 0 ? 'plan limits' : entries.map(([w, v]) => `${w}=${v ?? 'unlimited'}`).join(', ');
}

/** The link to another page of the same search. */
function pageHref(list: CustomerPage, page: number): string {
  const params = new URLSearchParams();
  if (list.query !== '') params.set('q', list.query);
  if (page > 1) params.set('page', String(page));
  const qs = params.toString();
  return `/dashboard/admin${qs === '' ? '' : `?${qs}`}#customers-title`;
}

function pager(list: CustomerPage): string {
  if (list.pages <= 1) return '';
  const link = (page: number, text: string, rel: string) =>
    `<a href="${esc(pageHref(list, page))}" rel="${rel}">${text}</a>`;
  return `<nav aria-label="Customer pages" class="pager"><p>${list.page > 1 ? `${link(1, 'First', 'first')} · ${link(list.page - 1, 'Previous', 'prev')} · ` : ''}Page <span id="page">${list.page}</span> of <span id="pages">${list.pages}</span>${list.page < list.pages ? ` · ${link(list.page + 1, 'Next', 'next')} · ${link(list.pages, 'Last', 'last')}` : ''}</p></nav>`;
}

function totalsSection(totals: UsageTotals): string {
  const points = totals.days.map((d) => ({
    at: new Date(`${d.day}T00:00:00Z`),
    admitted: d.admitted,
    refused: d.refused,
  }));
  const top = totals.top.map(
    (t, i) =>
      `<tr><td data-label="Rank">${i + 1}</td><td data-label="Customer">${esc(t.email)}<br><small>${esc(t.id)}</small></td><td data-label="Admitted">${t.admitted}</td><td data-label="Refused">${t.refused}</td></tr>`,
  );
  return `<section aria-labelledby="totals-title"><h2 id="totals-title">All customers</h2>
${chart('chart-all-daily', 'Requests per day, last 30 days, all customers', points, (d) => d.toISOString().slice(5, 10))}
<h3 id="top-title">Top customers, last 30 days</h3>
<div class="scroll"><table id="top-customers" class="cards" aria-labelledby="top-title"><thead><tr><th scope="col">#</th><th scope="col">Customer</th><th scope="col">Admitted</th><th scope="col">Refused</th></tr></thead>
<tbody>${top.join('') || '<tr><td colspan="4">No requests yet.</td></tr>'}</tbody></table></div></section>`;
}

export function adminPage(
  session: PageSession,
  list: CustomerPage,
  totals: UsageTotals,
  plans: readonly string[],
  auditLog: readonly AuditEntry[],
  notice?: string,
): string {
  const rows = list.customers.map((c: Customer) => {
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
    return `<tr data-customer-id="${esc(c.id)}"><td data-label="Customer">${esc(c.email)}<br><small>${esc(c.id)}</small></td><td class="status" data-label="Status">${esc(c.status)}</td>
<td data-label="Plan"><form method="post" action="/dashboard/admin/customers/${esc(c.id)}/plan">${csrfField(session.csrf)}
<label for="${idp}-plan">Plan</label><select id="${idp}-plan" name="plan">${options}</select> <button type="submit" class="secondary">Change plan</button></form></td>
<td data-label="Limits"><details><summary>${esc(limitsText(c.limits))}</summary><form method="post" action="/dashboard/admin/customers/${esc(c.id)}/limits">${csrfField(session.csrf)}
${limitInputs}<p><small>Empty: the plan's limit. A number, or "unlimited".</small></p><button type="submit" class="secondary">Set limits</button></form></details></td>
<td data-label="Access"><form method="post" action="/dashboard/admin/customers/${esc(c.id)}/status">${csrfField(session.csrf)}
<input type="hidden" name="status" value="${c.status === 'active' ? 'suspended' : 'active'}">
<button type="submit" class="${c.status === 'active' ? 'danger' : 'secondary'}">${c.status === 'active' ? 'Suspend' : 'Reactivate'}</button></form></td></tr>`;
  });
  const audits = auditLog.map(
    (a) =>
      `<tr><td data-label="When">${iso(a.at)}</td><td data-label="Who">${esc(a.actorEmail)}</td><td data-label="Action">${esc(a.action)}</td><td data-label="Customer">${esc(a.targetId ?? '')}</td><td data-label="Details"><code>${esc(JSON.stringify(a.details))}</code></td></tr>`,
  );
  return page(
    'Customers',
    `<h1>Customers</h1>${notice ? `<p class="ok" role="status">${esc(notice)}</p>` : ''}
${totalsSection(totals)}
<section aria-labelledby="customers-title"><h2 id="customers-title">Customers</h2>
<form method="get" action="/dashboard/admin" role="search" class="search"><label for="q">Search by email or customer id</label>
<input id="q" name="q" type="search" value="${esc(list.query)}" maxlength="320"> <button type="submit" class="secondary">Search</button>${list.query === '' ? '' : ` <a href="/dashboard/admin">Show all</a>`}</form>
<p id="customer-count">${list.total} ${list.total === 1 ? 'customer' : 'customers'}${list.query === '' ? '' : ` match “${esc(list.query)}”`}</p>
<div class="scroll"><table id="customers" class="cards"><thead><tr><th scope="col">Customer</th><th scope="col">Status</th><th scope="col">Plan</th><th scope="col">Limits</th><th scope="col">Access</th></tr></thead>
<tbody>${rows.join('') || `<tr><td colspan="5">${list.query === '' ? 'No customer yet.' : 'No customer matches.'}</td></tr>`}</tbody></table></div>${pager(list)}</section>
<section aria-labelledby="audit-title"><h2 id="audit-title">Audit log</h2><div class="scroll" tabindex="0" role="region" aria-labelledby="audit-title"><table id="audit" class="cards"><thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Customer</th><th scope="col">Details</th></tr></thead>
<tbody>${audits.join('') || '<tr><td colspan="5">Nothing yet.</td></tr>'}</tbody></table></div></section>`,
    session,
  );
}
