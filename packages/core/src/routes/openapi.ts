import { OPENAPI_ROUTE_ID, openApiDocument, openApiSettings } from '../openapi.js';
import type { ResolvedConfig } from '../options.js';
import type { RouteDef } from './types.js';

/** Serialised documents, per configuration and mount path (a host mounts a surface at few paths). */
const cache = new WeakMap<ResolvedConfig, Map<string, string>>();
const MAX_PATHS_PER_CONFIG = 16;

function documentFor(routes: readonly RouteDef[], config: ResolvedConfig, basePath: string): string {
  let byPath = cache.get(config);
  if (byPath === undefined) {
    byPath = new Map();
    cache.set(config, byPath);
  }
  let doc = byPath.get(basePath);
  if (doc === undefined) {
    doc = JSON.stringify(openApiDocument(routes, openApiSettings(config, basePath)));
    if (byPath.size >= MAX_PATHS_PER_CONFIG) byPath.clear();
    byPath.set(basePath, doc);
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
      properties: { openapi: { type: 'string', const: '3.1.0' } },
    },
  },
  errors: [],
  handle({ request, config }) {
    return { event: 'openapi', data: null, document: documentFor(routes(), config, request.basePath ?? config.prefix) };
  },
});
