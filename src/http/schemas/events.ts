/**
 * The body of POST /cases/:id/events in the OpenAPI document: one schema per event type (`{ type, ...payload }`),
 * built from the engine's own input schemas (src/engine/eventInput.ts), so the document cannot drift from what
 * the engine accepts. The engine itself validates the body (parseEventInput, which the console's forms also go
 * through): the route documents the union but hands the body over as it came.
 */
import type { FastifySchemaCompiler } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { eventTypes, type EventType } from '../../../machines/index.js';
import { eventInputSchemas } from '../../engine/eventInput.js';

function eventBody<T extends EventType>(type: T) {
  const payload = eventInputSchemas[type] as unknown as z.ZodObject;
  return z.strictObject({ type: z.literal(type), ...payload.shape }).meta({ id: `Event_${type}`, title: type });
}

export const eventBodySchemas = Object.fromEntries(eventTypes.map((t) => [t, eventBody(t)])) as { [T in EventType]: ReturnType<typeof eventBody<T>> };

export const eventBodySchema = z
  .discriminatedUnion('type', eventTypes.map((t) => eventBodySchemas[t]) as unknown as [z.ZodObject, z.ZodObject, ...z.ZodObject[]])
  .describe(`{ type, ...payload }; one schema per event type: ${eventTypes.join(', ')}`);

/** Route validator for the events route: params, query and headers as everywhere; the body goes to the engine. */
export const passEventBodyToEngine: FastifySchemaCompiler<z.ZodType> = (route) =>
  route.httpPart === 'body' ? (data: unknown) => ({ value: data }) : validatorCompiler(route);
