/**
 * Users and the security log (admins). An admin manages the users inside their jurisdiction and can grant
 * nothing wider than it; users outside it do not exist for them (USER_NOT_FOUND). The rules are in
 * src/engine/accounts.ts, shared with the console.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { reviewLevels } from '../../../machines/types.js';
import { GRANTABLE_ROLES } from '../../engine/accounts.js';
import type { Engine } from '../../engine/index.js';
import type { App } from '../app.js';
import { requireRole } from '../auth.js';
import { errorResponse, idParams, regionPrefix, uuid } from '../schemas/common.js';

const account = z.strictObject({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  kind: z.enum(['person', 'service']),
  roles: z.array(z.string()),
  reviewLevel: z.enum(reviewLevels).nullable(),
  jurisdiction: z.string(),
  active: z.boolean(),
  mustChangePassword: z.boolean(),
  hasPassword: z.boolean().describe('false for a person who signs in only through single sign-on'),
  externalId: z.string().nullable().describe('the identity provider\'s value (OIDC_USER_CLAIM) that signs in as this user'),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const username = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{2,63}$/, 'expected 3–64 lowercase letters, digits, dot, underscore or hyphen, starting with a letter or digit');
const displayName = z.string().trim().min(1, 'displayName is required').max(100, 'at most 100 characters');
const roleList = z.array(z.enum(GRANTABLE_ROLES, { error: `expected one of ${GRANTABLE_ROLES.join(', ')}` })).min(1, 'at least one role').max(GRANTABLE_ROLES.length);
const externalId = z.string().trim().min(1).max(256).nullable();

const errorsDoc = { 400: errorResponse, 401: errorResponse, 403: errorResponse, 404: errorResponse, 409: errorResponse };
const origin = (request: FastifyRequest) => ({ ip: request.ip, requestId: request.id });

export function userRoutes(engine: Engine) {
  const accounts = engine.accounts;
  return async function register(app: App) {
    const admin = { preHandler: requireRole('admin') };

    app.get(
      '/users',
      {
        ...admin,
        schema: {
          tags: ['users'],
          summary: 'Users inside your jurisdiction (or inside `within`), by username; page with `after`',
          querystring: z.strictObject({
            within: regionPrefix.optional(),
            active: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
            after: z.string().max(64).optional(),
            limit: z.coerce.number().int().min(1, 'limit is 1 to 200').max(200, 'limit is 1 to 200').default(50),
          }),
          response: { 200: z.strictObject({ items: z.array(account), nextAfter: z.string().nullable() }), ...errorsDoc },
        },
      },
      async (request) => accounts.listUsers(request.principal, request.query),
    );

    app.post(
      '/users',
      {
        ...admin,
        schema: {
          tags: ['users'],
          summary: 'Create a user inside your jurisdiction',
          description:
            'A person gets an initial password, to be changed at first sign-in (or none, with `password: false`, to sign in only through single sign-on); a service account gets a secret for POST /auth/token. Either is in this answer only.',
          body: z.strictObject({
            username,
            displayName,
            kind: z.enum(['person', 'service']).default('person'),
            roles: roleList,
            reviewLevel: z.enum(reviewLevels).nullable().default(null),
            jurisdiction: regionPrefix,
            externalId: externalId.optional(),
            password: z.boolean().default(true).describe('false: no password (single sign-on only); persons only'),
          }),
          response: { 201: z.strictObject({ user: account, initialPassword: z.string().nullable() }), ...errorsDoc },
        },
      },
      async (request, reply) => {
        const created = await accounts.createUser(request.principal, request.body, origin(request));
        reply.code(201).header('location', `/users/${created.user.id}`).header('cache-control', 'no-store');
        return created;
      },
    );

    app.get(
      '/users/:id',
      { ...admin, schema: { tags: ['users'], summary: 'One user', params: idParams, response: { 200: account, ...errorsDoc } } },
      async (request) => accounts.getUser(request.principal, request.params.id),
    );

    app.patch(
      '/users/:id',
      {
        ...admin,
        schema: {
          tags: ['users'],
          summary: 'Change a user’s name, roles, review level, jurisdiction or single sign-on link',
          description: 'Takes effect at the user’s next request, in every process.',
          params: idParams,
          body: z
            .strictObject({
              displayName: displayName.optional(),
              roles: roleList.optional(),
              reviewLevel: z.enum(reviewLevels).nullable().optional(),
              jurisdiction: regionPrefix.optional(),
              externalId: externalId.optional(),
            })
            .refine((b) => Object.keys(b).length > 0, 'send at least one field to change'),
          response: { 200: account, ...errorsDoc },
        },
      },
      async (request) => accounts.updateUser(request.principal, request.params.id, request.body, origin(request)),
    );

    app.post(
      '/users/:id/deactivate',
      {
        ...admin,
        schema: { tags: ['users'], summary: 'Deactivate: the user is refused from their next request; their sessions end', params: idParams, response: { 200: account, ...errorsDoc } },
      },
      async (request) => accounts.setActive(request.principal, request.params.id, false, origin(request)),
    );

    app.post(
      '/users/:id/reactivate',
      { ...admin, schema: { tags: ['users'], summary: 'Reactivate a deactivated user', params: idParams, response: { 200: account, ...errorsDoc } } },
      async (request) => accounts.setActive(request.principal, request.params.id, true, origin(request)),
    );

    app.post(
      '/users/:id/password-reset',
      {
        ...admin,
        schema: {
          tags: ['users'],
          summary: 'Give the user a new temporary password (a person must change it at the next sign-in); their sessions and tokens end',
          params: idParams,
          response: { 200: z.strictObject({ user: account, temporaryPassword: z.string() }), ...errorsDoc },
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'no-store');
        return accounts.resetPassword(request.principal, request.params.id, origin(request));
      },
    );

    app.get(
      '/security-log',
      {
        ...admin,
        schema: {
          tags: ['users'],
          summary: 'The security log inside your jurisdiction, newest first (page with beforeSeq)',
          querystring: z.strictObject({
            subjectId: uuid.optional(),
            beforeSeq: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
            limit: z.coerce.number().int().min(1, 'limit is 1 to 200').max(200, 'limit is 1 to 200').default(50),
          }),
          response: {
            200: z.strictObject({
              items: z.array(
                z.strictObject({
                  seq: z.number().int(),
                  at: z.string(),
                  action: z.string(),
                  actorId: z.string().nullable(),
                  actorUsername: z.string().nullable(),
                  subjectId: z.string().nullable(),
                  subjectUsername: z.string().nullable(),
                  scope: z.string(),
                  ip: z.string().nullable(),
                  requestId: z.string().nullable(),
                  details: z.record(z.string(), z.unknown()),
                  hash: z.string(),
                }),
              ),
            }),
            ...errorsDoc,
          },
        },
      },
      async (request) => ({ items: await accounts.securityLog(request.principal, request.query) }),
    );

    app.get(
      '/security-log/verify',
      {
        ...admin,
        schema: {
          tags: ['users'],
          summary: 'Check the security log’s hash chain from its first entry (province-wide admins)',
          response: {
            200: z.strictObject({ ok: z.boolean(), count: z.number().int(), brokenAtSeq: z.number().int().optional() }),
            ...errorsDoc,
          },
        },
      },
      async (request) => accounts.verifySecurityLogChain(request.principal),
    );
  };
}
