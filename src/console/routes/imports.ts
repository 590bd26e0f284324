/**
 * 批量导入: upload a survey spreadsheet, follow its dry run (a progress bar that htmx refreshes every second while
 * the job works, no inline script), read the issues per row and column, download the report, commit or cancel.
 * Every action goes through engine.imports — the same functions as the API — which checks role and jurisdiction.
 */
import fastifyMultipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { statusLabels, type ImportView } from '../../engine/imports/jobs.js';
import { AppError, errors } from '../../errors.js';
import { requireConsoleRole } from '../access.js';
import { pageData, type ConsoleContext } from '../context.js';
import { shownError, type ShownError } from '../messages.js';
import { sendHtml } from '../render.js';
import { CONSOLE, consoleMultipartCsrf, redirect, who } from '../session.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const idParam = z.strictObject({ id: z.string().uuid() });

/** What the page shows of a job: its view, the percentage done, and what may be done next. */
function jobData(v: ImportView) {
  const working = v.status === 'validating' || v.status === 'committing';
  const total = Math.max(v.rowsRead, 1);
  const percent = v.status === 'committing' ? Math.min(100, Math.round((v.rowsCommitted / total) * 100)) : v.status === 'validating' ? null : 100;
  return {
    job: v,
    statusText: statusLabels[v.status] ?? v.status,
    working,
    percent,
    mayCommit: v.status === 'validated' && v.issuesTotal === 0,
    mayCancel: v.status === 'validating' || v.status === 'validated',
  };
}

export async function importPages(app: FastifyInstance, ctx: ConsoleContext) {
  const { engine, renderer } = ctx;
  const gate = requireConsoleRole('enumerator');

  function showUpload(request: FastifyRequest, reply: FastifyReply, error: ShownError | null, status = 200) {
    const kind = engine.imports.kindOf('survey');
    return sendHtml(reply, renderer.render('imports', { ...pageData(request, '批量导入'), columns: kind.columns, error, maxMb: Math.round((engine.deps.importMaxBytes ?? 20 << 20) / 1048576) }), status);
  }

  app.get('/imports', { preHandler: gate }, async (request, reply) => showUpload(request, reply, null));

  app.get('/imports/template.xlsx', { preHandler: gate }, async (_request, reply) =>
    reply.header('content-type', XLSX).header('content-disposition', `attachment; filename="survey-template.xlsx"; filename*=UTF-8''${encodeURIComponent('入户普查导入模板.xlsx')}`).send(await engine.imports.template('survey')),
  );

  await app.register(async (scope) => {
    const maxBytes = engine.deps.importMaxBytes ?? 20 << 20;
    // Parsed before preValidation (the CSRF check reads _csrf from the body); the file is kept aside with its name.
    const uploads = new WeakMap<FastifyRequest, { name: string; bytes: Buffer | null }>();
    await scope.register(fastifyMultipart, {
      attachFieldsToBody: 'keyValues',
      limits: { fileSize: maxBytes, files: 1, fields: 5, fieldSize: 1000, parts: 6 },
      async onFile(this: FastifyRequest, part) {
        let bytes: Buffer | null = null;
        try {
          bytes = await part.toBuffer();
          if (part.file.truncated) bytes = null;
        } catch (e) {
          if ((e as { code?: string }).code !== 'FST_REQ_FILE_TOO_LARGE') throw e;
          part.file.resume();
        }
        if (part.fieldname === 'file') uploads.set(this, { name: part.filename || '(未命名)', bytes });
      },
    });
    const reachedHandler = new WeakSet<FastifyRequest>();
    scope.setErrorHandler(async (error, request) => {
      const unparsable = !reachedHandler.has(request) && !(error instanceof AppError) && typeof (error as { statusCode?: unknown }).statusCode !== 'number';
      throw unparsable ? errors.badRequest('malformed multipart body') : error;
    });
    scope.post('/imports', { preHandler: gate, preValidation: consoleMultipartCsrf, config: { consoleMultipart: true } }, async (request, reply) => {
      reachedHandler.add(request);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const dryRun = body.commitNow !== '1';
      const got = uploads.get(request);
      if (got && got.bytes === null) return showUpload(request, reply, shownError(new AppError('IMPORT_FILE_TOO_LARGE', { messageZh: `文件超过 ${Math.round(maxBytes / 1048576)} MB 的上限，请按村或乡镇拆分后分别导入`, details: { limitBytes: maxBytes } }), request.id), 413);
      const file = got && got.bytes && got.bytes.length > 0 ? { name: got.name, bytes: got.bytes } : null;
      if (!file) return showUpload(request, reply, shownError(errors.validationFailed([{ path: 'body.file', message: 'choose a file', messageZh: '请选择要导入的文件' }], undefined, '请选择要导入的文件'), request.id), 400);
      try {
        const v = await engine.imports.upload(who(request).principal, { kind: 'survey', fileName: file.name, bytes: file.bytes, dryRun, options: {} });
        return redirect(request, reply, `${CONSOLE}/imports/${v.id}`);
      } catch (e) {
        const shown = shownError(e, request.id);
        if (shown.code === 'INTERNAL') throw e;
        return showUpload(request, reply, shown, shown.status);
      }
    });
  });

  async function job(request: FastifyRequest) {
    const parsed = idParam.safeParse(request.params);
    if (!parsed.success) throw new AppError('IMPORT_NOT_FOUND', { details: { importId: String((request.params as { id?: string }).id ?? '') } });
    return engine.imports.get(who(request).principal, parsed.data.id);
  }

  app.get('/imports/:id', { preHandler: gate }, async (request, reply) => {
    const v = await job(request);
    return sendHtml(reply, renderer.render('importJob', { ...pageData(request, `批量导入：${v.fileName}`), ...jobData(v) }));
  });

  // The job panel alone: what htmx fetches every second while the job works (it stops when the panel has no trigger).
  app.get('/imports/:id/panel', { preHandler: gate }, async (request, reply) => {
    const v = await job(request);
    return sendHtml(reply, renderer.render('partials/importJob', { base: CONSOLE, csrf: who(request).csrfToken, ...jobData(v) }));
  });

  app.get('/imports/:id/report.xlsx', { preHandler: gate }, async (request, reply) => {
    const v = await job(request);
    const r = await engine.imports.report(who(request).principal, v.id);
    return reply.header('content-type', XLSX).header('content-disposition', `attachment; filename="import-report.xlsx"; filename*=UTF-8''${encodeURIComponent(r.fileName)}`).header('cache-control', 'no-store').send(r.bytes);
  });

  for (const action of ['commit', 'cancel'] as const) {
    app.post(`/imports/:id/${action}`, { preHandler: gate }, async (request, reply) => {
      const v = await job(request);
      try {
        await engine.imports[action](who(request).principal, v.id);
      } catch (e) {
        const shown = shownError(e, request.id);
        if (shown.code === 'INTERNAL') throw e;
        const now = await job(request);
        return sendHtml(reply, renderer.render('importJob', { ...pageData(request, `批量导入：${now.fileName}`), ...jobData(now), error: shown }), shown.status);
      }
      return redirect(request, reply, `${CONSOLE}/imports/${v.id}`);
    });
  }
}
