/**
 * Durable timers for admins: the timers that failed for good (retries exhausted) in the admin's jurisdiction,
 * and retrying or cancelling one. Both actions are recorded in the case's audit trail.
 */
import { z } from 'zod';
import { TIMER_KINDS, TIMER_STATUSES } from '../../db/index.js';
import type { Engine } from '../../engine/index.js';
import { clientRequestIdFor, type App } from '../app.js';
import { requireRole } from '../auth.js';
import { errorResponse } from '../schemas/common.js';

const timerId = z.coerce.number({ error: 'expected a timer id' }).int('expected a timer id').positive('expected a timer id').max(Number.MAX_SAFE_INTEGER, 'expected a timer id');

const timer = z.strictObject({
  id: z.number().int(),
  caseId: z.string(),
  kind: z.enum(TIMER_KINDS),
  key: z.string().describe('what the timer is for within its case: kind, step and deadline'),
  dueAt: z.string(),
  attempts: z.number().int().describe('failed attempts since it was planned or last retried'),
  lastError: z.string().nullable(),
  status: z.enum(TIMER_STATUSES),
});

const actionBody = z
  .strictObject({ reason: z.string().trim().min(1, 'reason may not be empty').max(500, 'reason is at most 500 characters').optional() })
  .nullish() // no body at all arrives as null
  .describe('optional; the reason is recorded in the audit trail');

const errorsDoc = { 400: errorResponse, 401: errorResponse, 403: errorResponse, 404: errorResponse };

export function timerRoutes(engine: Engine) {
  return async function register(app: App) {
    app.get(
      '/timers',
      {
        preHandler: requireRole('admin'),
        schema: {
          tags: ['timers'],
          summary: 'Timers that failed for good, of cases in the admin’s jurisdiction, by id (keyset pagination: pass nextAfter as after)',
          querystring: z.strictObject({
            status: z.enum(['failed'], { error: 'only status=failed can be listed' }).default('failed'),
            after: timerId.optional(),
            limit: z.coerce.number().int().min(1, 'limit is 1 to 200').max(200, 'limit is 1 to 200').default(50),
          }),
          response: { 200: z.strictObject({ items: z.array(timer), nextAfter: z.number().int().nullable() }), ...errorsDoc },
        },
      },
      async (request) => engine.listTimers(request.principal, request.query),
    );

    app.post(
      '/timers/:id/retry',
      {
        preHandler: requireRole('admin'),
        schema: {
          tags: ['timers'],
          summary: 'Retry a failed timer: pending again, due now, attempts reset to 0 (audited as TIMER_RETRIED)',
          params: z.strictObject({ id: timerId }),
          body: actionBody,
          response: { 200: timer, ...errorsDoc, 409: errorResponse },
        },
      },
      async (request) => engine.retryTimer({ principal: request.principal, requestId: request.id, clientRequestId: clientRequestIdFor(request.raw) }, request.params.id, request.body ?? {}),
    );

    app.post(
      '/timers/:id/cancel',
      {
        preHandler: requireRole('admin'),
        schema: {
          tags: ['timers'],
          summary: 'Cancel a failed or pending timer (audited as TIMER_CANCELLED)',
          params: z.strictObject({ id: timerId }),
          body: actionBody,
          response: { 200: timer, ...errorsDoc, 409: errorResponse },
        },
      },
      async (request) => engine.cancelTimer({ principal: request.principal, requestId: request.id, clientRequestId: clientRequestIdFor(request.raw) }, request.params.id, request.body ?? {}),
    );
  };
}
