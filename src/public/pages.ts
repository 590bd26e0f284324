/**
 * The routes of the public pages (see index.ts for the list and the limits). Every input is validated with the
 * engine's own schemas (src/engine/publicInput.ts), strictly: an unknown form field is refused and named.
 */
import { createHash, randomBytes } from 'node:crypto';
import fastifyMultipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { chinaDate } from '../../machines/index.js';
import { cookieIsSecure } from '../http/auth.js';
import { fromOwnPage } from '../console/session.js';
import { sendHtml } from '../console/render.js';
import { zodIssues } from '../engine/eventInput.js';
import { AppError, errors, type FieldIssue } from '../errors.js';
import { receiptOf } from '../engine/publicObjection.js';
import { caseNumberInput, documentCheckInputSchema, documentCodeInput, PUBLIC_LIMITS, publicObjectionInputSchema } from '../engine/publicInput.js';
import type { PublicNotice } from '../engine/publicNotice.js';
import { PUBLIC_COOKIE } from './formToken.js';
import { PUBLIC, renderPublicError, type PublicContext } from './index.js';

/** The largest upload checked: an issued PDF is well under this; anything bigger is not one of ours. */
const MAX_UPLOAD = 10 * 1024 * 1024;

/** zod issues as VALIDATION_FAILED, with our Chinese messages kept as they are. */
function invalid(error: z.ZodError, root = ''): AppError {
  const issues: FieldIssue[] = zodIssues(error, root).map((i) => ({ ...i, path: i.path.replace(/^\./, ''), messageZh: /[\u4e00-\u9fff]/.test(i.message) ? i.message : undefined }));
  return errors.validationFailed(issues);
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw invalid(r.error);
  return r.data;
}

const codeParams = z.strictObject({ code: documentCodeInput });
const formQuery = z.strictObject({ case: caseNumberInput });
const objectionForm = z.strictObject({ caseNumber: z.string().max(40), name: z.string().max(1000), contact: z.string().max(1000), text: z.string().max(20_000), token: z.string().max(300).default('') });
const checkQuery = z.strictObject({ code: z.string().max(40).optional(), sha256: z.string().max(200).optional() });

export async function publicPages(app: FastifyInstance, ctx: PublicContext) {
  const { engine, renderer, tokens, config } = ctx;
  const page = (reply: FastifyReply, template: string, title: string, data: Record<string, unknown>, status = 200) =>
    sendHtml(reply, renderer.render(`public/${template}`, { title, base: PUBLIC, limits: PUBLIC_LIMITS, ...data }), status);

  app.get('/', async (request, reply) => {
    const q = parse(z.strictObject({ code: z.string().max(40).optional() }), request.query);
    if (q.code !== undefined) {
      const code = parse(z.strictObject({ code: documentCodeInput }), { code: q.code }).code;
      return reply.code(303).header('location', `${PUBLIC}/documents/${code}`).send();
    }
    return page(reply, 'home', '公示查询', {});
  });

  app.get('/documents/:code', async (request, reply) => {
    const { code } = parse(codeParams, request.params);
    parse(z.strictObject({}), request.query);
    const notice = await engine.publicNotice(code);
    return page(reply, 'notice', `${notice.villageName}兜底保障对象公示`, { notice, rawCode: code });
  });

  /** The form for one household of the notice; refused unless the household's notice is running now. */
  async function openRow(code: string, caseNumber: string): Promise<{ notice: PublicNotice; row: PublicNotice['rows'][number] }> {
    const notice = await engine.publicNotice(code);
    const row = notice.rows.find((r) => r.caseNumber === caseNumber);
    if (!row) throw errors.publicNoticeNotFound();
    if (!row.open) throw errors.publicNoticeClosed();
    return { notice, row };
  }

  function showForm(request: FastifyRequest, reply: FastifyReply, code: string, opened: Awaited<ReturnType<typeof openRow>>, extra: Record<string, unknown> = {}, status = 200) {
    let browser = request.cookies?.[PUBLIC_COOKIE];
    if (!browser || browser.length < 16 || browser.length > 64) {
      browser = tokens.newBrowserId();
      reply.setCookie(PUBLIC_COOKIE, browser, { path: PUBLIC, httpOnly: true, sameSite: 'strict', secure: cookieIsSecure(request, config.cookieSecure), maxAge: 24 * 3600 });
    }
    const now = engine.deps.wallClock?.now() ?? new Date();
    const receipt = receiptOf(chinaDate(engine.deps.clock.now().toISOString()), randomBytes(5));
    const token = tokens.mint({ code, caseNumber: opened.row.caseNumber, receipt }, browser, now);
    return page(reply, 'objection', '网上提出异议', { notice: opened.notice, row: opened.row, rawCode: code, token, values: {}, fields: [], ...extra }, status);
  }

  app.get('/documents/:code/objection', async (request, reply) => {
    const { code } = parse(codeParams, request.params);
    const q = parse(formQuery, request.query);
    return showForm(request, reply, code, await openRow(code, q.case));
  });

  app.post(
    '/documents/:code/objection',
    {
      config: {
        rateLimit: config.publicObjectionsPerHour > 0
          ? { max: config.publicObjectionsPerHour, timeWindow: 3600_000, keyGenerator: (r: FastifyRequest) => `pubobj:${r.ip}` }
          : false,
      },
    },
    async (request, reply) => {
      const { code } = parse(codeParams, request.params);
      const form = parse(objectionForm, request.body ?? {});
      const caseNumber = parse(z.strictObject({ caseNumber: caseNumberInput }), { caseNumber: form.caseNumber }).caseNumber;
      // CSRF: posted from our own page, with the token of this form and this browser, still fresh.
      const now = engine.deps.wallClock?.now() ?? new Date();
      const receipt = fromOwnPage(request) ? tokens.verify(form.token, { code, caseNumber }, request.cookies?.[PUBLIC_COOKIE], now) : null;
      if (!receipt) throw errors.publicFormExpired();
      const input = publicObjectionInputSchema.safeParse({ code, caseNumber, name: form.name, contact: form.contact, text: form.text });
      if (!input.success) {
        // The form again, with what was typed and what is wrong: nothing was filed.
        const shown = invalid(input.error);
        const fields = ((shown.details as FieldIssue[] | undefined) ?? []).map((i) => ({ name: i.path, message: i.messageZh ?? i.message }));
        request.log.info({ code: 'VALIDATION_FAILED', statusCode: 400 }, 'public request refused: %s', 'VALIDATION_FAILED');
        return showForm(request, reply, code, await openRow(code, caseNumber), { values: { name: form.name, contact: form.contact, text: form.text }, fields }, 400);
      }
      const lodged = await engine.lodgeOnlineObjection(input.data, { requestId: request.id, receipt });
      return page(reply, 'receipt', '异议已提交', { lodged, rawCode: code }, lodged.replayed ? 200 : 201);
    },
  );

  // ---- checking a printed copy ---------------------------------------------------------------------------

  async function showCheck(reply: FastifyReply, input: unknown) {
    const parsed = parse(documentCheckInputSchema, input);
    const result = await engine.checkDocument(parsed);
    return page(reply, 'check', '核验纸质文件', { result, asked: parsed });
  }

  app.get('/check', async (request, reply) => {
    const q = parse(checkQuery, request.query);
    const code = q.code?.trim() || undefined;
    const sha256 = q.sha256?.trim() || undefined;
    if (!code && !sha256) return page(reply, 'check', '核验纸质文件', { result: null, asked: {} });
    return showCheck(reply, { ...(code ? { code } : {}), ...(sha256 ? { sha256 } : {}) });
  });

  // The upload: multipart parsed in this scope only, one file of at most MAX_UPLOAD bytes, hashed here.
  await app.register(async (scope) => {
    await scope.register(fastifyMultipart, { attachFieldsToBody: 'keyValues', limits: { fileSize: MAX_UPLOAD, files: 1, fields: 3, fieldSize: 200, parts: 4 } });
    const reached = new WeakSet<FastifyRequest>();
    scope.setErrorHandler(async (error, request, reply) => {
      const unparsable = !reached.has(request) && !(error instanceof AppError) && typeof (error as { statusCode?: unknown }).statusCode !== 'number';
      const tooLarge = (error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE';
      const shown = tooLarge
        ? errors.validationFailed([{ path: 'file', message: 'file too large', messageZh: `文件超过 ${MAX_UPLOAD / 1024 / 1024} MB，不是本系统出具的文件` }])
        : unparsable ? errors.badRequest('malformed multipart body') : error;
      return renderPublicError(ctx, shown, request, reply);
    });
    scope.post('/check', async (request, reply) => {
      reached.add(request);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const unknown = Object.keys(body).filter((k) => !['file', 'code'].includes(k));
      if (unknown.length) throw errors.validationFailed(unknown.map((k) => ({ path: k, message: 'unknown field', messageZh: '不允许的字段' })));
      const file = body.file;
      if (!Buffer.isBuffer(file) || file.length === 0) throw errors.validationFailed([{ path: 'file', message: 'choose a file', messageZh: '请选择要核验的 PDF 文件' }]);
      const code = typeof body.code === 'string' && body.code.trim() ? body.code.trim() : Buffer.isBuffer(body.code) ? body.code.toString('utf8').trim() || undefined : undefined;
      const sha256 = createHash('sha256').update(file).digest('hex');
      return showCheck(reply, { ...(code ? { code } : {}), sha256 });
    });
  });
}
