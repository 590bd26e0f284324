// Time settings (admin): the working-day calendar per year and the deadline policy.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Engine } from '../../engine/index.js';
import { errors } from '../../errors.js';
import { calendarFileSchema, MAX_CALENDAR_YEAR, MIN_CALENDAR_YEAR } from '../../time/calendarFile.js';
import type { App } from '../app.js';
import { requireRole } from '../auth.js';
import { SCOPE_PATTERN } from '../../time/timeSettings.js';
import { parseIfMatch } from '../headers.js';
import { errorResponse } from '../schemas/common.js';

const yearParams = z.strictObject({
  year: z.coerce
    .number()
    .int('expected a year such as 2025')
    .min(MIN_CALENDAR_YEAR, `expected a year from ${MIN_CALENDAR_YEAR} to ${MAX_CALENDAR_YEAR}`)
    .max(MAX_CALENDAR_YEAR, `expected a year from ${MIN_CALENDAR_YEAR} to ${MAX_CALENDAR_YEAR}`),
});

const calendarDay = z.strictObject({ date: z.string(), name: z.string() });
const calendarView = z.strictObject({ year: z.number().int(), scope: z.literal('global'), holidays: z.array(calendarDay), workdays: z.array(calendarDay) });
const errorsDoc = { 400: errorResponse, 401: errorResponse, 403: errorResponse };

/** PUT /calendar/:year: the year in the body must be the one in the path. */
async function sameYearInPath(request: FastifyRequest): Promise<void> {
  const bodyYear = (request.body as { year?: unknown } | null)?.year;
  const pathYear = Number((request.params as Record<string, unknown>).year);
  if (typeof bodyYear === 'number' && Number.isInteger(pathYear) && bodyYear !== pathYear) {
    throw errors.validationFailed([{ path: 'body.year', message: `expected ${pathYear}, the year in the path` }]);
  }
}

const scopeParams = z.strictObject({
  scope: z.string().regex(SCOPE_PATTERN, 'expected global, or a province (2 digits), city (4) or county (6) prefix such as 411282'),
});

const ruleView = z.strictObject({ amount: z.number().int(), unit: z.string() });
const policyDoc = z.record(z.string(), ruleView);
const deadlineView = z.strictObject({
  scope: z.string().describe('global, or the province, city or county prefix'),
  level: z.enum(['global', 'province', 'city', 'county']),
  version: z.number().int().describe('of this scope\'s override (0: never set); send as If-Match to change it'),
  overrides: policyDoc.describe('this scope\'s own limits'),
  updatedBy: z.string().nullable(),
  updatedAt: z.string().nullable(),
  policy: policyDoc.describe('the limits in effect for cases in this scope'),
  source: z.record(z.string(), z.string()).describe('per step, the scope its limit in effect comes from (default: the built-in default)'),
  chain: z
    .array(
      z.strictObject({
        scope: z.string(),
        level: z.string(),
        version: z.number().int(),
        overrides: policyDoc,
        ignored: z.array(z.string()).describe('steps of this override not in effect: a wider scope is stricter'),
        updatedBy: z.string().nullable(),
        updatedAt: z.string().nullable(),
      }),
    )
    .describe('every scope from global down to this one'),
  defaults: policyDoc,
  configurableSteps: z.array(z.string()),
  fixedSteps: z.array(z.string()),
});
const deadlineDocs = { 200: deadlineView, ...errorsDoc };
const changeDocs = { 200: deadlineView, ...errorsDoc, 409: errorResponse, 428: errorResponse };

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
          summary: 'The working-day calendar of a year: public holidays and make-up working days (调休), in the calendar file format, with its scope (global); ETag: its version',
          params: yearParams,
          response: { 200: calendarView, ...errorsDoc },
        },
      },
      async (request, reply) => {
        const r = await engine.calendarYear(principalOf(request.principal), request.params.year);
        reply.header('etag', `"${r.version}"`);
        return r.view;
      },
    );

    app.put(
      '/calendar/:year',
      {
        // The role first, then the year: both before the body's own checks (a body for another year would
        // otherwise get one "not in <year>" per date).
        preValidation: [requireRole('admin'), sameYearInPath],
        schema: {
          tags: ['admin'],
          summary: 'Replace a year’s holidays and make-up working days (body: the calendar file, e.g. docs/calendar-2025.json); province-wide admins only; If-Match required',
          description:
            'The calendar is national (scope global): only an admin whose jurisdiction is a whole province loads it. If-Match: the ETag of GET ("0" for a year never loaded); a stale version is 409 SETTING_VERSION_CONFLICT. The year in the body must match the path. New transitions count with the new calendar at once; deadlines already stored on cases are not recomputed.',
          params: yearParams,
          body: calendarFileSchema,
          response: { 200: calendarView, ...errorsDoc, 409: errorResponse, 428: errorResponse },
        },
      },
      async (request, reply) => {
        const ifMatch = parseIfMatch(request.headers['if-match'], 'the calendar year\'s version');
        const r = await engine.replaceCalendar(principalOf(request.principal), request.params.year, request.body, ifMatch);
        reply.header('etag', `"${r.version}"`);
        return r.view;
      },
    );

    app.get(
      '/settings/deadlines',
      {
        preValidation: requireRole('admin'),
        schema: { tags: ['admin'], summary: 'The deadline policy of the caller\'s own scope (their county, city or province): in effect, its override, the chain of scopes above and the defaults', response: deadlineDocs },
      },
      async (request, reply) => {
        const view = await engine.deadlineSettings(principalOf(request.principal));
        reply.header('etag', `"${view.version}"`);
        return view;
      },
    );

    app.get(
      '/settings/deadlines/:scope',
      {
        preValidation: requireRole('admin'),
        schema: { tags: ['admin'], summary: 'The deadline policy of a scope (global, 2, 4 or 6 digits) the caller sees: those above their jurisdiction and inside it', params: scopeParams, response: deadlineDocs },
      },
      async (request, reply) => {
        const view = await engine.deadlineSettings(principalOf(request.principal), request.params.scope);
        reply.header('etag', `"${view.version}"`);
        return view;
      },
    );

    app.put(
      '/settings/deadlines/:scope',
      {
        preValidation: requireRole('admin'),
        schema: {
          tags: ['admin'],
          summary: 'Replace a scope\'s deadline override: { step: { amount, unit } } (steps left out follow the wider scopes; {} drops the scope\'s own limits); If-Match required',
          description:
            'Only an admin whose jurisdiction covers the scope (global: a province-wide admin). Below global a scope may only shorten a limit in effect above it. If-Match: the ETag of GET ("0" for a scope never set); a stale version is 409 SETTING_VERSION_CONFLICT.',
          params: scopeParams,
          body: z.record(z.string(), z.unknown()).describe('e.g. { "review.township": { "amount": 3, "unit": "working_days" } }'),
          response: changeDocs,
        },
      },
      async (request, reply) => {
        const ifMatch = parseIfMatch(request.headers['if-match'], 'the setting\'s version');
        const view = await engine.replaceDeadlineOverride(principalOf(request.principal), request.params.scope, request.body, ifMatch);
        reply.header('etag', `"${view.version}"`);
        return view;
      },
    );
  };
}
