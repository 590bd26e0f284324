/**
 * 管理 · 办理时限: the deadline policy of a scope (global, province, city, county) — the limit in effect for each
 * step and where it comes from, the scope's own override — and changing the override of a scope the admin
 * covers. The version read is sent as If-Match: a scope changed meanwhile is refused ("此设置已被他人更新").
 * Through engine.deadlineSettings / replaceDeadlineOverride, as GET/PUT /settings/deadlines/:scope.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, errors, type FieldIssue } from '../../errors.js';
import { deadlineKeyLabels } from '../../labels.js';
import { GLOBAL_SCOPE, jurisdictionCoversScope, SCOPE_PATTERN } from '../../time/timeSettings.js';
import { regionNamer } from '../admin.js';
import { requireConsoleRole } from '../access.js';
import { pageData, type ConsoleContext } from '../context.js';
import { shownError, type ShownError } from '../messages.js';
import { sendHtml } from '../render.js';
import { CONSOLE, redirect, who } from '../session.js';

export const STEP_LABELS: Record<string, string> = {
  ...deadlineKeyLabels,
  application: '申请办理总时限（普查提交至审批通过）',
  'revisit.dispersed_care': '回访间隔（分散托养）',
  'revisit.centralized_support': '回访间隔（集中供养）',
  'revisit.centralized_treatment': '回访间隔（集中救治）',
};
export const UNIT_LABELS: Record<string, string> = { working_days: '个工作日', calendar_days: '个自然日', months: '个月' };
const LEVEL_LABELS: Record<string, string> = { global: '全局', province: '省', city: '市', county: '县（市、区）' };

const scopeQuery = z.string().regex(SCOPE_PATTERN);
type Rule = { amount: number; unit: string };
const ruleText = (r: Rule | undefined) => (r ? `${r.amount} ${UNIT_LABELS[r.unit] ?? r.unit}` : '—');

/** An engine problem with one step of the override, in Chinese. */
function issueZh(message: string): string {
  let m: RegExpExecArray | null;
  if ((m = /may only shorten a limit: at most (\d+) (working days|calendar days|months)/.exec(message))) {
    return `下级只能缩短时限：最多 ${m[1]} ${UNIT_LABELS[m[2].replace(' ', '_')] ?? m[2]}`;
  }
  if (/counted in months/.test(message)) return '回访间隔以月计';
  if (/months are for revisits only/.test(message)) return '请选择工作日或自然日（月仅用于回访间隔）';
  if ((m = /at most (\d+) (days|months)/.exec(message))) return `最多 ${m[1]} ${m[2] === 'days' ? '天' : '个月'}`;
  if (/case policy/.test(message)) return '公示期由案件政策规定，不在此设置';
  return '请输入 1 以上的整数并选择单位';
}

const stepOfPath = (path: string) => /^body(?:\.([A-Za-z_$][\w$]*)|\["([^"]+)"\])/.exec(path)?.slice(1).find(Boolean) ?? null;

export async function adminDeadlinePages(app: FastifyInstance, ctx: ConsoleContext) {
  const { engine, renderer } = ctx;
  const gate = { preHandler: requireConsoleRole('admin') };

  async function show(request: FastifyRequest, reply: FastifyReply, scope: string | undefined, opts: { values?: Record<string, { amount: string; unit: string }>; version?: number; error?: ShownError | null; fields?: Record<string, string>; saved?: boolean; status?: number } = {}) {
    const p = who(request).principal;
    const view = await engine.deadlineSettings(p, scope);
    const nameOf = await regionNamer(engine, p.region);
    const scopeName = (s: string) => (s === GLOBAL_SCOPE ? '全局（全省统一）' : nameOf(s));
    const sourceName = (s: string | undefined) => (!s || s === 'default' ? '系统默认' : scopeName(s));
    const overrides = view.overrides as Record<string, Rule>;
    const rows = view.configurableSteps.map((step, i) => {
      const own = overrides[step];
      const value = opts.values?.[step] ?? { amount: own ? String(own.amount) : '', unit: own?.unit ?? (step.startsWith('revisit.') ? 'months' : 'working_days') };
      return {
        i,
        step,
        label: STEP_LABELS[step] ?? step,
        inEffect: ruleText((view.policy as Record<string, Rule>)[step]),
        source: sourceName(view.source[step]),
        defaultText: ruleText((view.defaults as Record<string, Rule>)[step]),
        units: step.startsWith('revisit.') ? ['months'] : ['working_days', 'calendar_days'],
        value,
        error: opts.fields?.[step] ?? null,
      };
    });
    return sendHtml(
      reply,
      renderer.render('adminDeadlines', {
        ...pageData(request, '办理时限'),
        scope: view.scope,
        scopeName: scopeName(view.scope),
        levelLabel: LEVEL_LABELS[view.level] ?? view.level,
        chain: view.chain.map((c) => ({ scope: c.scope, name: scopeName(c.scope), level: LEVEL_LABELS[c.level] ?? c.level, version: c.version, count: Object.keys(c.overrides).length, href: `${CONSOLE}/admin/deadlines?scope=${c.scope}`, current: c.scope === view.scope })),
        version: opts.version ?? view.version,
        currentVersion: view.version,
        updatedBy: view.updatedBy,
        updatedAt: view.updatedAt,
        editable: jurisdictionCoversScope(p.region, view.scope),
        rows,
        fixed: view.fixedSteps.map((s) => ({ label: STEP_LABELS[s] ?? s, text: ruleText((view.policy as Record<string, Rule>)[s]) })),
        unitLabels: UNIT_LABELS,
        error: opts.error ?? null,
        saved: !!opts.saved,
      }),
      opts.status ?? 200,
    );
  }

  app.get('/admin/deadlines', gate, async (request, reply) => {
    const q = request.query as { scope?: string; saved?: string };
    if (q.scope !== undefined && !scopeQuery.safeParse(q.scope).success) throw errors.notFound();
    return show(request, reply, q.scope, { saved: q.saved === '1' });
  });

  app.post('/admin/deadlines', gate, async (request, reply) => {
    const p = who(request).principal;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
    const scope = scopeQuery.safeParse(str(body.scope));
    if (!scope.success) throw errors.notFound();
    const view = await engine.deadlineSettings(p, scope.data);
    const versionParsed = z.coerce.number().int().min(0).safeParse(str(body.version));
    const version = versionParsed.success ? versionParsed.data : undefined;
    const values: Record<string, { amount: string; unit: string }> = {};
    const fields: Record<string, string> = {};
    const override: Record<string, Rule> = {};
    view.configurableSteps.forEach((step, i) => {
      const amount = str(body[`amount_${i}`]);
      const unit = str(body[`unit_${i}`]);
      values[step] = { amount, unit };
      if (amount === '') return;
      if (!/^\d{1,4}$/.test(amount) || Number(amount) < 1) fields[step] = '请输入 1 以上的整数，或留空（沿用上级设置）';
      else if (!UNIT_LABELS[unit]) fields[step] = '请选择单位';
      else override[step] = { amount: Number(amount), unit };
    });
    const again = (error: ShownError, status: number, more: Record<string, string> = fields) => show(request, reply, scope.data, { values, version, error, fields: more, status });
    const invalid = (): ShownError => ({ code: 'VALIDATION_FAILED', status: 400, message: '填写的内容有误，未作任何更改', fields: {}, stale: false });
    if (Object.keys(fields).length > 0) return again(invalid(), 400);
    try {
      await engine.replaceDeadlineOverride(p, scope.data, override, version);
    } catch (err) {
      const shown = shownError(err, request.id);
      if (shown.code === 'INTERNAL') throw err;
      if (err instanceof AppError && err.code === 'VALIDATION_FAILED') {
        const byStep: Record<string, string> = {};
        for (const issue of (err.details as FieldIssue[] | undefined) ?? []) {
          const step = stepOfPath(issue.path);
          if (step) byStep[step] = issueZh(issue.message);
        }
        return again(invalid(), 400, byStep);
      }
      if (shown.code === 'FORBIDDEN') shown.message = '您只能修改本辖区或辖区内下级地区的办理时限';
      return again(shown, shown.status);
    }
    return redirect(request, reply, `${CONSOLE}/admin/deadlines?scope=${scope.data}&saved=1`);
  });
}
