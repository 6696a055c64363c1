/**
 * The self-service pages before sign-in: sign-up, confirming an address, asking for a password
 * reset and setting the new password, and the second step of a sign-in (the `code` field).
 */
import { csrfField, esc, page } from './layout.js';

const notice = (text?: string) => (text ? `<p class="ok" role="status">${esc(text)}</p>` : '');
const alert = (text?: string) => (text ? `<p class="error" role="alert" id="form-error">${esc(text)}</p>` : '');
const described = (error?: string) => (error ? ' aria-describedby="form-error"' : '');

export function signUpPage(csrf: string, options: { error?: string; email?: string } = {}): string {
  return page(
    'Create an account',
    `<h1>Create an account</h1><section>${alert(options.error)}
<form method="post" action="/dashboard/signup"${described(options.error)}>${csrfField(csrf)}
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="email" required value="${esc(options.email ?? '')}">
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
    `<h1>Reset your password</h1><section>${alert(options.error)}
<form method="post" action="/dashboard/reset"${described(options.error)}>${csrfField(csrf)}
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="email" required value="${esc(options.email ?? '')}">
<p><button type="submit">Send me a link</button></p></form>
<p><a href="/dashboard/login">Sign in</a></p></section>`,
  );
}

export function newPasswordPage(link: string, csrf: string, email: string, error?: string): string {
  return page(
    'Choose a new password',
    `<h1>Choose a new password</h1><section><p>For <strong>${esc(email)}</strong>. Every place you are signed in will be signed out.</p>
${alert(error)}
<form method="post" action="/dashboard/reset/${esc(link)}"${described(error)}>${csrfField(csrf)}
<label for="password">New password (8 characters or more)</label><input id="password" name="password" type="password" autocomplete="new-password" minlength="8" required>
<p><button type="submit">Set password</button></p></form></section>`,
  );
}

export function codeStepPage(csrf: string, error?: string): string {
  return page(
    'Two-factor sign-in',
    `<h1>Two-factor sign-in</h1><section>${alert(error)}
<form method="post" action="/dashboard/login/code"${described(error)}>${csrfField(csrf)}
<label for="code">Code from your authenticator app, or a recovery code</label>
<input id="code" name="code" type="text" inputmode="text" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" maxlength="20" required>
<p><button type="submit">Sign in</button></p></form>
<p><a href="/dashboard/login">Start again</a></p></section>`,
  );
}
