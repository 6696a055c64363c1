import { generateRoute } from './generate.js';
import type { RouteDef } from './types.js';

/** The surface, as data. Adapters loop over it; `handle()` routes by it. */
export const ROUTES: readonly RouteDef[] = [generateRoute];

export type { JsonSchema, RouteContext, RouteDef, RouteMethod, RouteOutcome } from './types.js';
