/**
 * 督办: the supervisor's overdue dashboard (read-only). Open overdue steps in the jurisdiction — or in an area of
 * it, drilled down county → township → village with ?region= — counted by step and by area, the escalated ones
 * (overdue by the escalation days and more), the most overdue cases and those soon due. Every count links to the
 * filtered case list (/console/cases?step=..&level=..&region=..&overdue=1). The numbers are the engine's
 * overdue counts, the same as GET /overdue/summary.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { caseMachine } from '../../../machines/index.js';
import { errors } from '../../errors.js';
import { deadlineKeyLabels } from '../../labels.js';
import { overdueReaders } from '../../engine/overdue.js';
import { defaultReminderPolicy } from '../../engine/timerPlan.js';
import { pageData, type ConsoleContext } from '../context.js';
import { formIssues } from '../forms.js';
import { deadlineBadge } from '../format.js';
import { sendHtml } from '../render.js';
import { CONSOLE } from '../session.js';
import { requireConsoleRole } from '../access.js';
import { listUrl } from './inbox.js';
import { stateLabelOf } from '../steps.js';
import { overdueExportLinks, rosterLink } from '../exportLinks.js';

const query = z.strictObject({
  region: z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(/^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$/, '请选择地区').optional()),
});

type Node = { key: string; meta?: { deadline?: string }; states: Record<string, Node> };

/** Deadline key → the top-level state a case is in while that deadline runs (read from the machine). */
const stepOfDeadline = (() => {
  const out = new Map<string, string>();
  const walk = (node: Node, top: string | null) => {
    for (const [key, child] of Object.entries(node.states ?? {})) {
      const t = top ?? key;
      if (child.meta?.deadline) out.set(child.meta.deadline, t);
      walk(child, t);
    }
  };
  walk(caseMachine.root as unknown as Node, null);
  return out;
})();

/** The worklist filters that select the cases behind a step's count: the state, and for review the level. */
export function stepFilter(deadlineKey: string): { step?: string; level?: string } {
  const [key, level] = deadlineKey.split('.');
  const step = stepOfDeadline.get(key);
  return level ? { step, level } : { step };
}

const LEVEL_OF_LENGTH: Record<number, string> = { 2: 'province', 4: 'prefecture', 6: 'county', 9: 'township', 12: 'village' };
const AREA_LABEL: Record<number, string> = { 4: '市', 6: '县（市、区）', 9: '乡镇', 12: '村' };
const CHAIN = [2, 4, 6, 9, 12];

export async function supervisePages(app: FastifyInstance, ctx: ConsoleContext) {
  const { engine, renderer } = ctx;

  app.get('/supervise', { preHandler: requireConsoleRole(...overdueReaders) }, async (request, reply) => {
    const user = request.consoleUser!;
    const parsed = query.safeParse(request.query ?? {});
    if (!parsed.success) throw errors.validationFailed(formIssues(parsed.error));
    const principal = user.principal;
    const escalationDays = defaultReminderPolicy.escalationDays;
    const [all, escalated] = await Promise.all([
      engine.overdueByArea(principal, { region: parsed.data.region }),
      engine.overdueByArea(principal, { region: parsed.data.region, minDaysOverdue: escalationDays }),
    ]);
    const region = all.region; // null: the region asked for lies outside the jurisdiction
    const names = new Map((await engine.regions({ prefix: principal.region })).map((r) => [r.code, r.name]));
    const nameOf = (code: string) => names.get(code.padEnd(12, '0')) ?? names.get(code) ?? code;
    // The worklist filters by an area of 6 to 12 digits; a wider one is the jurisdiction itself.
    const listRegion = (code: string | null) => (code && code.length >= 6 ? code : undefined);
    const cases = `${CONSOLE}/cases`;
    const here = region ?? principal.region;
    const stepRows = (counts: { step: string; count: number }[]) =>
      counts.map((s) => ({ ...s, label: deadlineKeyLabels[s.step] ?? stateLabelOf(s.step), href: listUrl(cases, { ...stepFilter(s.step), region: listRegion(here), overdue: 1 }) }));
    const escalatedByArea = new Map(escalated.areas.map((a) => [a.areaCode, a.count]));
    const drillable = here.length < 12;
    const areaRows = all.areas.map((a) => ({
      code: a.areaCode,
      name: nameOf(a.areaCode),
      count: a.count,
      escalated: escalatedByArea.get(a.areaCode) ?? 0,
      href: listUrl(cases, { region: listRegion(a.areaCode), overdue: 1 }),
      drill: drillable && a.areaCode.length < 12 ? `${CONSOLE}/supervise?region=${a.areaCode}` : null,
    }));
    const crumbs = CHAIN.filter((n) => n >= principal.region.length && n <= here.length).map((n) => ({
      code: here.slice(0, n),
      name: nameOf(here.slice(0, n)),
      href: n === principal.region.length ? `${CONSOLE}/supervise` : `${CONSOLE}/supervise?region=${here.slice(0, n)}`,
      current: n === here.length,
    }));
    const now = engine.deps.clock.now();
    const withBadge = <T extends { deadline?: { at?: string | null } | null; state: string }>(c: T) => ({ ...c, stateText: stateLabelOf(c.state), badge: deadlineBadge(c.deadline?.at, now, engine.deps.calendar) });
    const regionFilter = region && region.length >= 6 ? region : undefined;
    // The most overdue cases (the worklist sorts by deadline, so overdue ones come first), then the ones soon
    // due: past the overdue ones, the next page of deadlines still ahead.
    const most = region === null ? { items: [], total: 0 } : await engine.worklist(principal, { view: 'all', region: regionFilter, overdue: true, page: 1, pageSize: 10 });
    const pageSize = 20;
    const firstAhead = Math.floor(most.total / pageSize) + 1;
    const ahead = region === null ? [] : (await engine.worklist(principal, { view: 'all', region: regionFilter, page: firstAhead, pageSize })).items;
    const ahead2 = region === null ? [] : (await engine.worklist(principal, { view: 'all', region: regionFilter, page: firstAhead + 1, pageSize })).items;
    const soon = [...ahead, ...ahead2].map(withBadge).filter((c) => c.badge && c.badge.tone === 'soon').slice(0, 10);
    return sendHtml(
      reply,
      renderer.render('supervise', {
        ...pageData(request, '督办'),
        region: here,
        regionName: nameOf(here),
        outside: region === null,
        level: LEVEL_OF_LENGTH[here.length],
        areaLabel: AREA_LABEL[here.length < 4 ? 4 : here.length < 6 ? 6 : here.length < 9 ? 9 : 12],
        drillable,
        crumbs,
        total: all.total,
        totalHref: listUrl(cases, { region: listRegion(here), overdue: 1 }),
        steps: stepRows(all.steps),
        areas: areaRows,
        escalationDays,
        escalatedTotal: escalated.total,
        escalatedSteps: stepRows(escalated.steps),
        mostOverdue: most.items.map(withBadge),
        soon,
        asOf: all.asOf,
        exports: { ...overdueExportLinks(here), roster: rosterLink(here), log: `${CONSOLE}/exports` },
      }),
    );
  });
}
