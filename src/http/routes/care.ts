// Facilities, guardians and revisits: the registries placements draw on, and the revisit log.
import { z } from 'zod';
import { facilityTypes, guardianKinds } from '../../../machines/index.js';
import { facilityInputSchema, facilityPatchSchema, guardianInputSchema, guardianPatchSchema, revisitInputSchema } from '../../engine/care.js';
import type { Engine, Principal } from '../../engine/index.js';
import { errors } from '../../errors.js';
import { clientRequestIdFor, type App } from '../app.js';
import { requireRole } from '../auth.js';
import { parseIdempotencyKey } from '../headers.js';
import { errorResponse, idParams } from '../schemas/common.js';
import { caseSummary, caseView, facility, guardian, revisit } from '../schemas/views.js';

const errorsDoc = { 400: errorResponse, 401: errorResponse, 403: errorResponse, 404: errorResponse };
const facilityList = z.strictObject({ facilities: z.array(facility) });
const guardianList = z.strictObject({ guardians: z.array(guardian) });

const principalOf = (p: Principal | null | undefined): Principal => {
  if (!p) throw errors.unauthenticated();
  return p;
};

export function careRoutes(engine: Engine) {
  return async function register(app: App) {
    app.get(
      '/facilities',
      {
        schema: {
          tags: ['care'],
          summary: 'Facilities in the caller’s county: beds, caregivers, residents (derived), residents per caregiver, breach flag',
          querystring: z.strictObject({ type: z.enum(facilityTypes).optional() }),
          response: { 200: facilityList, ...errorsDoc },
        },
      },
      async (request) => ({ facilities: await engine.facilities(principalOf(request.principal), request.query) }),
    );

    app.post(
      '/facilities',
      { preHandler: requireRole('admin'), schema: { tags: ['care'], summary: 'Register a facility (admin)', body: facilityInputSchema, response: { 201: facility, ...errorsDoc } } },
      async (request, reply) => {
        reply.code(201);
        return engine.createFacility(principalOf(request.principal), request.body);
      },
    );

    app.patch(
      '/facilities/:id',
      {
        preHandler: requireRole('admin'),
        schema: { tags: ['care'], summary: 'Change a facility’s beds or staff (admin); a ratio breach notifies the supervisors', params: idParams, body: facilityPatchSchema, response: { 200: facility.extend({ supervisorsNotified: z.number().int().describe('supervisors told of a new ratio breach') }), ...errorsDoc } },
      },
      async (request) => engine.patchFacility(principalOf(request.principal), request.params.id, request.body),
    );

    app.get(
      '/guardians',
      {
        schema: {
          tags: ['care'],
          summary: 'Guardians in the caller’s jurisdiction with their wards (derived) and maximum',
          querystring: z.strictObject({ kind: z.enum(guardianKinds).optional() }),
          response: { 200: guardianList, ...errorsDoc },
        },
      },
      async (request) => ({ guardians: await engine.guardians(principalOf(request.principal), request.query) }),
    );

    app.post(
      '/guardians',
      { preHandler: requireRole('officer', 'admin'), schema: { tags: ['care'], summary: 'Register a guardian (officer, admin)', body: guardianInputSchema, response: { 201: guardian, ...errorsDoc } } },
      async (request, reply) => {
        reply.code(201);
        return engine.createGuardian(principalOf(request.principal), request.body);
      },
    );

    app.patch(
      '/guardians/:id',
      { preHandler: requireRole('officer', 'admin'), schema: { tags: ['care'], summary: 'Change a guardian (officer, admin)', params: idParams, body: guardianPatchSchema, response: { 200: guardian, ...errorsDoc } } },
      async (request) => engine.patchGuardian(principalOf(request.principal), request.params.id, request.body),
    );

    app.post(
      '/cases/:id/revisits',
      {
        schema: {
          tags: ['care'],
          summary: 'Record a revisit (回访): RECORD_REVISIT with the visit’s facts; the next one is due a month (dispersed care) or a quarter later',
          params: idParams,
          body: revisitInputSchema,
          response: { 201: z.strictObject({ revisit, case: caseView }), ...errorsDoc, 409: errorResponse, 422: errorResponse },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request.principal);
        // The same rule as every other route that takes one (src/http/headers.ts).
        const idempotencyKey = parseIdempotencyKey(request.headers['idempotency-key']);
        const result = await engine.sendEvent({ principal, requestId: request.id, clientRequestId: clientRequestIdFor(request.raw) }, request.params.id, { type: 'RECORD_REVISIT', ...request.body }, { idempotencyKey });
        reply.code(201);
        if (result.replayed) reply.header('idempotent-replayed', 'true');
        const history = await engine.revisitHistory(principal, request.params.id);
        // The revisit just recorded is the newest; the command's own view of the case (no read after COMMIT).
        return { revisit: history.at(-1)!, case: result.view! };
      },
    );

    app.get(
      '/cases/:id/revisits',
      { schema: { tags: ['care'], summary: 'The revisit history of a case', params: idParams, response: { 200: z.strictObject({ revisits: z.array(revisit) }), ...errorsDoc } } },
      async (request) => ({ revisits: await engine.revisitHistory(principalOf(request.principal), request.params.id) }),
    );

    app.get(
      '/revisits/due',
      {
        schema: {
          tags: ['care'],
          summary: 'Placed cases in the caller’s villages whose revisit is due within the window (e.g. ?within=7d), overdue first',
          querystring: z.strictObject({
            within: z.string().regex(/^\d{1,3}d$/, 'expected a number of days such as 7d').default('7d'),
            limit: z.coerce.number().int().min(1).max(500).default(100),
          }),
          response: { 200: z.strictObject({ items: z.array(caseSummary) }), ...errorsDoc },
        },
      },
      async (request) => ({
        items: await engine.revisitsDue(principalOf(request.principal), { withinDays: Number.parseInt(request.query.within, 10), limit: request.query.limit }),
      }),
    );
  };
}
