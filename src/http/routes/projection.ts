// Care staffing and funding projection (护理人员与资金测算): live, what-if, and its parameters.
import { z } from 'zod';
import { projectionParametersSchema, whatIfInputSchema, type Engine, type Principal } from '../../engine/index.js';
import { errors } from '../../errors.js';
import { clientRequestIdFor, type App } from '../app.js';
import { parseIfMatch } from '../headers.js';
import { errorResponse } from '../schemas/common.js';
import { projectionResult, projectionSettingsView } from '../schemas/incomeViews.js';
import { tableJson } from './reports.js';

const errorsDoc = { 400: errorResponse, 401: errorResponse, 403: errorResponse };
/** A replacement guarded by If-Match: a stale one is 409, none is 428. */
const changeDocs = { ...errorsDoc, 409: errorResponse, 428: errorResponse };

const principalOf = (p: Principal | null | undefined): Principal => {
  if (!p) throw errors.unauthenticated();
  return p;
};

const scopeParams = z.strictObject({ scope: z.string().regex(/^(global|\d{2}|\d{4})$/, 'expected global, a province (2 digits) or a city (4 digits) such as 4112') });

export function projectionRoutes(engine: Engine) {
  return async function register(app: App) {
    app.get(
      '/projection',
      {
        schema: {
          tags: ['projection'],
          summary: 'Care workers and wage bill per county on the live caseload (placed cases and those in the exit notice), the city’s and the counties’ shares (officer, supervisor, admin)',
          response: { 200: projectionResult, ...errorsDoc },
        },
      },
      async (request) => {
        const r = await engine.liveProjection(principalOf(request.principal));
        return { ...r, table: await tableJson(r.table) };
      },
    );

    app.post(
      '/projection/what-if',
      {
        schema: {
          tags: ['projection'],
          summary: 'The same on households per county given: { counties: [{ countyCode, households }], parameters? } (officer, supervisor, admin)',
          body: whatIfInputSchema,
          response: { 200: projectionResult, ...errorsDoc },
        },
      },
      async (request) => {
        const r = await engine.whatIfProjection(principalOf(request.principal), request.body);
        return { ...r, table: await tableJson(r.table) };
      },
    );

    app.get(
      '/settings/projection',
      {
        schema: {
          tags: ['admin'],
          summary: 'The projection parameters of the admin’s city (or province): its own, in effect, the defaults; ETag: its version',
          response: { 200: projectionSettingsView, ...errorsDoc },
        },
      },
      async (request, reply) => {
        const view = await engine.projectionSettings(principalOf(request.principal));
        reply.header('etag', `"${view.version}"`);
        return view;
      },
    );

    app.get(
      '/settings/projection/:scope',
      {
        schema: {
          tags: ['admin'],
          summary: 'The projection parameters of a scope (global, province, city)',
          params: scopeParams,
          response: { 200: projectionSettingsView, ...errorsDoc },
        },
      },
      async (request, reply) => {
        const view = await engine.projectionSettings(principalOf(request.principal), request.params.scope);
        reply.header('etag', `"${view.version}"`);
        return view;
      },
    );

    app.put(
      '/settings/projection/:scope',
      {
        schema: {
          tags: ['admin'],
          summary: 'Replace a scope’s projection parameters { householdsPerWorker, monthlyWage, citySharePercent } (admin of the city or province over it); If-Match required; recorded in the setting history',
          params: scopeParams,
          body: projectionParametersSchema,
          response: { 200: projectionSettingsView, ...changeDocs },
        },
      },
      async (request, reply) => {
        const ifMatch = parseIfMatch(request.headers['if-match'], 'the setting\'s version');
        const meta = { principal: principalOf(request.principal), requestId: request.id, clientRequestId: clientRequestIdFor(request.raw) };
        const view = await engine.setProjectionParameters(meta, request.params.scope, request.body, ifMatch);
        reply.header('etag', `"${view.version}"`);
        return view;
      },
    );
  };
}
