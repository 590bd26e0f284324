/**
 * 入户普查: the enumerator's survey of a household. The form posts flat field names; nestForm turns them into
 * the body POST /households takes, householdInputSchema validates it and engine.openCase (which runs
 * checkMembers: ID check characters, birth dates, sex, no one twice) opens the case — the same calls as the
 * API. An Idempotency-Key is generated into the form when it is rendered, so a double submit opens one case.
 *
 * After the survey: the case waits in `survey` until 提交普查 (SUBMIT_SURVEY, with If-Match); then the page
 * shows the screening outcome the machine computed (preliminary list with suggested categories, or screened
 * out with its reasons).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { disabilityTypes, labourCapacities, selfCareItems, selfCareSchema, type SelfCare } from '../../../machines/index.js';
import { selfCareLevel, type SelfCareLevel } from '../../../machines/index.js';
import { householdInputSchema } from '../../engine/index.js';
import { errors } from '../../errors.js';
import { parseIdempotencyKey } from '../../http/headers.js';
import { caseByRef, caseNumberOf, caseRefOf } from '../caseRef.js';
import { pageData, type ConsoleContext } from '../context.js';
import { formIssues, nestForm } from '../forms.js';
import { shownError, type ShownError } from '../messages.js';
import { sendHtml } from '../render.js';
import { CONSOLE, redirect, who } from '../session.js';
import { stateLabelOf } from '../steps.js';

export const RELATIONS = ['户主', '配偶', '子', '女', '儿媳', '女婿', '孙子', '孙女', '父亲', '母亲', '兄弟姐妹', '其他'] as const;
export const DISABILITY_SLOTS = 3;
const MAX_MEMBERS = 30;

export const selfCareLevelLabels: Record<SelfCareLevel, string> = { self_care: '生活自理', partial_loss: '部分失能', full_loss: '完全失能' };

/**
 * The level for 0..6 items not managed alone, from the machine's own rule (machines/screening.ts): the
 * browser's live label reads this table, so it cannot disagree with the engine.
 */
export const selfCareLevelTable: string[] = Array.from({ length: selfCareItems.length + 1 }, (_, unmet) => {
  const items = Object.fromEntries(selfCareItems.map((k, i) => [k, i >= unmet])) as SelfCare;
  return selfCareLevelLabels[selfCareLevel(items)];
});

const BOOLEANS = ['members[].severeMentalDisorder', 'members[].selfCareAssessed', ...selfCareItems.map((k) => `members[].selfCare.${k}`)];

type Raw = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/** A member as the form shows it (strings and checkboxes). */
export interface MemberForm {
  name: string;
  idNumber: string;
  birthDate: string;
  sex: string;
  relation: string;
  labourCapacity: string;
  disabilities: { type: string; grade: string }[];
  seriousIllness: string;
  severeMentalDisorder: boolean;
  selfCareAssessed: boolean;
  selfCare: Record<string, boolean>;
}

export function memberForm(raw: Raw = {}, first = false): MemberForm {
  const dis = Array.isArray(raw.disabilities) ? (raw.disabilities as Raw[]) : [];
  const sc = raw.selfCare && typeof raw.selfCare === 'object' ? (raw.selfCare as Raw) : null;
  return {
    name: str(raw.name),
    idNumber: str(raw.idNumber),
    birthDate: str(raw.birthDate),
    sex: str(raw.sex),
    relation: str(raw.relation) || (first ? '户主' : ''),
    labourCapacity: str(raw.labourCapacity),
    disabilities: Array.from({ length: Math.max(DISABILITY_SLOTS, dis.length) }, (_, i) => ({ type: str(dis[i]?.type), grade: str(dis[i]?.grade) })),
    seriousIllness: str(raw.seriousIllness),
    severeMentalDisorder: raw.severeMentalDisorder === true,
    selfCareAssessed: raw.selfCareAssessed === undefined ? true : raw.selfCareAssessed === true,
    selfCare: Object.fromEntries(selfCareItems.map((k) => [k, sc ? sc[k] === true : raw.selfCareAssessed === undefined])),
  };
}

/**
 * The posted form as the body POST /households takes. Only shape: checkboxes of the self-care items become
 * the six booleans when the member was assessed (an unticked item is "cannot"), else null; a disability row
 * left blank is no disability. Validation is the schema's and the engine's.
 */
export function surveyBody(form: Raw): Raw {
  const body = { ...form };
  if (Array.isArray(body.members)) {
    body.members = (body.members as Raw[]).map((m) => {
      const { selfCareAssessed, selfCare, ...rest } = m;
      const out: Raw = { ...rest };
      out.selfCare = selfCareAssessed === true ? Object.fromEntries(selfCareItems.map((k) => [k, (selfCare as Raw | undefined)?.[k] === true])) : null;
      if (Array.isArray(m.disabilities)) out.disabilities = (m.disabilities as Raw[]).filter((d) => d && (d.type !== undefined || d.grade !== undefined));
      return out;
    });
  }
  return body;
}

/** Without scripts, 添加成员 posts the form: the same form comes back with one more (empty) member row. */
function withOneMoreMember(form: Raw): Raw {
  const members = Array.isArray(form.members) ? (form.members as Raw[]) : [];
  return { ...form, members: [...(members.length ? members : [{}]), {}] };
}

export async function surveyPages(app: FastifyInstance, ctx: ConsoleContext) {
  const { engine, renderer } = ctx;

  async function villages(region: string) {
    const found = await engine.regions({ prefix: region });
    const names = new Map(found.map((r) => [r.code, r.name]));
    return found
      .filter((r) => r.level === 'village')
      .sort((a, b) => a.code.localeCompare(b.code))
      .map((r) => ({ code: r.code, name: r.name, township: (r.parentCode && names.get(r.parentCode)) || '' }));
  }

  const common = {
    relations: RELATIONS,
    labourCapacities,
    disabilityTypes,
    selfCareItems,
    levelTable: selfCareLevelTable.join('|'),
  };

  async function showForm(request: FastifyRequest, reply: FastifyReply, form: Raw, idempotencyKey: string, error: ShownError | null, status = 200, edit: { caseNumber: string; rowVersion: number } | null = null) {
    const user = who(request);
    const members = (Array.isArray(form.members) && form.members.length > 0 ? (form.members as Raw[]) : [{}]).slice(0, MAX_MEMBERS).map((m, i) => memberForm(m, i === 0));
    const ls = (form.legalSupporter ?? {}) as Raw;
    const data = {
      ...pageData(request, '入户普查'),
      ...common,
      villages: await villages(user.principal.region),
      form: { villageCode: str(form.villageCode), address: str(form.address), poorId: str(form.poorId), legalSupporter: { name: str(ls.name), relation: str(ls.relation), phone: str(ls.phone), address: str(ls.address) } },
      members,
      idempotencyKey,
      error,
      fields: error?.fields ?? {},
      edit,
    };
    return sendHtml(reply, renderer.render('survey', edit ? { ...data, title: '修改普查信息' } : data), status);
  }

  app.get('/survey', async (request, reply) => {
    who(request);
    return showForm(request, reply, {}, randomUUID(), null);
  });

  /** One more member row (htmx), and the 添加成员 button for the row after it. */
  app.get('/survey/member-row', async (request, reply) => {
    who(request);
    const i = Number((request.query as { i?: string }).i);
    if (!Number.isInteger(i) || i < 0 || i >= MAX_MEMBERS) throw errors.validationFailed([{ path: 'query.i', message: `最多 ${MAX_MEMBERS} 名家庭成员` }]);
    const html = renderer.render('partials/surveyMember', { ...common, base: CONSOLE, m: memberForm({}, i === 0), i, fields: {} }) + renderer.render('partials/surveyAddMember', { base: CONSOLE, next: i + 1, max: MAX_MEMBERS, oob: true });
    return sendHtml(reply, html);
  });

  app.post('/survey', async (request, reply) => {
    const user = who(request);
    const { idempotencyKey: rawKey, _add, ...posted } = (request.body ?? {}) as Raw;
    const key = typeof rawKey === 'string' && rawKey ? rawKey : randomUUID();
    const form = nestForm(posted, { booleans: BOOLEANS, numbers: ['members[].disabilities[].grade'] }) as Raw;
    if (_add !== undefined) return showForm(request, reply, withOneMoreMember(form), key, null);
    const body = surveyBody(form);
    const refuse = (err: unknown, status: number) => showForm(request, reply, form, key, shownError(err, request.id), status);
    const parsed = householdInputSchema.safeParse(body);
    if (!parsed.success) return refuse(errors.validationFailed(formIssues(parsed.error)), 400);
    let caseId: string;
    let view;
    try {
      const idempotencyKey = parseIdempotencyKey(key);
      ({ caseId, view } = await engine.openCase({ principal: user.principal, requestId: request.id, clientRequestId: null }, parsed.data, { idempotencyKey }));
    } catch (err) {
      const shown = shownError(err, request.id);
      if (['VALIDATION_FAILED', 'DUPLICATE_RESIDENT', 'IDEMPOTENCY_KEY_REUSED', 'FORBIDDEN'].includes(shown.code)) return refuse(err, shown.status);
      throw err;
    }
    // A replay (the same form sent twice) opened nothing now: it leads to the case the first one opened.
    const shownCase = view ?? (await engine.getCase(user.principal, caseId));
    return redirect(request, reply, `${CONSOLE}/survey/${encodeURIComponent(caseRefOf(shownCase))}`);
  });

  /**
   * 修改普查信息: the saved survey in the same form, sent as UPDATE_SURVEY with the version it was read at
   * (while the case is in `survey`; the machine says when). The form is the view the enumerator sees (full ID
   * numbers: the role works with them).
   */
  app.get<{ Params: { ref: string } }>('/survey/:ref/edit', async (request, reply) => {
    const user = who(request);
    const view = await caseByRef(engine, user.principal, request.params.ref);
    if (!view.allowedEvents.includes('UPDATE_SURVEY')) throw errors.eventNotAllowed({ state: view.state, event: 'UPDATE_SURVEY', allowedEvents: view.allowedEvents });
    const h = view.household;
    const form: Raw = {
      villageCode: h.villageCode,
      address: h.address,
      poorId: h.poorId ?? '',
      legalSupporter: h.legalSupporter ?? {},
      members: h.members.map((m) => ({ ...m, selfCareAssessed: m.selfCare !== null, selfCare: m.selfCare ?? {} })),
    };
    return showForm(request, reply, form, randomUUID(), null, 200, { caseNumber: view.caseNumber, rowVersion: view.rowVersion });
  });

  app.post<{ Params: { ref: string } }>('/survey/:ref/edit', async (request, reply) => {
    const user = who(request);
    const view = await caseByRef(engine, user.principal, request.params.ref);
    const { idempotencyKey: rawKey, _add, rowVersion: rawVersion, ...posted } = (request.body ?? {}) as Raw;
    const key = typeof rawKey === 'string' && rawKey ? rawKey : randomUUID();
    const rowVersion = Number(rawVersion);
    const edit = { caseNumber: view.caseNumber, rowVersion: Number.isInteger(rowVersion) ? rowVersion : view.rowVersion };
    const form = nestForm(posted, { booleans: BOOLEANS, numbers: ['members[].disabilities[].grade'] }) as Raw;
    if (_add !== undefined) return showForm(request, reply, withOneMoreMember(form), key, null, 200, edit);
    const refuse = (err: unknown, status: number) => showForm(request, reply, form, key, shownError(err, request.id), status, edit);
    const parsed = householdInputSchema.safeParse(surveyBody(form));
    if (!parsed.success) return refuse(errors.validationFailed(formIssues(parsed.error)), 400);
    try {
      if (!Number.isInteger(rowVersion)) throw errors.validationFailed([{ path: 'rowVersion', message: '请重新加载本页后再提交' }]);
      await engine.sendEvent({ principal: user.principal, requestId: request.id, clientRequestId: null }, view.id, { type: 'UPDATE_SURVEY', household: parsed.data }, { ifMatch: rowVersion, idempotencyKey: parseIdempotencyKey(key) });
    } catch (err) {
      const shown = shownError(err, request.id);
      if (shown.code === 'INTERNAL') throw err;
      // The engine names fields under household.: the form names them without it.
      shown.fields = Object.fromEntries(Object.entries(shown.fields).map(([k, v]) => [k.replace(/^household\./, ''), v]));
      return showForm(request, reply, form, key, shown, shown.status, edit);
    }
    return redirect(request, reply, `${CONSOLE}/survey/${encodeURIComponent(view.caseNumber)}`);
  });

  async function showCase(request: FastifyRequest, reply: FastifyReply, ref: string, error: ShownError | null, status = 200) {
    const user = who(request);
    const view = await caseByRef(engine, user.principal, ref);
    const village = (await engine.regions({ prefix: view.villageCode })).find((r) => r.code === view.villageCode);
    const names = new Map(view.household.members.map((m) => [m.id, m.name]));
    const screening = view.screening
      ? {
          passed: view.screening.passed,
          at: view.screening.at,
          members: view.screening.members.map((s) => ({ name: names.get(s.memberId) ?? '', categories: s.categories })),
          reasons: view.screening.reasons.map((r) => screeningReason(r, view.household.members)),
        }
      : null;
    const data = {
      ...pageData(request, '入户普查结果'),
      view,
      ref: caseRefOf(view),
      caseNumber: caseNumberOf(view),
      villageName: village?.name ?? '',
      stateText: stateLabelOf(view.state),
      members: view.household.members.map((m) => {
        const sc = selfCareSchema.safeParse(m.selfCare);
        return { ...m, level: sc.success ? selfCareLevelLabels[selfCareLevel(sc.data)] : '未评估' };
      }),
      canSubmit: view.allowedEvents.includes('SUBMIT_SURVEY'),
      canEdit: view.allowedEvents.includes('UPDATE_SURVEY'),
      screening,
      error,
      submitted: (request.query as { submitted?: string }).submitted === '1',
    };
    return sendHtml(reply, renderer.render('surveyResult', data), status);
  }

  app.get<{ Params: { ref: string } }>('/survey/:ref', async (request, reply) => showCase(request, reply, request.params.ref, null));

  app.post<{ Params: { ref: string } }>('/survey/:ref/submit', async (request, reply) => {
    const user = who(request);
    const view = await caseByRef(engine, user.principal, request.params.ref);
    const rowVersion = Number((request.body as Raw | undefined)?.rowVersion);
    try {
      if (!Number.isInteger(rowVersion)) throw errors.validationFailed([{ path: 'rowVersion', message: '请重新加载本页后再提交' }]);
      await engine.sendEvent({ principal: user.principal, requestId: request.id, clientRequestId: null }, view.id, { type: 'SUBMIT_SURVEY' }, { ifMatch: rowVersion });
    } catch (err) {
      const shown = shownError(err, request.id);
      if (shown.code === 'INTERNAL') throw err;
      return showCase(request, reply, request.params.ref, shown, shown.status);
    }
    return redirect(request, reply, `${CONSOLE}/survey/${encodeURIComponent(caseRefOf(view))}?submitted=1`);
  });
}

/** The machine's reason (English, naming member ids) in words for the family: members by name. */
function screeningReason(reason: string, members: { id: string; name: string }[]): string {
  if (/full labour capacity/.test(reason)) {
    const named = members.filter((m) => reason.includes(m.id)).map((m) => m.name);
    return `${named.join('、') || '家庭成员'}有劳动能力（家中有劳动力的家庭不属于兜底保障对象）`;
  }
  if (/no member falls into any of the five categories/.test(reason)) return '没有成员符合五类对象（贫困老年人、重度残疾人、重特大病人、重度智力障碍、精神病患者）的条件';
  return reason.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, (id) => members.find((m) => m.id === id)?.name ?? '家庭成员');
}
