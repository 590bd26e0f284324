/**
 * Case routes: the survey that opens a case, reading cases, lists and inboxes, sending events, the audit
 * trail. Handlers only translate HTTP to engine calls; the engine decides and validates the rest.
 */
import { z } from 'zod';
import { categories, eventTypes, roles } from '../../../machines/index.js';
import type { Engine, Principal } from '../../engine/index.js';
import { householdInputSchema } from '../../engine/index.js';
import { errors } from '../../errors.js';
import { clientRequestIdFor, type App } from '../app.js';
import { parseIdempotencyKey, parseIfMatch } from '../headers.js';
import { caseNumberParams, errorResponse, idParams, regionPrefix } from '../schemas/common.js';
import { auditRecord, casePage, caseView, chainVerification, inboxPage, machineInfo, worklistPage } from '../schemas/views.js';
import { eventBodySchema, passEventBodyToEngine } from '../schemas/events.js';

const principalOf = (p: Principal | null | undefined): Principal => {
  if (!p) throw errors.unauthenticated();
  return p;
};

const limit = z.coerce.number().int().min(1, 'limit is 1 to 200').max(200, 'limit is 1 to 200').default(50);

const errorsDoc = { 400: errorResponse, 401: errorResponse, 403: errorResponse, 404: errorResponse, 409: errorResponse, 422: errorResponse };

export function caseRoutes(engine: Engine) {
  return async function register(app: App) {
    app.post(
      '/households',
      {
        schema: {
          tags: ['cases'],
          summary: 'Survey a household (入户普查): creates the household and its case in `survey` (Idempotency-Key optional)',
          body: householdInputSchema,
          response: { 201: caseView.extend({ caseId: z.string() }).meta({ id: 'CaseCreated' }), ...errorsDoc },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request.principal);
        const { caseId, replayed, view } = await engine.openCase({ principal, requestId: request.id, clientRequestId: clientRequestIdFor(request.raw) }, request.body, {
          idempotencyKey: parseIdempotencyKey(request.headers['idempotency-key']),
        });
        reply.code(201).header('location', `/cases/${caseId}`);
        if (replayed) reply.header('idempotent-replayed', 'true');
        // A replayed survey committed nothing now: its answer is the case as it is today.
        const answer = view ?? (await engine.getCase(principal, caseId));
        reply.header('etag', `"${answer.rowVersion}"`);
        return { caseId, ...answer };
      },
    );

    app.get(
      '/cases/:id',
      { schema: { tags: ['cases'], summary: 'A case as the caller may see it, with the events they may send now', params: idParams, response: { 200: caseView, ...errorsDoc } } },
      async (request, reply) => {
        const view = await engine.getCase(principalOf(request.principal), request.params.id);
        reply.header('etag', `"${view.rowVersion}"`);
        return view;
      },
    );

    app.get(
      '/cases/by-number/:caseNumber',
      {
        schema: {
          tags: ['cases'],
          summary: 'A case by its number (411282-2026-000123), as GET /cases/:id answers it',
          params: caseNumberParams,
          response: { 200: caseView, ...errorsDoc },
        },
      },
      async (request, reply) => {
        const view = await engine.getCaseByNumber(principalOf(request.principal), request.params.caseNumber);
        reply.header('etag', `"${view.rowVersion}"`);
        return view;
      },
    );

    app.get(
      '/cases',
      {
        schema: {
          tags: ['cases'],
          summary: 'Cases in the caller’s jurisdiction (keyset pagination: pass nextAfter as after)',
          querystring: z.strictObject({
            state: z.string().regex(/^[A-Za-z.]{1,60}$/, 'expected a state name such as review or publicity.objected').optional(),
            region: regionPrefix.optional(),
            category: z.enum(categories).optional(),
            after: z.uuid('expected the nextAfter of the previous page').optional(),
            limit,
          }),
          response: { 200: casePage, ...errorsDoc },
        },
      },
      async (request) => engine.list(principalOf(request.principal), request.query),
    );

    app.get(
      '/inbox',
      {
        schema: {
          tags: ['cases'],
          summary: 'Cases waiting on the caller’s role (and review level), oldest deadline first',
          querystring: z.strictObject({
            role: z.enum(roles).optional(),
            after: z.string().max(80).optional(),
            limit,
          }),
          response: { 200: inboxPage, ...errorsDoc },
        },
      },
      async (request) => engine.inbox(principalOf(request.principal), request.query),
    );

    app.get(
      '/worklist',
      {
        schema: {
          tags: ['cases'],
          summary: 'The work list behind the console’s 待办 and 案件查询: inbox or all cases, with filters, soonest deadline first, in numbered pages',
          description: 'q searches a member’s name or the address; digits (3–18) search the end of an ID number, for roles that see ID numbers only (others: FORBIDDEN).',
          querystring: z.strictObject({
            view: z.enum(['inbox', 'all']).default('inbox'),
            role: z.enum(roles).optional(),
            step: z.string().regex(/^[A-Za-z]{1,40}$/, 'expected a step such as review').optional(),
            reviewLevel: z.enum(['village', 'township', 'county']).optional(),
            region: z.string().regex(/^\d{2,12}$/, 'expected a region-code prefix').optional(),
            category: z.enum(categories).optional(),
            overdue: z.enum(['true', 'false']).optional(),
            includeClosed: z.enum(['true', 'false']).optional(),
            q: z.string().trim().max(50).optional(),
            page: z.coerce.number().int().min(1).max(10_000).default(1),
            pageSize: z.coerce.number().int().min(1).max(100).default(20),
          }),
          response: { 200: worklistPage, ...errorsDoc },
        },
      },
      async (request) => {
        const q = request.query;
        return engine.worklist(principalOf(request.principal), { ...q, overdue: q.overdue === 'true', includeClosed: q.includeClosed === 'true' });
      },
    );

    app.post(
      '/cases/:id/events',
      {
        schema: {
          tags: ['cases'],
          summary: 'Send an event to a case',
          description: `Body: { type, ...payload }. Types: ${eventTypes.join(', ')}. Headers: If-Match (row version, optional), Idempotency-Key (optional).`,
          params: idParams,
          body: eventBodySchema,
          response: { 200: caseView, ...errorsDoc },
        },
        // The engine validates the event (the console sends events through it too): one place for the rule.
        validatorCompiler: passEventBodyToEngine as never,
      },
      async (request, reply) => {
        const principal = principalOf(request.principal);
        const result = await engine.sendEvent({ principal, requestId: request.id, clientRequestId: clientRequestIdFor(request.raw) }, request.params.id, request.body, {
          ifMatch: parseIfMatch(request.headers['if-match']),
          idempotencyKey: parseIdempotencyKey(request.headers['idempotency-key']),
        });
        // The plan's view of the row this command wrote: its ETag is this command's version, never a later one.
        const view = result.view!;
        reply.header('etag', `"${view.rowVersion}"`);
        if (result.replayed) reply.header('idempotent-replayed', 'true');
        return view;
      },
    );

    app.get(
      '/cases/:id/audit',
      { schema: { tags: ['audit'], summary: 'The case’s audit trail, oldest first (ID numbers masked)', params: idParams, response: { 200: z.strictObject({ records: z.array(auditRecord) }), ...errorsDoc } } },
      async (request) => ({ records: await engine.audit(principalOf(request.principal), request.params.id) }),
    );

    app.get(
      '/cases/:id/audit/verify',
      { schema: { tags: ['audit'], summary: 'Verify the case’s hash chain', params: idParams, response: { 200: chainVerification, ...errorsDoc } } },
      async (request) => engine.verifyAudit(principalOf(request.principal), request.params.id),
    );

    app.get(
      '/machines/case',
      { schema: { tags: ['machines'], summary: 'The case machine: definition, version, event types and Mermaid diagram', response: { 200: machineInfo } } },
      async () => engine.machineInfo(),
    );
  };
}
