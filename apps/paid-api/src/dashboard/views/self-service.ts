/**
 * The self-service pages before sign-in: sign-up, confirming an address, asking for a password
 * reset and setting the new password, and the second step of a sign-in (the `code` field).
 */
import { csrfField, esc, page } from './layout.js';

const notice = (text?: string) => (text ? `<p class="ok" role="status">${esc(text)}</p>` : '');

/**
 * The start of a form posting to `action` (an HTML-safe path): the error, if any, in an alert that
 * describes the form, then the form tag and its CSRF field.
 */
function formStart(action: string, csrf: string, error?: string): string {
  const alert = error ? `<p class="error" role="alert" id="form-error">${esc(error)}</p>` : '';
  const described = error ? ' aria-describedby="form-error"' : '';
  return `${alert}\n<form method="post" action="${action}"${described}>${csrfField(csrf)}`;
}

const emailField = (email = '') =>
  `<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="email" required value="${esc(email)}">`;

export function signUpPage(csrf: string, options: { error?: string; email?: string } = {}): string {
  return page(
    'Create an account',
    `<h1>Create an account</h1><section>${formStart('/dashboard/signup', csrf, options.error)}
${emailField(options.email)}
<label for="password">Password (8 characters or more)</label><input id="password" name="password" type="password" autocomplete="new-password" minlength="8" required>
<p><button type="submit">Create account</button></p></form>
<p>A link is sent to this address: follow it to confirm the address, then sign in.</p>
<p><a href="/dashboard/login">Sign in</a></p></section>`,
  );
}

export function inviteOnlyPage(): string {
  return page(
    'Create an account',
    `<h1>Create an account</h1><section><p>Accounts are made by invitation: ask the operator of this service for one.</p>
<p><a href="/dashboard/login">Sign in</a></p></section>`,
  );
}

export function checkMailPage(title: string, text: string): string {
  return page(
    title,
    `<h1>${esc(title)}</h1><section>${notice(text)}<p><a href="/dashboard/login">Sign in</a></p></section>`,
  );
}

/** The answer to a form that sends a link by mail. */
export const mailSentPage = (text: string): string => checkMailPage('Check your mail', text);

export function confirmAddressPage(link: string, csrf: string, email: string): string {
  return page(
    'Confirm your address',
    `<h1>Confirm your address</h1><section><p>Confirm <strong>${esc(email)}</strong> as the address of your account.</p>
<form method="post" action="/dashboard/verify/${esc(link)}">${csrfField(csrf)}<p><button type="submit">Confirm my address</button></p></form></section>`,
  );
}

export function resetRequestPage(csrf: string, options: { error?: string; email?: string } = {}): string {
  return page(
    'Reset your password',
    `<h1>Reset your password</h1><section>${formStart('/dashboard/reset', csrf, options.error)}
${emailField(options.email)}
<p><button type="submit">Send me a link</button></p></form>
<p><a href="/dashboard/login">Sign in</a></p></section>`,
  );
}

export function newPasswordPage(link: string, csrf: string, email: string, error?: string): string {
  return page(
    'Choose a new password',
    `<h1>Choose a new password</h1><section><p>For <strong>${esc(email)}</strong>. Every place you are signed in will be signed out.</p>
${formStart(`/dashboard/reset/${esc(link)}`, csrf, error)}
<label for="password">New password (8 characters or more)</label><input id="password" name="password" type="password" autocomplete="new-password" minlength="8" required>
<p><button type="submit">Set password</button></p></form></section>`,
  );
}

export function codeStepPage(csrf: string, error?: string): string {
  return page(
    'Two-factor sign-in',
    `<h1>Two-factor sign-in</h1><section>${formStart('/dashboard/login/code', csrf, error)}
<label for="code">Code from your authenticator app, or a recovery code</label>
<input id="code" name="code" type="text" inputmode="text" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" maxlength="20" required>
<p><button type="submit">Sign in</button></p></form>
<p><a href="/dashboard/login">Start again</a></p></section>`,
  );
}
