/**
 * 回访: the village cadre's revisits, made for a phone. The due list is the visitor's work list (cases in
 * active.monitoring in their jurisdiction, next revisit due soonest first — the case's deadline with key
 * 'revisit'), and a revisit is RECORD_REVISIT sent through engine.sendEvent with If-Match, the same call as
 * POST /cases/:id/events; its payload is validated there.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../../errors.js';
import { parseIdempotencyKey } from '../../http/headers.js';
import { caseByRef, caseNumberOf, caseRefOf } from '../caseRef.js';
import { pageData, type ConsoleContext } from '../context.js';
import { nestForm } from '../forms.js';
import { deadlineBadge, isoChinaDate } from '../format.js';
import { shownError, type ShownError } from '../messages.js';
import { sendHtml } from '../render.js';
import { CONSOLE, redirect, who } from '../session.js';
import { stateLabelOf } from '../steps.js';

const PAGE_SIZE = 100;

type Raw = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : '');

export async function revisitPages(app: FastifyInstance, ctx: ConsoleContext) {
  const { engine, renderer } = ctx;

  app.get('/revisits', async (request, reply) => {
    const user = who(request);
    const q = request.query as { page?: string; saved?: string };
    const page = Math.min(Math.max(1, Number.parseInt(q.page ?? '1', 10) || 1), 1000);
    // The visitor's inbox: active.monitoring, their jurisdiction, soonest deadline (the next revisit) first.
    const result = await engine.worklist(user.principal, { view: 'inbox', role: 'visitor', page, pageSize: PAGE_SIZE });
    const now = engine.deps.clock.now();
    const items = result.items.map((c) => ({
      ref: caseRefOf(c),
      caseNumber: caseNumberOf(c),
      headName: c.headName ?? '',
      villageName: c.villageName ?? '',
      townshipName: c.townshipName ?? '',
      address: c.address,
      placementMode: c.placementMode,
      dueAt: c.deadline?.key === 'revisit' ? c.deadline.at : null,
      overdue: c.deadline?.key === 'revisit' && !!c.deadline.at && new Date(c.deadline.at).getTime() <= now.getTime(),
      badge: c.deadline?.key === 'revisit' ? deadlineBadge(c.deadline.at, now, engine.deps.calendar) : null,
    }));
    const pages = Math.max(1, Math.ceil(result.total / PAGE_SIZE));
    const saved = typeof q.saved === 'string' && q.saved ? { headName: items.find((i) => i.ref === q.saved)?.headName ?? '' } : null;
    return sendHtml(
      reply,
      renderer.render('revisits', { ...pageData(request, '回访'), items, total: result.total, overdue: items.filter((i) => i.overdue).length, page, pages, saved }),
    );
  });

  async function showForm(request: FastifyRequest, reply: FastifyReply, ref: string, form: Raw, idempotencyKey: string, error: ShownError | null, status = 200) {
    const user = who(request);
    const view = await caseByRef(engine, user.principal, ref);
    const village = (await engine.regions({ prefix: view.villageCode })).find((r) => r.code === view.villageCode);
    const now = engine.deps.clock.now();
    const data = {
      ...pageData(request, '记录回访'),
      view,
      ref: caseRefOf(view),
      caseNumber: caseNumberOf(view),
      headName: view.household.members[0]?.name ?? '',
      villageName: village?.name ?? '',
      stateText: stateLabelOf(view.state),
      canRecord: view.allowedEvents.includes('RECORD_REVISIT'),
      dueAt: view.deadline?.key === 'revisit' ? view.deadline.at : null,
      badge: view.deadline?.key === 'revisit' ? deadlineBadge(view.deadline.at, now, engine.deps.calendar) : null,
      lastDate: view.revisits?.lastDate ?? null,
      count: view.revisits?.count ?? 0,
      form: {
        date: str(form.date) || isoChinaDate(now),
        livingConditions: str(form.livingConditions),
        health: str(form.health),
        problems: str(form.problems),
        reassessmentNeeded: form.reassessmentNeeded === true,
      },
      today: isoChinaDate(now),
      idempotencyKey,
      error,
      fields: error?.fields ?? {},
    };
    return sendHtml(reply, renderer.render('revisitForm', data), status);
  }

  app.get<{ Params: { ref: string } }>('/revisits/:ref', async (request, reply) => showForm(request, reply, request.params.ref, {}, randomUUID(), null));

  app.post<{ Params: { ref: string } }>('/revisits/:ref', async (request, reply) => {
    const user = who(request);
    const { rowVersion: rawVersion, idempotencyKey: rawKey, ...posted } = (request.body ?? {}) as Raw;
    const key = typeof rawKey === 'string' && rawKey ? rawKey : randomUUID();
    const form = nestForm(posted, { booleans: ['reassessmentNeeded'] }) as Raw;
    // An unticked box is "no": the event says so explicitly.
    const payload = { problems: '', ...form, reassessmentNeeded: form.reassessmentNeeded === true };
    const view = await caseByRef(engine, user.principal, request.params.ref);
    try {
      const ifMatch = Number(rawVersion);
      if (!Number.isInteger(ifMatch)) throw errors.validationFailed([{ path: 'rowVersion', message: '请重新加载本页后再提交' }]);
      await engine.sendEvent({ principal: user.principal, requestId: request.id, clientRequestId: null }, view.id, { ...payload, type: 'RECORD_REVISIT' }, { ifMatch, idempotencyKey: parseIdempotencyKey(key) });
    } catch (err) {
      const shown = shownError(err, request.id);
      if (shown.code === 'INTERNAL') throw err;
      return showForm(request, reply, request.params.ref, form, key, shown, shown.status);
    }
    return redirect(request, reply, `${CONSOLE}/revisits?saved=${encodeURIComponent(caseRefOf(view))}`);
  });
}
