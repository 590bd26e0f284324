// The caller's in-app notifications (reminders): list (newest first, keyset by id) and mark read.
import { z } from 'zod';
import type { Engine } from '../../engine/index.js';
import { errors } from '../../errors.js';
import type { App } from '../app.js';
import { errorResponse } from '../schemas/common.js';

const notificationId = z.coerce.number({ error: 'expected a notification id' }).int('expected a notification id').positive('expected a notification id').max(Number.MAX_SAFE_INTEGER);

const notification = z.strictObject({
  id: z.number().int(),
  kind: z.string().describe('overdue, escalation, revisit_reminder, …'),
  title: z.string().describe('zh-CN'),
  body: z.string(),
  caseId: z.string().nullable(),
  caseNumber: z.string().nullable().describe('the case’s readable number, when the notification is about a case'),
  data: z.record(z.string(), z.unknown()).describe('{ caseId, step, deadlineAt, villageCode, timerId } for reminders'),
  createdAt: z.string(),
  readAt: z.string().nullable(),
});

export function notificationRoutes(engine: Engine) {
  return async function register(app: App) {
    app.get(
      '/notifications',
      {
        schema: {
          tags: ['notifications'],
          summary: 'The caller’s notifications, newest first (keyset pagination: pass nextBefore as before)',
          querystring: z.strictObject({
            unread: z.stringbool({ error: 'expected true or false' }).optional(),
            before: notificationId.optional(),
            limit: z.coerce.number().int().min(1, 'limit is 1 to 200').max(200, 'limit is 1 to 200').default(50),
          }),
          response: { 200: z.strictObject({ items: z.array(notification), nextBefore: z.number().int().nullable() }), 400: errorResponse, 401: errorResponse },
        },
      },
      async (request) => {
        if (!request.principal) throw errors.unauthenticated();
        return engine.notifications(request.principal, request.query);
      },
    );

    app.post(
      '/notifications/:id/read',
      {
        schema: {
          tags: ['notifications'],
          summary: 'Mark one of the caller’s notifications read (idempotent); anyone else’s is 404',
          params: z.strictObject({ id: notificationId }),
          response: { 204: z.undefined().describe('marked read'), 400: errorResponse, 401: errorResponse, 404: errorResponse },
        },
      },
      async (request, reply) => {
        if (!request.principal) throw errors.unauthenticated();
        await engine.readNotification(request.principal, request.params.id);
        return reply.code(204).send();
      },
    );
  };
}
