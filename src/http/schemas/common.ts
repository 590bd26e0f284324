/**
 * Zod schemas shared by routes. Region codes and dates come from machines/types.ts, so the HTTP edge and
 * the case machine accept exactly the same values.
 */
import { z } from 'zod';
import { CASE_NUMBER_RE } from '../../domain/caseNumber.js';
import { errorCodes, type ErrorCode } from '../../errors.js';
import { isoDate, regionCode } from '../../../machines/types.js';

/** A 12-digit statistical division code (province 2 + prefecture 2 + county 2 + township 3 + village 3). */
export { regionCode };

/** A calendar date YYYY-MM-DD that exists (2023-02-29 does not). */
export { isoDate };

/**
 * A jurisdiction: the prefix of region codes at one administrative level — province (2), prefecture (4),
 * county (6), township (9) or village (12 digits).
 */
export const regionPrefix = z
  .string()
  .regex(/^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$/, 'expected a region prefix of 2, 4, 6, 9 or 12 digits');

export const uuid = z.uuid({ error: 'expected a UUID' });

/** `{ id }` path parameters, e.g. /cases/:id. */
export const idParams = z.strictObject({ id: uuid });

/** `{ caseNumber }` path parameters: /cases/by-number/411282-2026-000123 (at most 20 characters). */
export const caseNumberParams = z.strictObject({
  caseNumber: z.string().max(20, 'expected a case number such as 411282-2026-000123').regex(CASE_NUMBER_RE, 'expected a case number such as 411282-2026-000123'),
});

export const fieldIssue = z.strictObject({
  path: z.string().describe('the field, written as in code: body.members[0].idNumber'),
  message: z.string().describe('what was expected (in the language of the error message)'),
});

/** Every non-2xx response has this shape; see the error catalogue in src/errors.ts. */
export const errorResponse = z
  .object({
    code: z.enum(errorCodes as [ErrorCode, ...ErrorCode[]]).describe('stable error code; branch on this'),
    message: z.string().describe('human-readable, in English or, when Accept-Language prefers zh, Simplified Chinese; may change'),
    details: z.unknown().optional().describe('code-specific, see the error catalogue'),
  })
  .meta({ id: 'ErrorResponse' });

export type ErrorResponse = z.infer<typeof errorResponse>;
