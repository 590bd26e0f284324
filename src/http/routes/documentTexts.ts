// Document texts (文书设置) per scope: admins read and replace them (If-Match), as every scoped setting.
import { z } from 'zod';
import type { Engine, Principal } from '../../engine/index.js';
import { errors } from '../../errors.js';
import { SCOPE_PATTERN } from '../../time/timeSettings.js';
import type { App } from '../app.js';
import { requireRole } from '../auth.js';
import { parseIfMatch } from '../headers.js';
import { errorResponse } from '../schemas/common.js';

const principalOf = (p: Principal | null | undefined): Principal => {
  if (!p) throw errors.unauthenticated();
  return p;
};

const office = z.object({ office: z.string(), address: z.string(), telephone: z.string() });
const texts = z.object({
  issuer: z.string(),
  objectionOffice: office,
  townships: z.record(z.string(), office),
  reviewBody: z.string(),
  reviewDays: z.number().int(),
  court: z.string(),
  litigationMonths: z.number().int(),
  rightsText: z.string(),
  careDuties: z.array(z.string()),
  committeeDuties: z.array(z.string()),
  exitNoticeText: z.string(),
});
const textsView = z.object({
  scope: z.string(),
  version: z.number().int(),
  override: texts.partial().describe('what this scope sets'),
  effective: texts.describe('in effect at this scope; {county} {township} {village} are filled per village when printed'),
  chain: z.array(z.object({ scope: z.string(), version: z.number().int() })),
  updatedBy: z.string().nullable(),
  updatedAt: z.string().nullable(),
});
const scopeParams = z.strictObject({
  scope: z.string().regex(SCOPE_PATTERN, 'expected global, or a province (2 digits), city (4) or county (6) prefix such as 411282'),
});
const errorsDoc = { 400: errorResponse, 401: errorResponse, 403: errorResponse };

export function documentTextsRoutes(engine: Engine) {
  return async function register(app: App) {
    app.get(
      '/settings/documents/:scope',
      {
        preValidation: requireRole('admin'),
        schema: { tags: ['admin'], summary: 'Document texts of a scope (issuer, objection offices by township, the rights to review and appeal and their limits, agreement duties); ETag: its version', params: scopeParams, response: { 200: textsView, ...errorsDoc } },
      },
      async (request, reply) => {
        const v = await engine.documentTextSettings(principalOf(request.principal), request.params.scope);
        reply.header('etag', `"${v.version}"`);
        return v;
      },
    );
    app.put(
      '/settings/documents/:scope',
      {
        preValidation: requireRole('admin'),
        schema: {
          tags: ['admin'],
          summary: 'Replace a scope’s document texts (fields left out follow the wider scopes; {} drops the scope’s own); If-Match required',
          description: 'Only an admin whose jurisdiction covers the scope (global: a province-wide admin). Township offices are keyed by 9-digit township code inside the scope. A stale If-Match is 409 SETTING_VERSION_CONFLICT; none is 428.',
          params: scopeParams,
          body: z.record(z.string(), z.unknown()).describe('e.g. { "issuer": "灵宝市民政局", "townships": { "411282108": { "office": "苏村乡民政所", "address": "…", "telephone": "0398-…" } } }'),
          response: { 200: textsView, ...errorsDoc, 409: errorResponse, 428: errorResponse },
        },
      },
      async (request, reply) => {
        const ifMatch = parseIfMatch(request.headers['if-match'], 'the document texts’ version');
        const v = await engine.replaceDocumentTexts(principalOf(request.principal), request.params.scope, request.body, ifMatch);
        reply.header('etag', `"${v.version}"`);
        return v;
      },
    );
  };
}
