/**
 * 通知: the signed-in person's own notifications (reminders of overdue steps, escalations, revisits …), newest
 * first, unread ones marked, in pages; each can be marked read (htmx swaps the row in place). Through the same
 * engine functions as GET /notifications and POST /notifications/:id/read.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { errors } from '../../errors.js';
import { deadlineKeyLabels } from '../../labels.js';
import type { NotificationView } from '../../engine/notifications.js';
import { pageData, type ConsoleContext } from '../context.js';
import { formIssues } from '../forms.js';
import { sendHtml } from '../render.js';
import { CONSOLE, isHtmx, redirect, who } from '../session.js';

const PAGE = 30;
const blank = (v: unknown) => (v === '' ? undefined : v);
const listQuery = z.strictObject({
  unread: z.preprocess(blank, z.enum(['1']).optional()),
  before: z.preprocess(blank, z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional()),
});
const idParams = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

const KIND_LABELS: Record<string, string> = {
  overdue: '超期提醒',
  escalation: '超期督办',
  revisit_reminder: '回访提醒',
  agreement_renewal: '协议续签提醒',
  facility_ratio_breach: '护理人员不足',
  duplicate_attempt: '重复申请提示',
  online_objection: '网上提交的异议',
};

function row(n: NotificationView) {
  const data = (n.data ?? {}) as Record<string, unknown>;
  const step = typeof data.step === 'string' ? (deadlineKeyLabels[data.step] ?? null) : null;
  return { id: n.id, caseNumber: n.caseNumber, kind: KIND_LABELS[n.kind] ?? '通知', title: n.title, body: n.body !== n.title ? n.body : '', step, createdAt: n.createdAt, read: !!n.readAt, readAt: n.readAt };
}

export async function notificationPages(app: FastifyInstance, ctx: ConsoleContext) {
  const { engine, renderer } = ctx;

  app.get('/notifications', async (request, reply) => {
    const user = who(request);
    const parsed = listQuery.safeParse(request.query ?? {});
    if (!parsed.success) throw errors.validationFailed(formIssues(parsed.error));
    const q = parsed.data;
    const page = await engine.notifications(user.principal, { unread: q.unread === '1', before: q.before, limit: PAGE });
    const base = `${CONSOLE}/notifications`;
    const qs = (more: Record<string, string | number>) => {
      const p = new URLSearchParams();
      if (q.unread) p.set('unread', '1');
      for (const [k, v] of Object.entries(more)) p.set(k, String(v));
      const s = p.toString();
      return s ? `${base}?${s}` : base;
    };
    return sendHtml(
      reply,
      renderer.render('notifications', {
        ...pageData(request, '通知'),
        items: page.items.map(row),
        unreadOnly: q.unread === '1',
        paged: q.before !== undefined,
        firstHref: qs({}),
        nextHref: page.nextBefore ? qs({ before: page.nextBefore }) : null,
        allHref: base,
        unreadHref: `${base}?unread=1`,
      }),
    );
  });

  app.post('/notifications/:id/read', async (request, reply) => {
    const user = who(request);
    const params = idParams.safeParse(request.params);
    if (!params.success) throw errors.notFound();
    await engine.readNotification(user.principal, params.data.id);
    if (isHtmx(request)) {
      const found = (await engine.notifications(user.principal, { before: params.data.id + 1, limit: 1 })).items[0];
      const unread = await engine.unreadNotificationCount(user.principal);
      reply.header('hx-trigger', JSON.stringify({ 'doudi:unread': { count: unread } }));
      return sendHtml(reply, renderer.render('partials/notification', { ...pageData(request, '通知'), n: row(found) }));
    }
    return redirect(request, reply, `${CONSOLE}/notifications`);
  });
}
