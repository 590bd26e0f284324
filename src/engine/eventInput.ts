/**
 * Event bodies as clients send them (`{ type, ...payload }`). Most payloads are the machine's own; two are
 * richer or poorer at the edge:
 * - UPDATE_SURVEY carries the whole survey (names, ID numbers), stored in tables; the machine gets facts.
 * - PLACE names a facility by id; the engine looks up its beds and caregivers and derives occupancy from
 *   current placements, so nobody can type in a free bed.
 */
import { z } from 'zod';
import { agreementSchema, eventTypes, payloadSchemas, type EventType } from '../../machines/index.js';
import { errors, unknownFieldIssues, type FieldIssue } from '../errors.js';
import { householdInputSchema } from './surveyInput.js';

/**
 * PLACE at the edge: a facility or a guardian is named by its id in the registry; their capacity (beds,
 * caregivers, occupancy; a guardian's wards and maximum) is looked up, never taken from the client.
 */
const placeInputSchema = payloadSchemas.PLACE.omit({ facility: true, guardian: true }).extend({
  facilityId: z.uuid('expected a facility id').optional(),
  guardianId: z.uuid('expected a guardian id from the guardian registry').optional(),
  /** The officer attests that the township appointed this guardian (乡镇指定) — needed unless the legal supporter. */
  appointedByTownship: z.boolean().default(false),
  reasonNotLegalSupporter: z.string().trim().max(4000).optional(),
  agreement: agreementSchema.optional(),
});

export const eventInputSchemas = {
  ...payloadSchemas,
  UPDATE_SURVEY: z.strictObject({ household: householdInputSchema }),
  PLACE: placeInputSchema,
} as const;

/** As in machines/events.ts: z.strictObject({}) infers Record<string, never>; an empty payload is {}. */
type NoIndex<P> = string extends keyof P ? {} : P;
export type EventInput<T extends EventType> = NoIndex<z.infer<(typeof eventInputSchemas)[T]>>;
export type AnyEventInput = { [T in EventType]: { type: T } & EventInput<T> }[EventType];

/** The type field alone: an unknown type is a validation error that lists the known ones. */
const typeSchema = z.object({ type: z.enum(eventTypes as [EventType, ...EventType[]]) });

export function zodIssues(error: z.ZodError, root: string): FieldIssue[] {
  return error.issues.flatMap((i) => {
    const path = [root, ...i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))].join('.').replace(/\.\[/g, '[');
    return i.code === 'unrecognized_keys' ? unknownFieldIssues(path, i.keys) : [{ path, message: i.message }];
  });
}

/** Parses `{ type, ...payload }`; throws VALIDATION_FAILED naming each bad field as body.<path>. */
export function parseEventInput(body: unknown): AnyEventInput {
  const t = typeSchema.safeParse(body);
  if (!t.success) throw errors.validationFailed(zodIssues(t.error, 'body'));
  const { type, ...rest } = body as { type: EventType } & Record<string, unknown>;
  const schema = eventInputSchemas[t.data.type] as z.ZodObject;
  const parsed = schema.strict().safeParse(rest);
  if (!parsed.success) throw errors.validationFailed(zodIssues(parsed.error, 'body'));
  return { type, ...(parsed.data as object) } as AnyEventInput;
}
