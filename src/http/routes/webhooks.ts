/**
 * Webhooks (admin): register where reminders about cases in a region are posted, list, switch on and off, and
 * read the delivery log. The secret is returned once, in the 201 response to the registration.
 */
import { z } from 'zod';
import type { Engine } from '../../engine/index.js';
import type { App } from '../app.js';
import { requireRole } from '../auth.js';
import { errorResponse, idParams, regionPrefix } from '../schemas/common.js';

const webhook = z.strictObject({
  id: z.string(),
  regionPrefix: z.string().describe('reminders about cases whose village code starts with this are posted here'),
  url: z.string(),
  active: z.boolean(),
  createdBy: z.string(),
  createdAt: z.string(),
});

const delivery = z.strictObject({
  id: z.number().int().describe('also sent as X-Doudi-Delivery and deliveryId: receivers dedupe on it'),
  notificationId: z.number().int().nullable(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  nextAttemptAt: z.string().nullable().describe('when a pending delivery is tried next'),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable().describe('the class of the last failure: HTTP 500, timeout, ECONNREFUSED, target refused: private, … (never the answer\'s body)'),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
  payload: z.record(z.string(), z.unknown()).describe('the JSON body posted, without deliveryId'),
});

const errorsDoc = { 400: errorResponse, 401: errorResponse, 403: errorResponse, 404: errorResponse };

export function webhookRoutes(engine: Engine) {
  return async function register(app: App) {
    app.post(
      '/webhooks',
      {
        preHandler: requireRole('admin'),
        schema: {
          tags: ['webhooks'],
          summary: 'Register a webhook for reminders about cases in a region (within the admin’s jurisdiction)',
          description: 'The response carries the signing secret; it is shown this once and never again. A URL whose host is or resolves to a loopback, private, link-local, metadata or other non-public address is refused (422 WEBHOOK_TARGET_REFUSED) unless the operator allow-lists the host (WEBHOOK_ALLOW_HOSTS).',
          body: z.strictObject({
            regionPrefix,
            url: z.string().max(2000, 'at most 2000 characters').describe('http:// or https:// URL that receives the POSTs; its host must be public (or allow-listed)'),
          }),
          response: { 201: webhook.extend({ secret: z.string().describe('HMAC-SHA256 key for X-Doudi-Signature; shown once') }), ...errorsDoc, 422: errorResponse },
        },
      },
      async (request, reply) => {
        const created = await engine.registerWebhook(request.principal, request.body);
        reply.code(201).header('location', `/webhooks/${created.id}`);
        return created;
      },
    );

    app.get(
      '/webhooks',
      {
        preHandler: requireRole('admin'),
        schema: {
          tags: ['webhooks'],
          summary: 'Webhooks within the admin’s jurisdiction (never their secrets)',
          response: { 200: z.strictObject({ webhooks: z.array(webhook) }), ...errorsDoc },
        },
      },
      async (request) => ({ webhooks: await engine.webhooks(request.principal) }),
    );

    app.patch(
      '/webhooks/:id',
      {
        preHandler: requireRole('admin'),
        schema: {
          tags: ['webhooks'],
          summary: 'Switch a webhook on or off; while off, its pending deliveries are held and no new ones are made',
          params: idParams,
          body: z.strictObject({ active: z.boolean() }),
          response: { 200: webhook, ...errorsDoc },
        },
      },
      async (request) => engine.updateWebhook(request.principal, request.params.id, request.body),
    );

    app.get(
      '/webhooks/:id/deliveries',
      {
        preHandler: requireRole('admin'),
        schema: {
          tags: ['webhooks'],
          summary: 'The webhook’s delivery log, newest first (keyset pagination: pass nextBefore as before)',
          params: idParams,
          querystring: z.strictObject({
            before: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
            limit: z.coerce.number().int().min(1, 'limit is 1 to 200').max(200, 'limit is 1 to 200').default(50),
          }),
          response: { 200: z.strictObject({ items: z.array(delivery), nextBefore: z.number().int().nullable() }), ...errorsDoc },
        },
      },
      async (request) => engine.webhookDeliveries(request.principal, request.params.id, request.query),
    );
  };
}
