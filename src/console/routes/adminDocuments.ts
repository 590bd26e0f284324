/**
 * 管理 · 文书设置: the document texts of a scope (src/documents/texts.ts) — the texts in effect there and what the
 * scope itself sets — and changing the main ones: issuer, the review body and court with their time limits, and
 * the objection office of one township. Fields left blank follow the wider scopes. Through
 * engine.documentTextSettings / replaceDocumentTexts, as GET/PUT /settings/documents/:scope (If-Match).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { DocumentTextsOverride } from '../../documents/texts.js';
import { errors } from '../../errors.js';
import { GLOBAL_SCOPE, jurisdictionCoversScope, SCOPE_PATTERN, scopeOfJurisdiction } from '../../time/timeSettings.js';
import { regionNamer } from '../admin.js';
import { requireConsoleRole } from '../access.js';
import { pageData, type ConsoleContext } from '../context.js';
import { shownError, type ShownError } from '../messages.js';
import { sendHtml } from '../render.js';
import { CONSOLE, redirect, who } from '../session.js';

const scopeQuery = z.string().regex(SCOPE_PATTERN);
const FIELDS = ['issuer', 'reviewBody', 'reviewDays', 'court', 'litigationMonths'] as const;

export async function adminDocumentPages(app: FastifyInstance, ctx: ConsoleContext) {
  const { engine, renderer } = ctx;
  const gate = { preHandler: requireConsoleRole('admin') };

  async function show(request: FastifyRequest, reply: FastifyReply, scope: string | undefined, opts: { error?: ShownError | null; saved?: boolean; status?: number } = {}) {
    const p = who(request).principal;
    const view = await engine.documentTextSettings(p, scope);
    const nameOf = await regionNamer(engine, p.region);
    const scopeName = (s: string) => (s === GLOBAL_SCOPE ? '全局（全省统一）' : nameOf(s));
    const townships = (await engine.regions({ prefix: view.scope === GLOBAL_SCOPE ? p.region.slice(0, 2) : view.scope, level: 'township' })).map((r) => ({ code: r.code.slice(0, 9), name: r.name }));
    return sendHtml(
      reply,
      renderer.render('adminDocuments', {
        ...pageData(request, '文书设置'),
        v: view,
        scopeName: scopeName(view.scope),
        chain: view.chain.map((c) => ({ ...c, name: scopeName(c.scope), href: `${CONSOLE}/admin/documents?scope=${c.scope}`, current: c.scope === view.scope })),
        editable: jurisdictionCoversScope(p.region, view.scope),
        townships,
        townshipName: (code: string) => townships.find((t) => t.code === code)?.name ?? code,
        error: opts.error ?? null,
        saved: !!opts.saved,
      }),
      opts.status ?? 200,
    );
  }

  app.get('/admin/documents', gate, async (request, reply) => {
    const q = request.query as { scope?: string; saved?: string };
    if (q.scope !== undefined && !scopeQuery.safeParse(q.scope).success) throw errors.notFound();
    return show(request, reply, q.scope ?? scopeOfJurisdiction(who(request).principal.region), { saved: q.saved === '1' });
  });

  app.post('/admin/documents', gate, async (request, reply) => {
    const p = who(request).principal;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
    const scope = scopeQuery.safeParse(str(body.scope));
    if (!scope.success) throw errors.notFound();
    const version = /^\d{1,9}$/.test(str(body.version)) ? Number(str(body.version)) : undefined;
    // The scope's own override, with the form's fields on top (a blank field is dropped: it follows the wider scopes).
    const current = (await engine.documentTextSettings(p, scope.data)).override as DocumentTextsOverride;
    const next: Record<string, unknown> = { ...current };
    for (const f of FIELDS) {
      const v = str(body[f]);
      if (v === '') delete next[f];
      else next[f] = f === 'reviewDays' || f === 'litigationMonths' ? (/^\d{1,4}$/.test(v) ? Number(v) : v) : v;
    }
    const township = str(body.township);
    if (/^\d{9}$/.test(township)) {
      const office = { office: str(body.office), address: str(body.address), telephone: str(body.telephone) };
      const townships = { ...(current.townships ?? {}) };
      if (!office.office && !office.address && !office.telephone) delete townships[township];
      else townships[township] = office;
      next.townships = townships;
    }
    try {
      await engine.replaceDocumentTexts(p, scope.data, next, version);
    } catch (err) {
      const shown = shownError(err, request.id);
      if (shown.code === 'INTERNAL') throw err;
      return show(request, reply, scope.data, { error: shown, status: shown.status });
    }
    return redirect(request, reply, `${CONSOLE}/admin/documents?scope=${scope.data}&saved=1`);
  });
}
