import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TwoFaConfigError } from '../http/errors.js';
import { canonicalBasePath } from './openapi.js';
import type { RouteDef } from './types.js';

/**
 * The API reference page (`docs: true`): `GET {prefix}/docs` is an HTML page that renders the served
 * OpenAPI document with Scalar's API reference, whose prebuilt browser bundle the kit serves itself
 * from `{prefix}/docs/api-reference.js` (no CDN). The page is one of the two answers under the
 * prefix that are not a JSON envelope (with the OpenAPI document).
 *
 * Its Content-Security-Policy allows no inline script and no eval: scripts come only from this
 * server (`script-src 'self'`); the renderer's styles are computed in the browser, so styles need
 * `'unsafe-inline'`; the page fetches only the document (`connect-src 'self'`) and loads no font,
 * image or frame from elsewhere.
 */

/** The renderer: an optional peer dependency, installed by hosts that turn the page on. */
export const DOCS_RENDERER = '@scalar/api-reference';

export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Runs before the bundle, then starts it. The first line turns off the schema library's check for
 * `eval` support inside the bundle (it would be refused by the policy and reported as a violation);
 * the page's own element says where the document is.
 */
const INIT_JS = `globalThis.__zod_globalConfig = Object.assign(globalThis.__zod_globalConfig || {}, { jitless: true });
document.addEventListener('DOMContentLoaded', function () {
  var app = document.getElementById('reference');
  Scalar.createApiReference(app, {
    url: app.dataset.url,
    withDefaultFonts: false,
    hideClientButton: true,
    telemetry: false,
    showDeveloperTools: 'never',
    agent: { disabled: true },
    mcp: { disabled: true }
  });
});
`;

/** The renderer's bundle, read once at construction (the page is off unless asked for). */
export interface DocsAssets {
  readonly bundle: string;
  readonly version: string;
}

/**
 * Where the renderer is installed: looked up at run time from the kit's own folder, then from the
 * application's (the working directory). `node:module` is taken with `process.getBuiltinModule`, out
 * of a bundler's sight: Next.js (Turbopack, webpack) rewrites a `require.resolve` it can see into a
 * module number, and the page must find the package's files on disk.
 */
function resolveRenderer(): string | undefined {
  const { createRequire } = process.getBuiltinModule('node:module');
  for (const from of [import.meta.url, join(process.cwd(), 'package.json')]) {
    try {
      return createRequire(from).resolve(DOCS_RENDERER);
    } catch {
      // not installed there
    }
  }
  return undefined;
}

/** Reads the renderer's browser bundle; a missing renderer is a configuration error. */
export function loadDocsAssets(): DocsAssets {
  const entry = resolveRenderer();
  if (entry === undefined) {
    throw new TwoFaConfigError(
      `docs: true needs the API reference renderer: install it beside the kit (npm install ${DOCS_RENDERER})`,
    );
  }
  // The package's entry is `dist/index.js`; its standalone browser bundle is `dist/browser/standalone.js`.
  const dist = dirname(entry);
  const version = (JSON.parse(readFileSync(join(dist, '..', 'package.json'), 'utf8')) as { version: string }).version;
  return { bundle: readFileSync(join(dist, 'browser', 'standalone.js'), 'utf8'), version };
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);

function page(base: string, version: string): string {
  const b = escapeHtml(base);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API reference</title>
<link rel="icon" href="data:,">
</head>
<body>
<div id="reference" data-url="${b}/openapi.json"></div>
<script src="${b}/docs/init.js"></script>
<script src="${b}/docs/api-reference.js?v=${escapeHtml(version)}"></script>
</body>
</html>
`;
}

const NOT_DOCUMENTED = { message: '', data: {} } as const;

function asset(id: string, path: string, summary: string, contentType: string, body: () => string): RouteDef {
  return {
    id,
    path,
    methods: ['GET'],
    summary,
    description: summary,
    auth: false,
    quota: 'none',
    params: [],
    success: NOT_DOCUMENTED,
    errors: [],
    documented: false,
    handle() {
      return {
        event: 'docs',
        data: null,
        document: body(),
        headers: {
          'content-type': contentType,
          'x-content-type-options': 'nosniff',
          'cache-control': 'public, max-age=3600',
        },
      };
    },
  };
}

/** The routes of the page and its two scripts, added to the table when `docs: true`. */
export function docsRoutes(assets: DocsAssets): RouteDef[] {
  return [
    {
      ...asset('docs', '/docs', 'API reference page', 'text/html; charset=utf-8', () => ''),
      handle({ request, config }) {
        const base = canonicalBasePath(request.basePath ?? config.prefix, config.prefix);
        return {
          event: 'docs',
          data: null,
          document: page(base === '/' ? '' : base, assets.version),
          headers: {
            'content-type': 'text/html; charset=utf-8',
            'content-security-policy': DOCS_CSP,
            'x-content-type-options': 'nosniff',
            'referrer-policy': 'no-referrer',
            'cache-control': 'no-cache',
          },
        };
      },
    },
    asset(
      'docsInit',
      '/docs/init.js',
      'API reference page: start-up script',
      'text/javascript; charset=utf-8',
      () => INIT_JS,
    ),
    asset(
      'docsRenderer',
      '/docs/api-reference.js',
      'API reference page: the renderer',
      'text/javascript; charset=utf-8',
      () => assets.bundle,
    ),
  ];
}
