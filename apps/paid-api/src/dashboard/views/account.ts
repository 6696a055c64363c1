/** A signed-in person's own settings: two-factor sign-in (enrolment, recovery codes) and sessions. */
import type { SessionInfo } from '../../accounts/sessions.js';
import { csrfField, esc, iso, type PageSession, page } from './layout.js';

export interface Enrolment {
  /** The secret as base32 text. */
  readonly secret: string;
  /** The QR code of the `otpauth://` URI, as an SVG document. */
  readonly qrSvg: string;
  readonly error?: string | undefined;
}

export interface TwoFactorState {
  readonly enabledAt: Date | null;
  readonly recoveryLeft: number;
  /** Operators only: whether operators must sign in with a second factor. */
  readonly operatorsRequired?: boolean | undefined;
  readonly notice?: string | undefined;
  /** Why a change asked for on this page was refused. */
  readonly error?: string | undefined;
}

function operatorSetting(session: PageSession, state: TwoFactorState): string {
  if (session.role !== 'admin') return '';
  return `<section aria-labelledby="operators-title"><h2 id="operators-title">Operators</h2>
<form method="post" action="/dashboard/admin/settings">${csrfField(session.csrf)}
<p><input type="checkbox" id="require-two-factor" name="require_two_factor" value="on" style="width:auto"${state.operatorsRequired ? ' checked' : ''}>
<label for="require-two-factor" style="display:inline">Require two-factor sign-in for every operator</label></p>
<p><small>An operator without it is sent to this page until enrolled.</small></p>
<button type="submit" class="secondary">Save</button></form></section>`;
}

export function twoFactorPage(session: PageSession, state: TwoFactorState, enrolment?: Enrolment): string {
  const status =
    state.enabledAt === null
      ? ''
      : `<section><p class="ok" id="two-factor-status">Two-factor sign-in is on since ${iso(state.enabledAt)}.</p>
<p>Recovery codes left: <strong id="recovery-left">${state.recoveryLeft}</strong> of 10.</p>
${state.error ? `<p class="error" role="alert">${esc(state.error)}</p>` : ''}
<form method="post" action="/dashboard/two-factor/recovery-codes">${csrfField(session.csrf)}
<label for="code-new-codes">Code (to make 10 new recovery codes; the old ones stop working)</label>
<input id="code-new-codes" name="code" type="text" autocomplete="one-time-code" maxlength="20" required>
<p><button type="submit" class="secondary">New recovery codes</button></p></form>
<form method="post" action="/dashboard/two-factor/off">${csrfField(session.csrf)}
<label for="code-off">Code (to turn two-factor sign-in off)</label>
<input id="code-off" name="code" type="text" autocomplete="one-time-code" maxlength="20" required>
<p><button type="submit" class="danger">Turn off</button></p></form></section>`;
  const enrol =
    enrolment === undefined
      ? ''
      : `<section aria-labelledby="enrol-title"><h2 id="enrol-title">Turn on two-factor sign-in</h2>
<p>Scan this code with an authenticator app (or type the key below), then enter the 6-digit code it shows.</p>
<div class="qr">${enrolment.qrSvg}</div>
<p>Key: <code id="totp-secret">${esc(enrolment.secret)}</code></p>
${enrolment.error ? `<p class="error" role="alert" id="form-error">${esc(enrolment.error)}</p>` : ''}
<form method="post" action="/dashboard/two-factor"${enrolment.error ? ' aria-describedby="form-error"' : ''}>${csrfField(session.csrf)}
<label for="code">Code</label><input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required>
<p><button type="submit">Turn on</button></p></form></section>`;
  return page(
    'Two-factor sign-in',
    `<h1>Two-factor sign-in</h1>${state.notice ? `<p class="ok" role="status">${esc(state.notice)}</p>` : ''}${status}${enrol}${operatorSetting(session, state)}`,
    session,
  );
}

export function recoveryCodesPage(session: PageSession, codes: readonly string[]): string {
  return page(
    'Recovery codes',
    `<h1>Two-factor sign-in is on</h1><section aria-labelledby="codes-title"><h2 id="codes-title">Your recovery codes</h2>
<p><strong>Save them now: they are shown only this once.</strong> Each one signs you in once, in place of a code, if you lose your authenticator.</p>
<pre id="recovery-codes">${codes.map(esc).join('\n')}</pre>
<p><button type="button" class="secondary" data-copy="recovery-codes">Copy codes</button></p>
<p><a href="/dashboard">Continue</a></p></section>`,
    session,
  );
}

export function sessionsPage(
  session: PageSession,
  currentId: string,
  sessions: readonly SessionInfo[],
  notice?: string,
): string {
  const rows = sessions.map(
    (
      s,
    ) => `<tr data-session-id="${esc(s.id)}"><td data-label="Browser">${esc(s.userAgent ?? 'unknown')}${s.id === currentId ? ' <strong>(this one)</strong>' : ''}</td>
<td data-label="Signed in">${iso(s.createdAt)}</td><td data-label="Last seen">${iso(s.lastSeenAt)}</td>
<td>${s.id === currentId ? '' : `<form method="post" action="/dashboard/sessions/${esc(s.id)}/revoke" class="inline">${csrfField(session.csrf)}<button type="submit" class="secondary" aria-label="Sign out session ${esc(s.id)}">Sign out</button></form>`}</td></tr>`,
  );
  return page(
    'Sessions',
    `<h1>Where you are signed in</h1>${notice ? `<p class="ok" role="status">${esc(notice)}</p>` : ''}
<section><div class="scroll"><table id="sessions" class="cards"><thead><tr><th scope="col">Browser</th><th scope="col">Signed in</th><th scope="col">Last seen</th><th scope="col">Action</th></tr></thead>
<tbody>${rows.join('')}</tbody></table></div>
<form method="post" action="/dashboard/sessions/revoke-all">${csrfField(session.csrf)}<p><button type="submit" class="danger">Sign out everywhere</button></p></form></section>`,
    session,
  );
}
