// `@twofa-kit/core/openapi`: the documentation helpers. The served document (`GET /openapi.json`)
// needs none of them; they are for a host that publishes the surface in its own documentation, and
// for adapters whose framework describes routes with JSON schemas (Fastify).
export {
  envelopeSchema,
  errorEnvelopeSchema,
  type FastifyRouteSchema,
  OPENAPI_INFO,
  type OpenApiSettings,
  openApiDocument,
  openApiSettings,
  paramSchema,
  REQUEST_CONTENT_TYPES,
  routeErrorKinds,
  routeJsonSchemas,
  routeStatuses,
} from './document.js';
