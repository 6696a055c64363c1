import { secondsCeil } from '../limits/headers.js';
import { WINDOWS } from '../limits/plans.js';
import type { JsonSchema, RouteDef } from './types.js';

const WINDOW_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['limit', 'remaining', 'reset'],
  additionalProperties: false,
  properties: {
    limit: { type: ['integer', 'null'], minimum: 0, description: 'Requests per window; null when unlimited.' },
    remaining: {
      type: ['integer', 'null'],
      minimum: 0,
      description: 'Requests left in the current window; null when unlimited.',
    },
    reset: {
      type: ['integer', 'null'],
      minimum: 1,
      description: 'Whole seconds (rounded up) until the current window ends; null when unlimited.',
    },
  },
};

/** One window of the usage answer: the same numbers as the `RateLimit` header's item. */
export interface UsageWindow {
  readonly limit: number | null;
  readonly remaining: number | null;
  readonly reset: number | null;
}

const UNLIMITED: UsageWindow = Object.freeze({ limit: null, remaining: null, reset: null });

export const usageRoute: RouteDef = {
  id: 'usage',
  path: '/usage',
  methods: ['GET'],
  summary: "The caller's plan and quota",
  description:
    'The plan of the presented key and, per window, its limit, the requests left and the seconds until the window resets: the numbers of the RateLimit headers of the same response; for a key that pays by prepaid credits, its balance. Consumes no quota and no credits, and answers even when the quota is used up.',
  auth: true,
  quota: 'peek',
  params: [],
  success: {
    message: 'Usage retrieved successfully',
    data: {
      type: 'object',
      required: ['plan', 'limits'],
      additionalProperties: false,
      properties: {
        plan: { type: 'string', description: 'The plan of the presented key.' },
        limits: {
          type: 'object',
          required: WINDOWS.map((w) => w.name),
          additionalProperties: false,
          properties: Object.fromEntries(WINDOWS.map((w) => [w.name, WINDOW_SCHEMA])),
        },
        credits: {
          type: 'object',
          required: ['balance'],
          additionalProperties: false,
          description: 'Present when the key pays by prepaid credits.',
          properties: {
            balance: { type: 'integer', minimum: 0, description: 'Credits left.' },
          },
        },
      },
    },
  },
  errors: [],
  handle({ identity, limit }) {
    const limits: Record<string, UsageWindow> = {};
    for (const w of WINDOWS) {
      const state = limit?.windows.find((s) => s.name === w.name);
      limits[w.name] =
        state === undefined
          ? UNLIMITED
          : { limit: state.limit, remaining: state.remaining, reset: secondsCeil(state.resetMs) };
    }
    const credits = limit?.credits;
    const data: Record<string, unknown> = { plan: identity?.plan ?? null, limits };
    if (credits !== undefined) data.credits = { balance: credits.balance };
    return { event: 'usage', data };
  },
};
