import { OPENAPI_ROUTE_ID, openApiDocument, openApiSettings } from '../openapi/document.js';
import type { ResolvedConfig } from '../options.js';
import type { RouteDef } from './types.js';

/** Serialised documents, per configuration and mount path (a host mounts a surface at few paths). */
const cache = new WeakMap<ResolvedConfig, Map<string, string>>();
const MAX_PATHS_PER_CONFIG = 16;

/**
 * The mount path as the document states it: the prefix in its configured spelling (Koa and Express
 * match it in any letter case, and hand over the client's), after the path it is nested under.
 */
export function canonicalBasePath(basePath: string, prefix: string): string {
  const at = basePath.length - prefix.length;
  return at >= 0 && basePath.slice(at).toLowerCase() === prefix.toLowerCase()
    ? `${basePath.slice(0, at)}${prefix}`
    : basePath;
}

function documentFor(routes: readonly RouteDef[], config: ResolvedConfig, basePath: string): string {
  let byPath = cache.get(config);
  if (byPath === undefined) {
    byPath = new Map();
    cache.set(config, byPath);
  }
  // Keyed without letter case: case variants of one URL share one document, not one each.
  const canonical = canonicalBasePath(basePath, config.prefix);
  const key = canonical.toLowerCase();
  let doc = byPath.get(key);
  if (doc === undefined) {
    doc = JSON.stringify(openApiDocument(routes, openApiSettings(config, canonical)));
    if (byPath.size >= MAX_PATHS_PER_CONFIG) byPath.clear();
    byPath.set(key, doc);
  }
  return doc;
}

/** The route serving the document of `routes()` (the table it is part of, read at request time). */
export const openApiRoute = (routes: () => readonly RouteDef[]): RouteDef => ({
  id: OPENAPI_ROUTE_ID,
  path: '/openapi.json',
  methods: ['GET'],
  summary: 'This OpenAPI 3.1 document',
  description:
    'The OpenAPI 3.1 document of the surface as mounted here, generated from the route table. Needs no key, consumes no quota, and is the one response under the prefix that is not an envelope.',
  auth: false,
  quota: 'none',
  params: [],
  success: {
    message: 'OpenAPI document',
    data: {
      type: 'object',
      required: ['openapi', 'info', 'paths'],
      properties: {
        openapi: { type: 'string', const: '3.1.0' },
        info: { type: 'object', description: 'Title, version, description and licence of the API.' },
        paths: { type: 'object', description: 'The operations, by path (the mount prefix included).' },
      },
    },
  },
  errors: [],
  handle({ request, config }) {
    return { event: 'openapi', data: null, document: documentFor(routes(), config, request.basePath ?? config.prefix) };
  },
});
