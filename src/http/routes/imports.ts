/**
 * Bulk import (批量导入): POST /imports (multipart: one `file` part; ?kind=survey&dryRun=true) stores the file and
 * starts its dry run in the background; GET /imports/:id is its progress and issues; GET /imports/:id/report.xlsx
 * the dry-run report; POST /imports/:id/commit and /cancel; GET /imports/templates/:kind.xlsx the template.
 */
import fastifyMultipart from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Engine, Principal } from '../../engine/index.js';
import { AppError, errors } from '../../errors.js';
import type { App } from '../app.js';
import { errorResponse } from '../schemas/common.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const principalOf = (p: Principal | null | undefined): Principal => {
  if (!p) throw errors.unauthenticated();
  return p;
};

const importView = z.object({
  id: z.string(),
  kind: z.string(),
  kindLabel: z.string(),
  fileName: z.string(),
  sha256: z.string(),
  sizeBytes: z.number().int(),
  format: z.enum(['xlsx', 'csv']),
  status: z.enum(['validating', 'validated', 'committing', 'committed', 'failed', 'cancelled']),
  dryRun: z.boolean(),
  importer: z.string(),
  rowsRead: z.number().int(),
  rowsValidated: z.number().int(),
  rowsWithErrors: z.number().int(),
  rowsCommitted: z.number().int(),
  households: z.number().int().describe('groups built (households, for the survey)'),
  recordsCommitted: z.number().int().describe('cases (or other records) written by the commit'),
  issuesTotal: z.number().int(),
  issues: z.array(z.object({ row: z.number().int().nullable(), column: z.string().nullable(), header: z.string().nullable(), message: z.string().describe('zh-CN') })).describe('the first 200, by row'),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  createdAt: z.string(),
  validatedAt: z.string().nullable(),
  committedAt: z.string().nullable(),
});

const idParams = z.strictObject({ id: z.string().uuid('expected an import id') });
const noQuery = z.strictObject({});
const errorsDoc = { '4XX': errorResponse, '5XX': errorResponse };
const file = { 200: { description: 'the workbook (XLSX)', content: { [XLSX]: { schema: z.string().meta({ format: 'binary' }) } } } };

/** RFC 5987: a Chinese file name in Content-Disposition. */
const disposition = (name: string) => `attachment; filename="import.xlsx"; filename*=UTF-8''${encodeURIComponent(name)}`;

export function importRoutes(engine: Engine, maxBytes: number) {
  return async function register(app: App) {
    await app.register(async (scope) => {
      await scope.register(fastifyMultipart, { limits: { fileSize: maxBytes, files: 1, fields: 5, fieldSize: 1000, parts: 6 } });
      scope.post(
        '/imports',
        {
          schema: {
            tags: ['imports'],
            summary: 'Upload a file to import (multipart/form-data, one part named file); its dry run starts in the background',
            querystring: z.strictObject({
              kind: z.string().regex(/^[a-z][a-zA-Z]{0,39}$/, 'expected an import kind such as survey'),
              dryRun: z.enum(['true', 'false']).default('true').describe('false: commit as soon as the dry run finds no error'),
              submit: z.enum(['true', 'false']).default('false').describe('survey: submit each survey once opened (SUBMIT_SURVEY, screening included)'),
            }),
            response: { 202: importView, ...errorsDoc },
          },
        },
        async (request, reply) => {
          const p = principalOf(request.principal);
          const q = request.query as { kind: string; dryRun: 'true' | 'false'; submit: 'true' | 'false' };
          engine.imports.kindOf(q.kind);
          const upload = await readFile(request, maxBytes);
          const v = await engine.imports.upload(p, { kind: q.kind, fileName: upload.fileName, bytes: upload.bytes, dryRun: q.dryRun === 'true', options: q.submit === 'true' ? { submit: true } : {} });
          return reply.code(202).header('location', `/imports/${v.id}`).send(v);
        },
      );
    });

    app.get(
      '/imports/:id',
      { schema: { tags: ['imports'], summary: 'An import’s status, progress and (first 200) issues', params: idParams, querystring: noQuery, response: { 200: importView, ...errorsDoc } } },
      async (request) => engine.imports.get(principalOf(request.principal), (request.params as { id: string }).id),
    );
    app.post(
      '/imports/:id/commit',
      { schema: { tags: ['imports'], summary: 'Commit a dry-run import without errors (one transaction, in the background)', params: idParams, querystring: noQuery, response: { 202: importView, ...errorsDoc } } },
      async (request, reply) => reply.code(202).send(await engine.imports.commit(principalOf(request.principal), (request.params as { id: string }).id)),
    );
    app.post(
      '/imports/:id/cancel',
      { schema: { tags: ['imports'], summary: 'Cancel an import before its commit', params: idParams, querystring: noQuery, response: { 200: importView, ...errorsDoc } } },
      async (request) => engine.imports.cancel(principalOf(request.principal), (request.params as { id: string }).id),
    );
    app.get(
      '/imports/:id/report.xlsx',
      { schema: { tags: ['imports'], summary: 'The dry-run report: the rows with faulty cells marked (red, with a note), and a list of every issue', params: idParams, querystring: noQuery, response: { ...file, ...errorsDoc } } },
      async (request, reply) => {
        const r = await engine.imports.report(principalOf(request.principal), (request.params as { id: string }).id);
        return reply.header('content-type', XLSX).header('content-disposition', disposition(r.fileName)).header('cache-control', 'no-store').send(r.bytes as never);
      },
    );
    // One literal path per kind (the kinds are registered before the routes): /imports/templates/survey.xlsx.
    for (const kind of engine.imports.kinds()) {
      app.get(
        `/imports/templates/${kind.name}.xlsx`,
        {
          schema: {
            tags: ['imports'],
            summary: `The template of the ${kind.name} import (${kind.label}): Chinese headers, an example row, drop-down lists, the ID column as text`,
            querystring: noQuery,
            response: { ...file, ...errorsDoc },
          },
        },
        async (request, reply) => {
          principalOf(request.principal);
          const bytes = await engine.imports.template(kind.name);
          return reply.header('content-type', XLSX).header('content-disposition', disposition(`${kind.label}导入模板.xlsx`)).header('cache-control', 'no-store').send(bytes as never);
        },
      );
    }
  };
}

async function readFile(request: FastifyRequest, maxBytes: number): Promise<{ fileName: string; bytes: Buffer }> {
  if (!request.isMultipart()) throw errors.validationFailed([{ path: 'body', message: 'expected multipart/form-data with one part named file', messageZh: '请以 multipart/form-data 上传文件（字段名 file）' }]);
  let part;
  try {
    part = await request.file();
  } catch {
    throw errors.badRequest('malformed multipart body');
  }
  if (!part || part.fieldname !== 'file') throw errors.validationFailed([{ path: 'body.file', message: 'expected one part named file', messageZh: '请选择要上传的文件' }]);
  let bytes: Buffer;
  try {
    bytes = await part.toBuffer();
  } catch (e) {
    if ((e as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(maxBytes);
    throw errors.badRequest('malformed multipart body');
  }
  if (part.file.truncated) throw tooLarge(maxBytes);
  return { fileName: part.filename || '(未命名)', bytes };
}

const tooLarge = (maxBytes: number) =>
  new AppError('IMPORT_FILE_TOO_LARGE', { message: `The file is over ${maxBytes} bytes`, messageZh: `文件超过 ${Math.round(maxBytes / 1048576)} MB 的上限，请按村或乡镇拆分后分别导入`, details: { limitBytes: maxBytes } });
