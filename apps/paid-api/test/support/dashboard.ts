/**
 * A Dashboard user over HTTP without a browser: real requests with `fetch`, a cookie jar, and the
 * CSRF token read from the last page's forms (as a browser would send it).
 */
export interface Page {
  readonly status: number;
  readonly headers: Headers;
  readonly html: string;
  readonly location: string | null;
}

export class DashboardClient {
  readonly jar = new Map<string, string>();
  last = '';

  constructor(readonly base: string) {}

  get cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ');
  }

  /** The CSRF token of the last page's forms. */
  get csrf(): string {
    const m = /name="csrf" value="([^"]+)"/.exec(this.last);
    if (m === null) throw new Error('no CSRF field on the last page');
    return m[1] as string;
  }

  private async send(path: string, init: RequestInit): Promise<Page> {
    const res = await fetch(`${this.base}${path}`, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: this.cookieHeader },
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = decodeURIComponent(pair.slice(at + 1).trim());
      if (attrs.some((a) => /^\s*max-age=0$/i.test(a)) || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
    const html = await res.text();
    if (html !== '') this.last = html;
    return { status: res.status, headers: res.headers, html, location: res.headers.get('location') };
  }

  get(path: string): Promise<Page> {
    return this.send(path, { method: 'GET' });
  }

  /** Posts a form; `csrf: true` adds the token of the last page. */
  post(path: string, fields: Record<string, string>, options: { csrf?: boolean } = { csrf: true }): Promise<Page> {
    const body = new URLSearchParams(fields);
    if (options.csrf !== false) body.set('csrf', this.csrf);
    return this.send(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
    });
  }

  /** Opens the sign-in page and signs in; returns the answer to the POST. */
  async signIn(email: string, password: string): Promise<Page> {
    await this.get('/dashboard/login');
    return this.post('/dashboard/login', { email, password });
  }
}

/** The key shown once on the page after a create or rotate. */
export function shownKey(html: string): string {
  const m = /<p class="key" id="new-key">([^<]+)<\/p>/.exec(html);
  if (m === null) throw new Error('no new key on the page');
  return m[1] as string;
}
