/**
 * Printed documents (文书): each request produces a new PDF from the case (or the village) as it is now, registers
 * it (its short code and SHA-256, DOCUMENT_ISSUED on each case) and answers the PDF itself. Documents are
 * produced with POST: every one is a registered issuance, never a cacheable read.
 */
import { z } from 'zod';
import { placementModes } from '../../../machines/index.js';
import { CASE_DOCUMENT_KINDS, type CaseDocumentKind } from '../../engine/documents.js';
import type { Engine, Principal } from '../../engine/index.js';
import type { IssuedDocument } from '../../engine/documentIssue.js';
import { errors } from '../../errors.js';
import { clientRequestIdFor, type App } from '../app.js';
import { errorResponse, uuid } from '../schemas/common.js';
import { documentTextsRoutes } from './documentTexts.js';

const principalOf = (p: Principal | null | undefined): Principal => {
  if (!p) throw errors.unauthenticated();
  return p;
};

const pdfResponse = {
  200: {
    description: 'the PDF (A4), registered: X-Document-Code is its short code, X-Document-Sha256 the SHA-256 of these bytes',
    content: { 'application/pdf': { schema: z.string().meta({ format: 'binary' }) } },
  },
};
const refusals = { 400: errorResponse, 401: errorResponse, 403: errorResponse, 404: errorResponse, 409: errorResponse, 422: errorResponse };

const kindSlug: Record<CaseDocumentKind, string> = {
  refusal_notice: 'refusal-notice',
  care_agreement: 'care-agreement',
  revisit_form: 'revisit-form',
  exit_notice: 'exit-notice',
};
const kindOfSlug = Object.fromEntries(Object.entries(kindSlug).map(([k, v]) => [v, k])) as Record<string, CaseDocumentKind>;

function sendPdf(reply: import('fastify').FastifyReply, issued: IssuedDocument, fileName: string) {
  return reply
    .type('application/pdf')
    .header('content-disposition', `attachment; filename="${issued.document.code}.pdf"; filename*=UTF-8''${encodeURIComponent(fileName)}`)
    .header('x-document-code', issued.document.code)
    .header('x-document-sha256', issued.document.sha256)
    .header('cache-control', 'no-store')
    .send(issued.pdf);
}

export function documentRoutes(engine: Engine) {
  return async function register(app: App) {
    app.post(
      '/cases/:id/documents/:kind',
      {
        schema: {
          tags: ['documents'],
          summary: 'Print a case document (PDF): refusal-notice 不予认定通知书, care-agreement 三方协议, exit-notice 退出公告 (officer); revisit-form 回访记录表 (visitor or officer; blank, or filled with ?revisitId=)',
          description:
            'Registers the document (short code, SHA-256, DOCUMENT_ISSUED on the case) and answers the PDF. 409 DOCUMENT_NOT_APPLICABLE when the case has no such document now (a refusal notice for a case not rejected…); 422 DOCUMENT_CHARACTER_UNPRINTABLE when a character cannot be printed with the installed fonts.',
          params: z.strictObject({ id: uuid, kind: z.enum(Object.values(kindSlug) as [string, ...string[]], { error: `expected one of ${Object.values(kindSlug).join(', ')}` }) }),
          querystring: z.strictObject({
            revisitId: z.coerce.number({ error: 'expected a revisit id' }).int('expected a revisit id').min(1, 'expected a revisit id').optional(),
          }),
          response: { ...pdfResponse, ...refusals },
        },
      },
      async (request, reply) => {
        const kind = kindOfSlug[request.params.kind]!;
        if (request.query.revisitId !== undefined && kind !== 'revisit_form') {
          throw errors.validationFailed([{ path: 'query.revisitId', message: 'only a revisit form is filled from a revisit', messageZh: '只有回访记录表可以按回访记录填写' }]);
        }
        const meta = { principal: principalOf(request.principal), requestId: request.id, clientRequestId: clientRequestIdFor(request.raw) };
        const issued = await engine.documents.issueCaseDocument(meta, request.params.id, kind, { revisitId: request.query.revisitId });
        return sendPdf(reply, issued, `${request.params.kind}-${issued.document.code}.pdf`);
      },
    );

    app.post(
      '/villages/:villageCode/publicity-list.pdf',
      {
        schema: {
          tags: ['documents'],
          summary: 'Print the 公示名单 of a village (officer): every case of the village now in the public notice, names, masked ID numbers, categories, the proposed placement, the period and where to object',
          description:
            'Body (optional): { proposedModes: { "<case number>": "centralized_support" | "centralized_treatment" | "dispersed_care" } } — the placement proposed for each household (待定 when not given). Registers the list with its public view (what the paper shows) for the public pages.',
          params: z.strictObject({ villageCode: z.string().regex(/^\d{12}$/, 'expected a 12-digit village code') }),
          body: z
            .strictObject({
              proposedModes: z
                .record(z.string().regex(/^\d{6}-\d{4}-\d{6}$/, 'expected a case number such as 411282-2026-000123'), z.enum(placementModes, { error: `expected one of ${placementModes.join(', ')}` }))
                .optional(),
            })
            .nullish(),
          response: { ...pdfResponse, ...refusals },
        },
      },
      async (request, reply) => {
        const meta = { principal: principalOf(request.principal), requestId: request.id, clientRequestId: clientRequestIdFor(request.raw) };
        const issued = await engine.documents.issuePublicityList(meta, request.params.villageCode, request.body?.proposedModes ?? {});
        return sendPdf(reply, issued, `公示名单-${request.params.villageCode}-${issued.document.code}.pdf`);
      },
    );

    await documentTextsRoutes(engine)(app);
  };
}
