/**
 * 案件 the case page: the path as a status bar, the household and its members (ID numbers as the engine
 * shows them to this role), the steps' records, the timeline from the audit trail with the chain's check, and
 * a form for each event this person may send now (the view's `allowedEvents`, computed by the machine).
 *
 * A form posts to /console/c/<number>/events/<TYPE> and the route calls engine.sendEvent — the API's own
 * command — with the row version the page was rendered from (If-Match: a page gone stale is refused with
 * 此案件已被他人更新) and an idempotency key minted when the form was rendered (a double click, a resent form,
 * is answered from the first result: nothing is applied twice).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { careFacilityTypes, eventTypes, type EventType } from '../../../machines/index.js';
import { caseByRef } from '../caseRef.js';
import { INCOME_RECORDED } from '../../engine/income.js';
import { DOCUMENT_ISSUED } from '../../engine/documentIssue.js';
import { documentTitles } from '../../engine/documents.js';
import { formatDocumentCode } from '../../domain/documentCode.js';
import type { CaseView } from '../../engine/caseView.js';
import { errors } from '../../errors.js';
import { eventLabels, roleLabels } from '../../labels.js';
import { pageData, type ConsoleContext } from '../context.js';
import { deadlineBadge } from '../format.js';
import { sendHtml } from '../render.js';
import { CONSOLE, redirect, who } from '../session.js';
import { stateLabelOf, statusBar } from '../steps.js';
import { eventFromForm, FORM_EVENTS, IRREVERSIBLE } from '../eventForms.js';
import { incomeSection } from './caseIncome.js';

const caseHref = (n: string) => `${CONSOLE}/c/${n}`;

export async function casePages(app: FastifyInstance, ctx: ConsoleContext) {
  const { engine, renderer } = ctx;

  async function load(request: FastifyRequest): Promise<CaseView> {
    const { caseNumber } = request.params as { caseNumber: string };
    return caseByRef(engine, who(request).principal, caseNumber);
  }

  /** Names of the people in the trail: staff names are shown to colleagues; an unknown id as its role only. */
  async function actorNames(ids: string[]): Promise<Map<string, string>> {
    const found = await Promise.all([...new Set(ids)].map(async (id) => [id, (await engine.accounts.loadUser(id).catch(() => null))?.displayName] as const));
    return new Map(found.filter((f): f is readonly [string, string] => !!f[1]));
  }

  app.get('/c/:caseNumber', async (request, reply) => {
    const user = who(request);
    const view = await load(request);
    const [audit, verification, facilities, guardians, revisits, income, issuedDocuments] = await Promise.all([
      engine.audit(user.principal, view.id),
      engine.verifyAudit(user.principal, view.id),
      view.allowedEvents.includes('PLACE') ? engine.facilities(user.principal, {}) : Promise.resolve([]),
      view.allowedEvents.includes('PLACE') ? engine.guardians(user.principal, {}) : Promise.resolve([]),
      view.placement ? engine.revisitHistory(user.principal, view.id) : Promise.resolve([]),
      incomeSection(engine, user.principal, view.id, request.query as Record<string, unknown>),
      engine.documents.caseDocuments(user.principal, view.id),
    ]);
    // Who lodged the online objections, and how to reach them: for officers of the jurisdiction only (the engine decides).
    const online = ((view.publicity as { objections?: { id: string; channel: string }[] } | null)?.objections ?? []).filter((o) => o.channel === 'online').map((o) => o.id);
    const lodgers = await engine.onlineObjectionContacts(user.principal, view.id, view.household.villageCode, online);
    const names = await actorNames([...audit.map((r) => r.actorId), ...revisits.map((r) => r.visitorId), ...issuedDocuments.map((d) => d.issuedBy)]);
    const now = engine.deps.clock.now();
    const memberName = new Map(view.household.members.map((m) => [m.id, m.name]));
    const head = view.household.members[0];
    const done = (request.query as { done?: string }).done;
    const forms = view.allowedEvents
      .filter((t): t is EventType => FORM_EVENTS.includes(t as EventType))
      .map((type) => ({ type, label: eventLabels[type], idempotencyKey: randomUUID(), confirm: IRREVERSIBLE[type] ?? null, objectionId: type === 'FILE_OBJECTION' ? newObjectionId(now) : null }));
    const data = {
      ...pageData(request, `案件 ${view.caseNumber}`),
      c: view,
      head,
      memberName: (id: string) => memberName.get(id) ?? '（已移除的成员）',
      actorName: (id: string, role?: string) => names.get(id) ?? (role ? (roleLabels as Record<string, string>)[role] ?? role : ''),
      bar: statusBar(view.state),
      badge: deadlineBadge(view.deadline?.at, now, engine.deps.calendar),
      timeline: audit.map((r) => ({
        ...r,
        label: timelineLabel(r.eventType, r.payload),
        fromLabel: r.stateBefore ? stateLabelOf(r.stateBefore) : null,
        toLabel: r.stateAfter ? stateLabelOf(r.stateAfter) : null,
      })).reverse(),
      verification,
      forms,
      facilities,
      guardians,
      revisits,
      income,
      documents: {
        printable: engine.documents.printableFor(user.principal, view),
        publicityList: view.state.startsWith('publicity') && engine.documents.mayPrintPublicityList(user.principal),
        issued: issuedDocuments,
        labels: documentTitles,
      },
      done: done && (eventTypes as string[]).includes(done) ? eventLabels[done as EventType] : null,
      today: engine.deps.clock.now(),
      stateText: stateLabelOf(view.state),
      maxPerCaregiver: engine.deps.casePolicy.maxResidentsPerCaregiver,
      careTypes: careFacilityTypes,
      lodgers,
    };
    return sendHtml(reply, renderer.render('case', data));
  });

  app.post('/c/:caseNumber/events/:type', async (request: FastifyRequest, reply: FastifyReply) => {
    const user = who(request);
    const { type } = request.params as { type: string };
    if (!FORM_EVENTS.includes(type as EventType)) throw errors.notFound();
    const view = await load(request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const rowVersion = Number(body.rowVersion);
    if (!Number.isInteger(rowVersion) || rowVersion < 1) throw errors.validationFailed([{ path: 'rowVersion', message: 'expected the version the page was rendered from' }]);
    const idempotencyKey = typeof body.idempotencyKey === 'string' && /^[0-9a-f-]{36}$/.test(body.idempotencyKey) ? body.idempotencyKey : undefined;
    const event = eventFromForm(type as EventType, body);
    await engine.sendEvent({ principal: user.principal, requestId: request.id, clientRequestId: null }, view.id, event, { ifMatch: rowVersion, idempotencyKey });
    return redirect(request, reply, `${caseHref(view.caseNumber)}?done=${type}`);
  });
}

/** The timeline's words for a record: the machine's events, and the engine's own records (income, documents). */
function timelineLabel(eventType: string, payload: unknown): string {
  if (eventType === 'OPEN_CASE') return '登记入户普查';
  if (eventType === 'ONBOARD') return onboardLabel(payload);
  if (eventType === INCOME_RECORDED) return `登记家庭收入（${(payload as { year?: number } | null)?.year ?? ''}年）`;
  if (eventType === DOCUMENT_ISSUED) {
    const p = (payload ?? {}) as { kind?: string; code?: string };
    const title = p.kind && Object.hasOwn(documentTitles, p.kind) ? documentTitles[p.kind as keyof typeof documentTitles] : '文书';
    return `出具文书：${title}${p.code ? `（编号 ${formatDocumentCode(p.code)}）` : ''}`;
  }
  return (eventLabels as Record<string, string>)[eventType] ?? eventType;
}

/** An objection's id on the case: readable, unique enough per case (the machine refuses a repeat). */
function newObjectionId(now: Date): string {
  const d = new Date(now.getTime() + 8 * 3600_000).toISOString();
  return `YY${d.slice(0, 10).replaceAll('-', '')}-${randomUUID().slice(0, 4).toUpperCase()}`;
}

/** The genesis record of an onboarded case: the legacy approval and where the record came from (file and its SHA-256). */
function onboardLabel(payload: unknown): string {
  const p = (payload ?? {}) as { legacyReference?: string; imported?: { source?: string; fileName?: string | null; fileSha256?: string | null } };
  const from = p.imported?.source === 'import' ? `批量导入 ${p.imported.fileName ?? ''}，文件 SHA-256 ${String(p.imported.fileSha256 ?? '').slice(0, 12)}…` : '接口录入';
  return `存量纳入（原审批文号 ${p.legacyReference ?? '—'}；${from}）`;
}
