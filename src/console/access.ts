// A console route's role gate: the same requirement as the API route's requireRole preHandler, for engine
// functions that leave the role to their route (facilities, guardians, webhooks). Rules stay in the engine.
import type { FastifyRequest } from 'fastify';
import type { Role } from '../../machines/index.js';
import { errors } from '../errors.js';
import { who } from './session.js';

export function requireConsoleRole(...roles: Role[]) {
  return async function (request: FastifyRequest): Promise<void> {
    const user = who(request);
    if (!roles.some((r) => user.principal.roles.includes(r))) throw errors.forbidden({ roles });
  };
}
