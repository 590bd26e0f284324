// 导出记录: the export log for admins and supervisors (engine.exportLog checks the role and the jurisdiction),
// newest first, 50 to a page. Filters are shown in words; the log holds no personal value to show.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { exportLogReaders } from '../../engine/exports.js';
import { errors } from '../../errors.js';
import { roleLabels } from '../../labels.js';
import { requireConsoleRole } from '../access.js';
import { pageData, type ConsoleContext } from '../context.js';
import { formIssues } from '../forms.js';
import { sendHtml } from '../render.js';
import { who } from '../session.js';

const EXPORT_NAMES: Record<string, string> = { worklist: '案件名单', overdue: '超期案件', roster: '花名册' };
const OUTCOMES: Record<string, string> = { completed: '完成', aborted: '中断', failed: '失败' };
const ID_NUMBERS: Record<string, string> = { full: '完整', masked: '已遮蔽', none: '—' };
const FILTER_WORDS: Record<string, (v: unknown) => string> = {
  view: (v) => (v === 'inbox' ? '待办' : '全部案件'),
  search: (v) => (v === 'idDigits' ? '按身份证号后几位搜索' : '按姓名或地址搜索'),
  overdue: () => '只看已超期',
  includeClosed: () => '含已退出',
};

function filterText(filters: Record<string, unknown>): string {
  return Object.entries(filters)
    .map(([k, v]) => (FILTER_WORDS[k] ? FILTER_WORDS[k](v) : `${k}=${String(v)}`))
    .join('；');
}

const query = z.strictObject({ before: z.coerce.number().int().min(1).optional() });

export async function exportLogPages(app: FastifyInstance, ctx: ConsoleContext) {
  app.get('/exports', { preHandler: requireConsoleRole(...exportLogReaders) }, async (request, reply) => {
    const parsed = query.safeParse(request.query ?? {});
    if (!parsed.success) throw errors.validationFailed(formIssues(parsed.error));
    const page = await ctx.engine.exportLog(who(request).principal, { before: parsed.data.before, limit: 50 });
    const items = page.items.map((r) => ({
      ...r,
      exportText: EXPORT_NAMES[r.export] ?? r.export,
      outcomeText: OUTCOMES[r.outcome] ?? r.outcome,
      idNumbersText: ID_NUMBERS[r.idNumbers] ?? r.idNumbers,
      rolesText: r.actor.roles.map((x) => (roleLabels as Record<string, string>)[x] ?? x).join('、'),
      filterText: filterText(r.filters),
    }));
    return sendHtml(reply, ctx.renderer.render('exportLog', { ...pageData(request, '导出记录'), items, next: page.nextBefore }));
  });
}
