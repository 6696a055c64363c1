/** The billing page: plan and subscription, purchases, credits, alert webhook and its deliveries. */
import type { DeliveryView } from '../../alerts/deliveries.js';
import { csrfField, esc, iso, type PageSession, page } from './layout.js';

export interface BillingData {
  readonly plan: string;
  readonly subscriptionStatus: string | null;
  /** When the plan stops working if the bill stays unpaid (past due), else null. */
  readonly suspendsAt: Date | null;
  readonly balance: number | null;
  /** Item names that can be bought (`pro`, `credits_1000`); empty when billing is off. */
  readonly items: readonly string[];
  readonly webhookUrl: string | null;
  /** A signing secret just made: shown this once. */
  readonly newSecret?: string | undefined;
  readonly deliveries: readonly DeliveryView[];
  readonly notice?: string | undefined;
}

export function deliveriesTable(deliveries: readonly DeliveryView[], withCustomer: boolean): string {
  if (deliveries.length === 0) return '<p>No webhook sent yet.</p>';
  const rows = deliveries.map((d) => {
    const tries = d.attempts
      .map(
        (t) =>
          `<li>${iso(t.at)}: ${t.httpStatus === null ? `<span class="error">${esc(t.error ?? 'failed')}</span>` : `HTTP ${t.httpStatus}`} in ${t.durationMs} ms${t.response ? ` — <code>${esc(t.response.slice(0, 200))}</code>` : ''}</li>`,
      )
      .join('');
    const next = d.nextAt === null ? '' : ` (next try ${iso(d.nextAt)})`;
    return `<tr data-delivery-id="${esc(d.id)}">${withCustomer ? `<td data-label="Customer">${esc(d.customerId)}</td>` : ''}<td data-label="Alert">${esc(d.type)}<br><code>${esc(d.alertId)}</code></td><td data-label="Status" class="delivery-status">${esc(d.status)}${esc(next)}</td><td data-label="Sent to"><code>${esc(d.url)}</code><details><summary>Body</summary><pre>${esc(d.body)}</pre></details></td><td data-label="Tries and answers"><ol class="attempts">${tries}</ol></td></tr>`;
  });
  return `<div class="scroll"><table class="cards"><thead><tr>${withCustomer ? '<th scope="col">Customer</th>' : ''}<th scope="col">Alert</th><th scope="col">Status</th><th scope="col">Sent to</th><th scope="col">Tries and answers</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function itemLabel(item: string): string {
  const pack = /^credits_(\d+)$/.exec(item);
  return pack === null ? `Subscribe to ${item}` : `Buy ${Number(pack[1]).toLocaleString('en')} credits`;
}

export function billingPage(session: PageSession, data: BillingData): string {
  const status = (data.subscriptionStatus ?? 'none').replace('_', ' ');
  const subscribed = data.subscriptionStatus !== null && data.subscriptionStatus !== 'canceled';
  const warning =
    data.suspendsAt === null
      ? ''
      : `<p class="error" role="alert">Your last payment failed. Your keys keep working until ${iso(data.suspendsAt)}, then answer 402 Payment required until the invoice is paid.</p>`;
  const buy =
    data.items.length === 0
      ? '<p>Purchases are not set up on this server.</p>'
      : data.items
          .filter((item) => !(subscribed && !/^credits_\d+$/.test(item)))
          .map(
            (item) =>
              `<form method="post" action="/dashboard/billing/checkout" class="inline">${csrfField(session.csrf)}<input type="hidden" name="item" value="${esc(item)}"><button type="submit">${esc(itemLabel(item))}</button></form>`,
          )
          .join('');
  const secret = data.newSecret
    ? `<section aria-labelledby="secret-title"><h2 id="secret-title">Signing secret</h2><p><strong>Copy it now: it is shown only this once.</strong></p><p class="key" id="webhook-secret">${esc(data.newSecret)}</p><p><button type="button" data-copy="webhook-secret">Copy secret</button></p></section>`
    : '';
  return page(
    'Billing and alerts',
    `<h1>Billing and alerts</h1>
${data.notice ? `<p class="ok" role="status">${esc(data.notice)}</p>` : ''}
${secret}
<section aria-labelledby="sub-title"><h2 id="sub-title">Plan <span id="plan">${esc(data.plan)}</span></h2>
<p>Subscription: <span id="subscription-status">${esc(status)}</span>. Credits: <span id="credit-balance">${data.balance === null ? 'none' : data.balance}</span>.</p>
${warning}${buy}${
  subscribed && data.items.length > 0
    ? `<form method="post" action="/dashboard/billing/portal" class="inline">${csrfField(session.csrf)}<button type="submit" class="secondary">Change plan, payment method or cancel</button></form>`
    : ''
}</section>
<section aria-labelledby="alerts-title"><h2 id="alerts-title">Usage alerts</h2>
<p>At 80 % and 100 % of each hourly, daily or monthly limit, and when credits run low, you get a mail and, if you set a URL, a signed webhook (HMAC-SHA256 of <code>timestamp.body</code> in <code>Webhook-Signature: v1=…</code>, with <code>Webhook-Timestamp</code> and <code>Webhook-Id</code>), retried for 24 hours until your server answers 2xx.</p>
<form method="post" action="/dashboard/billing/webhook">${csrfField(session.csrf)}<label for="webhook-url">Webhook URL</label><input id="webhook-url" name="url" type="url" value="${esc(data.webhookUrl ?? '')}" placeholder="https://example.com/hooks/2fa"> <button type="submit">Save</button></form>
<form method="post" action="/dashboard/billing/webhook/rotate">${csrfField(session.csrf)}<button type="submit" class="secondary">Rotate the signing secret</button></form>
<h3>Deliveries</h3>${deliveriesTable(data.deliveries, false)}</section>`,
    session,
  );
}
