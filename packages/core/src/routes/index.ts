import { generateRoute } from './generate.js';
import { openApiRoute } from './openapi.js';
import type { RouteDef } from './types.js';
import { usageRoute } from './usage.js';
import { verifyRoute } from './verify.js';

/** The surface, as data. Adapters loop over it; `handle()` routes by it. */
export const ROUTES: readonly RouteDef[] = [generateRoute, verifyRoute, usageRoute, openApiRoute(() => ROUTES)];

export type { JsonSchema, RouteContext, RouteDef, RouteMethod, RouteOutcome } from './types.js';
