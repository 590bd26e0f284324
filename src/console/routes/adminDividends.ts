/**
 * 管理 · 集体经济分红标准: per village and year, what a general poor household gets of the collective dividend (the
 * 120% rule's reference). One form per village, carrying the version it was rendered from (If-Match): a reference
 * changed meanwhile is refused with 此设置已被他人修改. Through engine.dividendReferences / setDividendReference, as
 * GET/PUT /settings/dividend-references.
 */
import type { FastifyInstance } from 'fastify';
import { MAX_INCOME_YEAR, MIN_INCOME_YEAR } from '../../domain/income.js';
import { errors } from '../../errors.js';
import { regionChoices } from '../admin.js';
import { requireConsoleRole } from '../access.js';
import { pageData, type ConsoleContext } from '../context.js';
import { chinaYear, yuan } from '../money.js';
import { sendHtml } from '../render.js';
import { CONSOLE, redirect, who } from '../session.js';

const yearOf = (v: unknown): number | null => {
  const n = typeof v === 'string' && /^\d{4}$/.test(v) ? Number(v) : NaN;
  return n >= MIN_INCOME_YEAR && n <= MAX_INCOME_YEAR ? n : null;
};

export async function adminDividendPages(app: FastifyInstance, ctx: ConsoleContext) {
  const { engine, renderer } = ctx;
  const gate = { preHandler: requireConsoleRole('admin') };

  app.get('/admin/dividends', gate, async (request, reply) => {
    const p = who(request).principal;
    const q = request.query as { year?: string; saved?: string };
    const year = q.year === undefined ? chinaYear(engine.deps.clock.now()) : yearOf(q.year);
    if (year === null) throw errors.notFound();
    const [villages, refs] = await Promise.all([regionChoices(engine, p.region, { levels: ['village'] }), engine.dividendReferences(p, { year })]);
    const byVillage = new Map(refs.items.map((r) => [r.villageCode, r]));
    const rows = villages
      .filter((v) => v.code.startsWith(p.region))
      .map((v) => {
        const r = byVillage.get(v.code);
        return { code: v.code, name: v.name, reference: r?.reference ?? null, required: r?.required ?? null, version: r?.version ?? 0, updatedBy: r?.updatedBy ?? null };
      });
    return sendHtml(reply, renderer.render('adminDividends', { ...pageData(request, '集体经济分红标准'), year, rows, saved: q.saved ?? null, yuan }));
  });

  app.post('/admin/dividends', gate, async (request, reply) => {
    const p = who(request).principal;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
    const year = yearOf(str(body.year));
    const villageCode = str(body.villageCode);
    if (year === null || !/^\d{12}$/.test(villageCode)) throw errors.notFound();
    const version = /^\d{1,9}$/.test(str(body.version)) ? Number(str(body.version)) : undefined;
    await engine.setDividendReference({ principal: p, requestId: request.id, clientRequestId: null }, villageCode, year, { amount: str(body.amount) }, version);
    return redirect(request, reply, `${CONSOLE}/admin/dividends?year=${year}&saved=${villageCode}`);
  });
}
