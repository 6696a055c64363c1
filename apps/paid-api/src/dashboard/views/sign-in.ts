/** The pages before sign-in: the sign-in form and an invitation's set-a-password form. */
import { csrfField, esc, page } from './layout.js';

export function loginPage(csrf: string, options: { error?: string; email?: string; notice?: string } = {}): string {
  return page(
    'Sign in',
    `<h1>Sign in</h1><section>
${options.notice ? `<p class="ok" role="status">${esc(options.notice)}</p>` : ''}
${options.error ? `<p class="error" role="alert" id="login-error">${esc(options.error)}</p>` : ''}
<form method="post" action="/dashboard/login"${options.error ? ' aria-describedby="login-error"' : ''}>${csrfField(csrf)}
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required value="${esc(options.email ?? '')}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<p><button type="submit">Sign in</button></p></form>
<p><a href="/dashboard/reset">Forgot your password?</a> · <a href="/dashboard/signup">Create an account</a></p></section>`,
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
