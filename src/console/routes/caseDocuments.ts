/**
 * 文书 on the console: the case page's print buttons (refusal notice, three-party agreement, revisit form blank
 * or filled, exit notice) and the village's 公示名单. Each form posts here; the route calls the API's own engine
 * functions (engine.documents) and answers the registered PDF as a download. A refusal (a character the fonts
 * cannot draw, a case no longer in the state) is shown as the console shows every error, in Chinese.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CASE_DOCUMENT_KINDS, type CaseDocumentKind } from '../../engine/documents.js';
import type { IssuedDocument } from '../../engine/documentIssue.js';
import { errors } from '../../errors.js';
import { caseByRef } from '../caseRef.js';
import type { ConsoleContext } from '../context.js';
import { who } from '../session.js';

function sendPdf(reply: FastifyReply, issued: IssuedDocument, name: string) {
  return reply
    .type('application/pdf')
    .header('content-disposition', `attachment; filename="${issued.document.code}.pdf"; filename*=UTF-8''${encodeURIComponent(`${name}-${issued.document.code}.pdf`)}`)
    .header('x-document-code', issued.document.code)
    .header('cache-control', 'no-store')
    .send(issued.pdf);
}

const names: Record<CaseDocumentKind, string> = { refusal_notice: '不予认定通知书', care_agreement: '三方协议', revisit_form: '回访记录表', exit_notice: '退出公告' };

export async function caseDocumentPages(app: FastifyInstance, ctx: ConsoleContext) {
  const { engine } = ctx;

  app.post('/c/:caseNumber/documents/:kind', async (request, reply) => {
    const user = who(request);
    const { caseNumber, kind } = request.params as { caseNumber: string; kind: string };
    if (!(CASE_DOCUMENT_KINDS as readonly string[]).includes(kind)) throw errors.notFound();
    const view = await caseByRef(engine, user.principal, caseNumber);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const revisit = typeof body.revisitId === 'string' && /^\d{1,15}$/.test(body.revisitId) ? Number(body.revisitId) : undefined;
    const issued = await engine.documents.issueCaseDocument({ principal: user.principal, requestId: request.id, clientRequestId: null }, view.id, kind as CaseDocumentKind, { revisitId: kind === 'revisit_form' ? revisit : undefined });
    return sendPdf(reply, issued, `${names[kind as CaseDocumentKind]}-${view.caseNumber}`);
  });

  app.post('/villages/:villageCode/publicity-list', async (request, reply) => {
    const user = who(request);
    const { villageCode } = request.params as { villageCode: string };
    if (!/^\d{12}$/.test(villageCode)) throw errors.notFound();
    const issued = await engine.documents.issuePublicityList({ principal: user.principal, requestId: request.id, clientRequestId: null }, villageCode);
    return sendPdf(reply, issued, `公示名单-${villageCode}`);
  });
}
