// Overdue views for supervisors: GET /overdue (a page of overdue cases) and GET /overdue/summary (counts by
// county and step), both bounded by the caller's jurisdiction.
import { z } from 'zod';
import { reviewLevels } from '../../../machines/types.js';
import type { Engine } from '../../engine/index.js';
import { overdueReaders } from '../../engine/overdue.js';
import { errors } from '../../errors.js';
import type { App } from '../app.js';
import { requireRole } from '../auth.js';
import { errorResponse } from '../schemas/common.js';

const county = z.string().regex(/^\d{6}$/, 'expected a 6-digit county code, e.g. 411282');
const township = z.string().regex(/^\d{9}$/, 'expected a 9-digit township code, e.g. 411282108');
const minDaysOverdue = z.coerce
  .number()
  .int('expected a whole number of days')
  .min(0, 'minDaysOverdue is 0 to 3650')
  .max(3650, 'minDaysOverdue is 0 to 3650')
  .optional()
  .describe('only cases at least this many whole days past the deadline');

const overdueItem = z.strictObject({
  caseId: z.string(),
  state: z.string(),
  step: z.string().describe('the step whose deadline passed (deadline key), e.g. review.township'),
  reviewLevel: z.string().nullable(),
  villageCode: z.string(),
  townshipCode: z.string(),
  countyCode: z.string(),
  deadlineAt: z.string(),
  daysOverdue: z.number().int().describe('whole calendar days since the deadline'),
});

const errorsDoc = { 400: errorResponse, 401: errorResponse, 403: errorResponse };

/** The 200 bodies, exported so that tests check what the routes send against them. */
export const overduePageSchema = z.strictObject({ asOf: z.string(), items: z.array(overdueItem), nextAfter: z.string().nullable() });
export const overdueSummarySchema = z.strictObject({
  asOf: z.string(),
  total: z.number().int(),
  counties: z.array(
    z.strictObject({
      countyCode: z.string(),
      total: z.number().int(),
      steps: z.array(z.strictObject({ step: z.string(), count: z.number().int() })),
    }),
  ),
});

/**
 * These routes' replies are built field by field by the engine (src/engine/overdue.ts) from typed values, so the
 * app's zod serializer — which validates and re-encodes every reply against its schema before JSON.stringify —
 * would check a 50-item page a second time on the hot path of the supervisors' view. They serialize with plain
 * JSON.stringify instead (error replies too: the error handler builds those the same way). The schemas still
 * document the replies in OpenAPI and type the handlers; tests/http/overdue.test.ts checks replies against them.
 */
const plainJson = () => (data: unknown) => JSON.stringify(data);

export function overdueRoutes(engine: Engine) {
  return async function register(app: App) {
    app.get(
      '/overdue',
      {
        preValidation: requireRole(...overdueReaders),
        schema: {
          tags: ['supervision'],
          summary: 'Overdue open cases in the caller’s jurisdiction, most overdue first (keyset pages: pass nextAfter as after)',
          querystring: z.strictObject({
            county: county.optional(),
            township: township.optional(),
            step: z
              .string()
              .regex(/^[A-Za-z]{1,40}(\.[A-Za-z_]{1,40})?$/, 'expected a step such as review.township or placement')
              .optional(),
            level: z.enum(reviewLevels).optional(),
            minDaysOverdue,
            after: z.string().max(80).optional(),
            limit: z.coerce.number().int().min(1, 'limit is 1 to 200').max(200, 'limit is 1 to 200').default(50),
          }),
          response: { 200: overduePageSchema, ...errorsDoc },
        },
        serializerCompiler: plainJson,
      },
      async (request) => {
        if (!request.principal) throw errors.unauthenticated();
        return engine.overdue(request.principal, request.query);
      },
    );

    app.get(
      '/overdue/summary',
      {
        preValidation: requireRole(...overdueReaders),
        schema: {
          tags: ['supervision'],
          summary: 'Overdue open cases in the caller’s jurisdiction, counted by county and step',
          querystring: z.strictObject({ county: county.optional(), township: township.optional(), minDaysOverdue }),
          response: { 200: overdueSummarySchema, ...errorsDoc },
        },
        serializerCompiler: plainJson,
      },
      async (request) => {
        if (!request.principal) throw errors.unauthenticated();
        return engine.overdueSummary(request.principal, request.query);
      },
    );
  };
}
