// Time settings (admin): the working-day calendar per year and the deadline policy.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Engine } from '../../engine/index.js';
import { errors } from '../../errors.js';
import { calendarFileSchema, MAX_CALENDAR_YEAR, MIN_CALENDAR_YEAR } from '../../time/calendarFile.js';
import type { App } from '../app.js';
import { requireRole } from '../auth.js';
import { errorResponse } from '../schemas/common.js';

const yearParams = z.object({
  year: z.coerce
    .number()
    .int('expected a year such as 2025')
    .min(MIN_CALENDAR_YEAR, `expected a year from ${MIN_CALENDAR_YEAR} to ${MAX_CALENDAR_YEAR}`)
    .max(MAX_CALENDAR_YEAR, `expected a year from ${MIN_CALENDAR_YEAR} to ${MAX_CALENDAR_YEAR}`),
});

const calendarDay = z.object({ date: z.string(), name: z.string() });
const calendarView = z.object({ year: z.number().int(), holidays: z.array(calendarDay), workdays: z.array(calendarDay) });
const errorsDoc = { 400: errorResponse, 401: errorResponse, 403: errorResponse };

/** PUT /calendar/:year: the year in the body must be the one in the path. */
async function sameYearInPath(request: FastifyRequest): Promise<void> {
  const bodyYear = (request.body as { year?: unknown } | null)?.year;
  const pathYear = Number((request.params as Record<string, unknown>).year);
  if (typeof bodyYear === 'number' && Number.isInteger(pathYear) && bodyYear !== pathYear) {
    throw errors.validationFailed([{ path: 'body.year', message: `expected ${pathYear}, the year in the path` }]);
  }
}

// Roles are checked in preValidation, so a caller who may not ask learns nothing from validation errors.
export function timeSettingsRoutes(engine: Engine) {
  return async function register(app: App) {
    const principalOf = (p: Parameters<Engine['calendarYear']>[0] | null | undefined) => {
      if (!p) throw errors.unauthenticated();
      return p;
    };

    app.get(
      '/calendar/:year',
      {
        preValidation: requireRole('admin'),
        schema: {
          tags: ['admin'],
          summary: 'The working-day calendar of a year: public holidays and make-up working days (调休), in the calendar file format',
          params: yearParams,
          response: { 200: calendarView, ...errorsDoc },
        },
      },
      async (request) => engine.calendarYear(principalOf(request.principal), request.params.year),
    );

    app.put(
      '/calendar/:year',
      {
        // The role first, then the year: both before the body's own checks (a body for another year would
        // otherwise get one "not in <year>" per date).
        preValidation: [requireRole('admin'), sameYearInPath],
        schema: {
          tags: ['admin'],
          summary: 'Replace a year’s holidays and make-up working days (body: the calendar file, e.g. docs/calendar-2025.json)',
          description:
            'The year in the body must match the path. New transitions count with the new calendar at once; deadlines already stored on cases are not recomputed.',
          params: yearParams,
          body: calendarFileSchema,
          response: { 200: calendarView, ...errorsDoc },
        },
      },
      async (request) => engine.replaceCalendar(principalOf(request.principal), request.params.year, request.body),
    );

    app.get(
      '/settings/deadlines',
      {
        preValidation: requireRole('admin'),
        schema: { tags: ['admin'], summary: 'The deadline policy in effect, the stored override and the defaults' },
      },
      async (request) => engine.deadlineSettings(principalOf(request.principal)),
    );

    app.put(
      '/settings/deadlines',
      {
        preValidation: requireRole('admin'),
        schema: {
          tags: ['admin'],
          summary: 'Replace the deadline policy override: { step: { amount, unit } } (steps left out use their defaults; {} restores them all)',
          body: z.record(z.string(), z.unknown()).describe('e.g. { "review.township": { "amount": 3, "unit": "working_days" } }'),
        },
      },
      async (request) => engine.replaceDeadlineOverride(principalOf(request.principal), request.body),
    );
  };
}
