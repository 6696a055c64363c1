// `@twofa-kit/core/adapter`: what an adapter needs to serve the kit from a framework (the six in
// this repository, and any a host writes for another one): the route table the adapter loops over,
// and the few request steps every adapter does the same way.
export {
  forwardedAddress,
  hostBody,
  splitUrl,
  splitWebUrl,
  type TwoFaSource,
  twoFaOf,
  webBody,
  webHeaders,
} from './http/adapter.js';
export type { ParamDef } from './http/params.js';
export { ROUTES } from './routes/index.js';
export type { JsonSchema, RouteContext, RouteDef, RouteMethod, RouteOutcome } from './routes/types.js';
export type { BodySource, HeaderMap, TwoFaRequest, TwoFaResponse } from './types.js';
