/**
 * Onboarding an existing caseload (存量纳入) through the JSON API: households approved and placed under the old
 * paper process, written in one transaction (all or nothing). Spreadsheets go through the import jobs
 * (kind `caseload`), which call the same engine function.
 */
import { z } from 'zod';
import type { Engine } from '../../engine/index.js';
import { onboardBatchInputSchema } from '../../engine/index.js';
import { errors } from '../../errors.js';
import { clientRequestIdFor, type App } from '../app.js';
import { errorResponse } from '../schemas/common.js';

const onboarded = z
  .object({
    cases: z.array(z.object({
      household: z.number().int().describe('index of the household in the request'),
      caseId: z.string(),
      caseNumber: z.string(),
      state: z.string(),
    })),
  })
  .meta({ id: 'HouseholdsOnboarded' });

const errorsDoc = { 400: errorResponse, 401: errorResponse, 403: errorResponse, 409: errorResponse, 422: errorResponse };

export function onboardingRoutes(engine: Engine) {
  return async function register(app: App) {
    app.post(
      '/onboarding/households',
      {
        schema: {
          tags: ['cases'],
          summary:
            'Onboard households approved under the old paper process (存量纳入): each enters `active` with its placement, or `awaitingPlacement`, with the legacy approval date and reference; all or nothing (officer or admin, in their jurisdiction)',
          body: onboardBatchInputSchema,
          response: { 201: onboarded, ...errorsDoc },
        },
      },
      async (request, reply) => {
        if (!request.principal) throw errors.unauthenticated();
        const result = await engine.onboardHouseholds({ principal: request.principal, requestId: request.id, clientRequestId: clientRequestIdFor(request.raw) }, request.body);
        reply.code(201);
        return result;
      },
    );
  };
}
