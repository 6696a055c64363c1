/**
 * The Dashboard's pages: plain HTML from template strings, every value escaped, one small style
 * sheet (readable from a phone to a laptop, visible focus, text contrast ≥ 4.5:1), one line of
 * script (the copy button; the page works without it). Charts are server-rendered SVG. This file
 * holds what every page shares: the layout, escaping, the CSRF field and the message page.
 */
import { createHash } from 'node:crypto';

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
.search input{display:inline-block}.pager p{margin:.75rem 0 0}
@media (max-width:40rem){
table.cards thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
table.cards tr{display:block;border-bottom:1px solid #d0d5dd;padding:.5rem 0}
table.cards td{display:block;border:0;padding:.2rem 0;overflow-wrap:anywhere}
table.cards td[data-label]::before{content:attr(data-label) ": ";font-weight:600}
}
`;

/** The one script (the copy button), allowed by its hash in the Content-Security-Policy. */
const COPY_SCRIPT = `document.addEventListener('click',e=>{const b=e.target.closest('[data-copy]');if(!b)return;navigator.clipboard.writeText(document.getElementById(b.dataset.copy).textContent).then(()=>{b.textContent='Copied'})})`;

export const SCRIPT_HASH = `sha256-${createHash('sha256').update(COPY_SCRIPT).digest('base64')}`;

export interface PageSession {
  readonly email: string;
  readonly role: 'customer' | 'admin';
  readonly csrf: string;
}

export function page(title: string, body: string, session?: PageSession): string {
  const nav =
    session === undefined
      ? ''
      : `<nav aria-label="Account"><span>${esc(session.email)}</span>
${session.role === 'admin' ? ' · <a href="/dashboard/admin">Customers</a> · <a href="/dashboard/admin/deliveries">Webhooks</a>' : ' · <a href="/dashboard">Overview</a> · <a href="/dashboard/billing">Billing and alerts</a>'}
 · <a href="/dashboard/two-factor">Two-factor</a> · <a href="/dashboard/sessions">Sessions</a>
<form method="post" action="/dashboard/logout" class="inline">${csrfField(session.csrf)}<button class="secondary" type="submit">Sign out</button></form></nav>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · 2FA API Dashboard</title><style>${STYLE}</style></head>
<body><header><strong>2FA API Dashboard</strong>${nav}</header>
<main id="main">${body}</main><script>${COPY_SCRIPT}</script></body></html>`;
}

export const csrfField = (csrf: string) => `<input type="hidden" name="csrf" value="${esc(csrf)}">`;

export function messagePage(title: string, message: string, status: 'error' | 'ok' = 'error'): string {
  return page(title, `<h1>${esc(title)}</h1><section><p class="${status}">${esc(message)}</p></section>`);
}

/** A date to the minute, in UTC; a dash for none. */
export const iso = (d: Date | null): string =>
  d === null ? '—' : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
