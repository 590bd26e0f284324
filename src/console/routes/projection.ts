/**
 * 护理人员与资金测算: care workers and their wage bill per county on the live caseload, the city's and the counties'
 * shares; a what-if on households per county; and, for an admin of the city or province, the parameters. The same
 * engine functions as GET /projection, POST /projection/what-if and PUT /settings/projection/:scope.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../../errors.js';
import { PROJECTION_ROLES } from '../../engine/projection.js';
import { requireConsoleRole } from '../access.js';
import { projectionExportLinks } from '../exportLinks.js';
import { pageData, type ConsoleContext } from '../context.js';
import { yuan } from '../money.js';
import { sendHtml } from '../render.js';
import { CONSOLE, redirect, who } from '../session.js';

const SOURCE_LABELS: Record<string, string> = { default: '系统默认', global: '全局设置', what_if: '本次测算临时设定' };

export async function projectionPages(app: FastifyInstance, ctx: ConsoleContext) {
  const { engine, renderer } = ctx;
  const gate = { preHandler: requireConsoleRole(...PROJECTION_ROLES) };
  const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

  async function show(request: FastifyRequest, reply: FastifyReply, opts: { whatIf?: Awaited<ReturnType<typeof engine.whatIfProjection>>; inputs?: Record<string, string>; saved?: boolean } = {}) {
    const p = who(request).principal;
    const live = await engine.liveProjection(p);
    const settings = p.roles.includes('admin') ? await engine.projectionSettings(p) : null;
    const sourceLabel = (s: string) => SOURCE_LABELS[s] ?? (s.length === 2 ? '省级设置' : s.length === 4 ? '市级设置' : s);
    return sendHtml(
      reply,
      renderer.render('projection', {
        ...pageData(request, '护理人员与资金测算'),
        live,
        whatIf: opts.whatIf ?? null,
        inputs: opts.inputs ?? Object.fromEntries(live.counties.map((c) => [c.countyCode, String(c.households)])),
        settings,
        saved: !!opts.saved,
        sourceLabel,
        yuan,
        exports: projectionExportLinks,
      }),
    );
  }

  app.get('/projection', gate, async (request, reply) => show(request, reply, { saved: (request.query as { saved?: string }).saved === '1' }));

  app.post('/projection/what-if', gate, async (request, reply) => {
    const p = who(request).principal;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const inputs: Record<string, string> = {};
    const counties = Object.keys(body)
      .filter((k) => /^households_\d{6}$/.test(k))
      .sort()
      .map((k) => {
        const countyCode = k.slice('households_'.length);
        inputs[countyCode] = str(body[k]);
        // Not a whole number: passed as it is, so the engine's check names the field.
        const n = /^\d{1,8}$/.test(inputs[countyCode]) ? Number(inputs[countyCode]) : inputs[countyCode];
        return { countyCode, households: n };
      });
    if (counties.length === 0) throw errors.validationFailed([{ path: 'body.counties', message: 'name at least one county', messageZh: '请至少填写一个县（市、区）的户数' }]);
    const whatIf = await engine.whatIfProjection(p, { counties });
    return show(request, reply, { whatIf, inputs });
  });

  app.post('/projection/parameters', { preHandler: requireConsoleRole('admin') }, async (request, reply) => {
    const p = who(request).principal;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const scope = str(body.scope);
    const version = /^\d{1,9}$/.test(str(body.version)) ? Number(str(body.version)) : undefined;
    const int = (v: unknown) => (/^\d{1,6}$/.test(str(v)) ? Number(str(v)) : str(v));
    await engine.setProjectionParameters(
      { principal: p, requestId: request.id, clientRequestId: null },
      scope,
      { householdsPerWorker: int(body.householdsPerWorker), monthlyWage: str(body.monthlyWage), citySharePercent: int(body.citySharePercent) },
      version,
    );
    return redirect(request, reply, `${CONSOLE}/projection?saved=1`);
  });
}
