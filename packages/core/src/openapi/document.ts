import { ERROR_KINDS, type ErrorKind } from '../http/errors.js';
import type { ParamDef } from '../http/params.js';
import { trimTrailingSlashes } from '../http/path.js';
import type { ResolvedConfig } from '../options.js';
import type { JsonSchema, RouteDef, RouteMethod } from '../routes/types.js';

/**
 * The OpenAPI 3.1 document of the mounted surface and the JSON schemas of each route, both built
 * from the route table (`ROUTES`): the same `ParamDef`s that validate requests, the same success
 * schemas, the same error table. Nothing here is written by hand per route.
 */

/** What the document depends on besides the route table. */
export interface OpenApiSettings {
  /** The full mount prefix as clients see it (`/api/2fa`). */
  readonly basePath: string;
  /** Whether the `api_key` query parameter is accepted (adds the query security scheme). */
  readonly allowQueryKey: boolean;
  /** Whether the failed-auth guard is on (adds its 429 to authenticated routes). */
  readonly authGuard: boolean;
  /** Credits per route when prepaid credits are on (adds 402 to the routes that cost); default none. */
  readonly costs?: Readonly<Record<string, number>> | undefined;
}

/** The settings of a configured surface mounted at `basePath`: derived in one place for every caller. */
export function openApiSettings(config: ResolvedConfig, basePath: string = config.prefix): OpenApiSettings {
  return {
    basePath,
    allowQueryKey: config.allowQueryKey,
    authGuard: config.authFailureLimit !== false,
    costs: config.credits === false ? undefined : config.credits.costs,
  };
}

export const OPENAPI_INFO = {
  title: '2FA code API',
  version: '1.0.0',
  license: { name: 'MIT', identifier: 'MIT' },
  description:
    'TOTP codes over HTTP. Every response under the prefix, success or failure, is the JSON envelope `{"code", "message", "data"}`, except this document itself. An unknown path under the prefix answers 404 and an unsupported method 405 (with `Allow`), in the same envelope.',
} as const;

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
export const REQUEST_CONTENT_TYPES = [FORM, JSON_TYPE] as const;

const HEADER_SCHEME = 'ApiKeyHeader';
const QUERY_SCHEME = 'ApiKeyQuery';

/** What a parameter's kind adds to its schema: the type and its bounds. */
function kindSchema(def: ParamDef): Record<string, unknown> {
  switch (def.kind) {
    case 'string':
      return {
        type: 'string',
        minLength: 1,
        maxLength: def.maxLength,
        ...(def.pattern === undefined ? {} : { pattern: def.pattern }),
      };
    case 'integer':
      return { type: 'integer', minimum: def.minimum, maximum: def.maximum };
    case 'enum':
      return { type: 'string', enum: [...def.values] };
  }
}

/** The JSON schema of one parameter's value. */
export function paramSchema(def: ParamDef): JsonSchema {
  const schema = kindSchema(def);
  if (def.kind !== 'string' && def.default !== undefined) schema.default = def.default;
  const caseNote = def.kind === 'enum' && def.caseInsensitive ? ' Any letter case is accepted.' : '';
  schema.description = `${def.description}${caseNote}`;
  if (def.example !== undefined) schema.examples = [def.example];
  return schema;
}

/** The body schema of a route: an object of its parameters. */
function bodySchema(route: RouteDef): JsonSchema {
  const required = route.params.filter((p) => p.required).map((p) => p.name);
  return {
    type: 'object',
    properties: Object.fromEntries(route.params.map((p) => [p.name, paramSchema(p)])),
    ...(required.length > 0 ? { required } : {}),
  };
}

/** The query-string schema: for GET the parameters as declared; for POST all optional (the body wins). */
function querySchema(route: RouteDef, method: RouteMethod): JsonSchema {
  const required = method === 'GET' ? route.params.filter((p) => p.required).map((p) => p.name) : [];
  return {
    type: 'object',
    properties: Object.fromEntries(route.params.map((p) => [p.name, paramSchema(p)])),
    ...(required.length > 0 ? { required } : {}),
  };
}

/** Errors only a request body can cause; a GET's body is never read. */
const BODY_ERRORS: ReadonlySet<ErrorKind> = new Set(['MALFORMED_BODY', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE']);

/** The route whose 200 is the raw OpenAPI document, not an envelope. */
export const OPENAPI_ROUTE_ID = 'openapi';

/**
 * Every error kind a route can answer with for `method`: its own (minus body errors for GET), then
 * the ones the pipeline adds (401/429/503 for authenticated routes, 429 for quota, 500 always).
 */
export function routeErrorKinds(
  route: RouteDef,
  method: RouteMethod,
  settings: Pick<OpenApiSettings, 'authGuard' | 'costs'>,
): ErrorKind[] {
  const kinds = new Set<ErrorKind>(route.errors.filter((k) => method !== 'GET' || !BODY_ERRORS.has(k)));
  if (route.auth) {
    kinds.add('UNAUTHORIZED');
    if (settings.authGuard) kinds.add('TOO_MANY_AUTH_FAILURES');
  }
  if (route.auth && route.quota === 'consume' && (settings.costs?.[route.id] ?? 0) > 0)
    kinds.add('INSUFFICIENT_CREDITS');
  if (route.auth && route.quota === 'consume') kinds.add('RATE_LIMITED');
  kinds.add('INTERNAL');
  // A key store that times out, or a limiter store that fails closed.
  if (route.auth) kinds.add('UNAVAILABLE');
  return [...kinds];
}

/** Every HTTP status a route's operation can answer with (200 and its error kinds' statuses). */
export function routeStatuses(
  route: RouteDef,
  method: RouteMethod,
  settings: Pick<OpenApiSettings, 'authGuard' | 'costs'>,
): number[] {
  const statuses = new Set([200, ...routeErrorKinds(route, method, settings).map((k) => ERROR_KINDS[k].status)]);
  return [...statuses].sort((a, b) => a - b);
}

function errorDataSchema(kind: ErrorKind, route: RouteDef | undefined): JsonSchema {
  switch (kind) {
    case 'RATE_LIMITED':
    case 'TOO_MANY_AUTH_FAILURES':
      return {
        type: 'object',
        required: ['retry_after'],
        additionalProperties: false,
        properties: {
          retry_after: {
            type: 'integer',
            minimum: 1,
            description: 'Whole seconds until a request would be admitted (also in the Retry-After header).',
          },
        },
      };
    case 'INSUFFICIENT_CREDITS':
      return {
        type: 'object',
        required: ['balance', 'cost'],
        additionalProperties: false,
        properties: {
          balance: { type: 'integer', minimum: 0, description: 'Credits left (not charged).' },
          cost: { type: 'integer', minimum: 1, description: 'Credits this request costs.' },
        },
      };
    case 'PAYMENT_REQUIRED':
      return {
        type: 'object',
        required: ['reason'],
        additionalProperties: false,
        properties: {
          reason: { type: 'string', description: 'Why, e.g. `subscription_past_due`.' },
        },
      };
    case 'INVALID_PARAMETER': {
      const names = (route?.params ?? []).filter((p) => p.error === 'INVALID_PARAMETER').map((p) => p.name);
      return {
        type: 'object',
        required: ['parameter'],
        additionalProperties: false,
        properties: {
          parameter: {
            type: 'string',
            ...(names.length > 0 ? { enum: names } : {}),
            description: 'The parameter that is out of range or contradicts the otpauth URI.',
          },
        },
      };
    }
    default:
      return { type: 'null' };
  }
}

/** The envelope `{code, message, data}` with `code` and `message` pinned. */
export function envelopeSchema(status: number, message: string | readonly string[], data: JsonSchema): JsonSchema {
  return {
    type: 'object',
    required: ['code', 'message', 'data'],
    additionalProperties: false,
    properties: {
      code: { type: 'integer', const: status },
      message:
        typeof message === 'string' ? { type: 'string', const: message } : { type: 'string', enum: [...message] },
      data,
    },
  };
}

/** The envelope schema of one error kind. */
export function errorEnvelopeSchema(kind: ErrorKind, route?: RouteDef): JsonSchema {
  const { status, message } = ERROR_KINDS[kind];
  return envelopeSchema(status, message, errorDataSchema(kind, route));
}

/** The response schemas of a route, by status: the success envelope and one per error status. */
export function responseSchemas(
  route: RouteDef,
  method: RouteMethod,
  settings: Pick<OpenApiSettings, 'authGuard' | 'costs'>,
): Record<number, JsonSchema> {
  const out: Record<number, JsonSchema> = {
    200:
      route.id === OPENAPI_ROUTE_ID
        ? { description: `${route.success.message} (the document itself, not an envelope)`, ...route.success.data }
        : { description: route.success.message, ...envelopeSchema(200, route.success.message, route.success.data) },
  };
  for (const [status, kinds] of kindsByStatus(routeErrorKinds(route, method, settings))) {
    const schemas = kinds.map((k) => errorEnvelopeSchema(k, route));
    const description = kinds.map((k) => ERROR_KINDS[k].message).join('; ');
    out[status] = schemas.length === 1 ? { description, ...schemas[0] } : { description, oneOf: schemas };
  }
  return out;
}

/**
 * A request the HTTP server refuses before any route runs (a malformed request line or header, a
 * header section too large): Node answers 400 or 431 itself, without a body. True of every
 * operation; stated for one whose own answers are never 4xx, so each operation lists its 4xx.
 */
const SERVER_REFUSED_4XX = {
  description:
    'The HTTP server refused the request before the route ran (malformed request, headers too large): 400 or 431 without a body.',
} as const;

function kindsByStatus(kinds: readonly ErrorKind[]): Map<number, ErrorKind[]> {
  const out = new Map<number, ErrorKind[]>();
  for (const k of kinds) {
    const status = ERROR_KINDS[k].status;
    out.set(status, [...(out.get(status) ?? []), k]);
  }
  return new Map([...out].sort(([a], [b]) => a - b));
}

function securityFor(route: RouteDef, allowQueryKey: boolean): Record<string, string[]>[] {
  if (!route.auth) return [];
  return allowQueryKey ? [{ [HEADER_SCHEME]: [] }, { [QUERY_SCHEME]: [] }] : [{ [HEADER_SCHEME]: [] }];
}

function operationId(route: RouteDef, method: RouteMethod): string {
  return method === route.methods[0] ? route.id : `${route.id}${method[0]}${method.slice(1).toLowerCase()}`;
}

/** The schema a Fastify route takes (and @fastify/swagger reads). */
export interface FastifyRouteSchema {
  readonly summary: string;
  readonly description: string;
  readonly operationId: string;
  readonly tags: readonly string[];
  readonly security: readonly Record<string, string[]>[];
  readonly consumes?: readonly string[];
  readonly querystring: JsonSchema;
  readonly body?: JsonSchema;
  readonly response: Readonly<Record<number, JsonSchema>>;
}

/**
 * The JSON schemas of one route for one method, shaped as a Fastify route `schema`, so a host using
 * @fastify/swagger documents the surface. They describe; they must not validate: the core validates
 * every request itself (and answers in the envelope), so an adapter registers them with a
 * validator compiler that accepts everything — Fastify's default one would coerce values (a
 * one-element array into a string) and answer its own 400s.
 */
export function routeJsonSchemas(
  route: RouteDef,
  method: RouteMethod = route.methods[0] ?? 'GET',
  settings: Pick<OpenApiSettings, 'authGuard' | 'allowQueryKey' | 'costs'> = { authGuard: true, allowQueryKey: true },
): FastifyRouteSchema {
  const hasBody = method !== 'GET' && route.params.length > 0;
  return {
    summary: route.summary,
    description: route.description,
    operationId: operationId(route, method),
    tags: ['2fa'],
    security: securityFor(route, settings.allowQueryKey),
    ...(hasBody ? { consumes: [...REQUEST_CONTENT_TYPES], body: bodySchema(route) } : {}),
    querystring: querySchema(route, method),
    response: responseSchemas(route, method, settings),
  };
}

const RATELIMIT_HEADERS = {
  'RateLimit-Policy': {
    description:
      'The limited windows of the caller’s plan (draft-ietf-httpapi-ratelimit-headers-10): `minute`, `hour`, `day` and `month` (the UTC calendar month; its `w` is the current month’s length in seconds). Unlimited windows are left out.',
    schema: { type: 'string', examples: ['"minute";q=30;w=60, "hour";q=1000;w=3600, "day";q=10000;w=86400'] },
  },
  RateLimit: {
    description: 'Requests left and seconds to reset, per limited window.',
    schema: { type: 'string', examples: ['"minute";r=29;t=31, "hour";r=999;t=1831, "day";r=9999;t=37231'] },
  },
} as const;

const RETRY_AFTER_HEADER = {
  'Retry-After': { description: 'Seconds until a request would be admitted.', schema: { type: 'integer', minimum: 1 } },
} as const;

function operation(route: RouteDef, method: RouteMethod, settings: OpenApiSettings): Record<string, unknown> {
  const schemas = routeJsonSchemas(route, method, settings);
  const responses: Record<string, unknown> = {};
  for (const [status, schema] of Object.entries(schemas.response)) {
    const { description, ...rest } = schema as { description: string };
    const headers: Record<string, unknown> = {};
    const n = Number(status);
    if (route.auth && route.quota !== 'none' && n !== 401 && n < 500) Object.assign(headers, RATELIMIT_HEADERS);
    if (n === 429) Object.assign(headers, RETRY_AFTER_HEADER);
    responses[status] = {
      description,
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      content: { [JSON_TYPE]: { schema: rest } },
    };
  }
  if (!Object.keys(responses).some((status) => status.startsWith('4'))) responses['4XX'] = SERVER_REFUSED_4XX;
  const op: Record<string, unknown> = {
    operationId: schemas.operationId,
    summary: schemas.summary,
    description: schemas.description,
    tags: schemas.tags,
    security: schemas.security,
  };
  const query = schemas.querystring as { properties: Record<string, JsonSchema>; required?: string[] };
  const parameters = Object.entries(query.properties).map(([name, schema]) => {
    const { description, ...rest } = schema as { description: string };
    return {
      name,
      in: 'query',
      required: query.required?.includes(name) ?? false,
      description: method === 'GET' ? description : `${description} May be sent in the query string; the body wins.`,
      schema: rest,
    };
  });
  if (parameters.length > 0) op.parameters = parameters;
  if (schemas.body !== undefined) {
    op.requestBody = {
      required: false,
      description: 'The parameters, as a form or a JSON object (the examples in the API documentation send a form).',
      content: Object.fromEntries(REQUEST_CONTENT_TYPES.map((t) => [t, { schema: schemas.body }])),
    };
  }
  op.responses = responses;
  return op;
}

/** The OpenAPI 3.1 document of `routes` mounted at `settings.basePath`. */
export function openApiDocument(routes: readonly RouteDef[], settings: OpenApiSettings): Record<string, unknown> {
  const base = settings.basePath === '/' ? '' : trimTrailingSlashes(settings.basePath);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const item: Record<string, unknown> = {};
    for (const method of route.methods) item[method.toLowerCase()] = operation(route, method, settings);
    paths[`${base}${route.path}`] = item;
  }
  const securitySchemes: Record<string, unknown> = {
    [HEADER_SCHEME]: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'The API key (recommended).' },
  };
  if (settings.allowQueryKey) {
    securitySchemes[QUERY_SCHEME] = {
      type: 'apiKey',
      in: 'query',
      name: 'api_key',
      description: 'The API key in the query string (the header wins when both are sent).',
    };
  }
  return {
    openapi: '3.1.0',
    info: { ...OPENAPI_INFO },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    // The server this document was fetched from; the paths include the mount prefix.
    servers: [{ url: '/', description: 'The server that serves this document' }],
    tags: [{ name: '2fa', description: 'TOTP codes' }],
    paths,
    components: { securitySchemes },
  };
}
