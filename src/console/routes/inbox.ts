/**
 * 待办 (the cases waiting on me) and 案件查询 (every case I may see): one page, two views, the same filters.
 * The filter form is a GET: htmx swaps the results in place and pushes the URL, so a filtered list is a link
 * a supervisor can send (and the dashboard's counts link to).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { categories, reviewLevels, roles, statesWaitingOn, type Role } from '../../../machines/index.js';
import { errors } from '../../errors.js';
import { roleLabels } from '../../labels.js';
import { pageData, type ConsoleContext } from '../context.js';
import { formIssues } from '../forms.js';
import { deadlineBadge } from '../format.js';
import { sendHtml } from '../render.js';
import { isHtmx, who } from '../session.js';
import { STEP_FILTERS, stateLabelOf } from '../steps.js';
import { rosterLink, worklistExportLinks } from '../exportLinks.js';

const PAGE_SIZE = 20;
const blankToUndefined = (v: unknown) => (v === '' ? undefined : v);

export const worklistQuery = z.strictObject({
  role: z.preprocess(blankToUndefined, z.enum(roles).optional()),
  step: z.preprocess(blankToUndefined, z.enum(STEP_FILTERS.map((s) => s.value) as [string, ...string[]]).optional()),
  level: z.preprocess(blankToUndefined, z.enum(reviewLevels).optional()),
  region: z.preprocess(blankToUndefined, z.string().regex(/^\d{6,12}$/, '请选择乡镇或村').optional()),
  category: z.preprocess(blankToUndefined, z.enum(categories).optional()),
  overdue: z.preprocess(blankToUndefined, z.enum(['1']).optional()),
  closed: z.preprocess(blankToUndefined, z.enum(['1']).optional()),
  q: z.preprocess(blankToUndefined, z.string().trim().max(50, '最多 50 个字').optional()),
  page: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(10_000).default(1)),
});
export type WorklistQueryInput = z.infer<typeof worklistQuery>;

/** The URL of a filtered list (for the pager and for links from the supervisor's dashboard). */
export function listUrl(base: string, q: Partial<Record<keyof WorklistQueryInput, string | number | undefined>>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '' && v !== null) params.set(k, String(v));
  const s = params.toString();
  return s ? `${base}?${s}` : base;
}

export async function inboxPages(app: FastifyInstance, ctx: ConsoleContext) {
  const { engine, renderer } = ctx;

  async function regionOptions(region: string) {
    // Townships and villages inside the jurisdiction, as the filter's choices.
    const found = await engine.regions({ prefix: region });
    return found
      .filter((r) => r.level === 'township' || r.level === 'village')
      .map((r) => ({ code: r.level === 'township' ? r.code.slice(0, 9) : r.code, name: r.name, level: r.level }))
      .sort((a, b) => a.code.localeCompare(b.code));
  }

  async function show(request: FastifyRequest, view: 'inbox' | 'all') {
    const user = who(request);
    const parsed = worklistQuery.safeParse(request.query ?? {});
    if (!parsed.success) throw errors.validationFailed(formIssues(parsed.error));
    const q = parsed.data;
    const inboxRoles = user.principal.roles.filter((r) => statesWaitingOn(r).length > 0);
    const role = (view === 'inbox' ? (q.role ?? inboxRoles[0]) : undefined) as Role | undefined;
    const result = await engine.worklist(user.principal, {
      view,
      role,
      step: q.step,
      reviewLevel: q.level,
      region: q.region,
      category: q.category,
      overdue: q.overdue === '1',
      includeClosed: q.closed === '1',
      q: q.q,
      page: q.page,
      pageSize: PAGE_SIZE,
    });
    const now = engine.deps.clock.now();
    const items = result.items.map((c) => ({
      ...c,
      stateText: stateLabelOf(c.state),
      badge: deadlineBadge(c.deadline?.at, now, engine.deps.calendar),
    }));
    const base = `${request.url.split('?')[0]}`;
    const pages = Math.max(1, Math.ceil(result.total / PAGE_SIZE));
    const data = {
      ...pageData(request, view === 'inbox' ? '待办' : '案件查询'),
      view,
      q,
      role: result.role,
      roleChoices: view === 'inbox' ? inboxRoles.map((r) => ({ value: r, label: roleLabels[r] })) : [],
      items,
      total: result.total,
      page: q.page,
      pages,
      // The form's target: the path alone. (With hx-get="" htmx would request the current URL, query and all,
      // plus the form's fields: every filter twice, refused from the second change on.)
      listPath: base,
      pageUrl: (p: number) => listUrl(base, { ...q, page: p }),
      steps: STEP_FILTERS,
      regions: await regionOptions(user.principal.region),
      exports: { ...worklistExportLinks(view, result.role, q), roster: rosterLink(q.region) },
      seesIdNumbers: ['enumerator', 'evaluator', 'officer'].some((r) => user.principal.roles.includes(r as Role)),
    };
    // htmx asks for the results only (the filter form stays as the person left it).
    return isHtmx(request) && request.headers['hx-target'] === 'results' ? renderer.render('partials/worklist', data) : renderer.render('inbox', data);
  }

  app.get('/', async (request, reply) => sendHtml(reply, await show(request, 'inbox')));
  app.get('/cases', async (request, reply) => sendHtml(reply, await show(request, 'all')));
}
