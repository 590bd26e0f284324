/**
 * 管理 · 节假日安排: a year's public holidays and make-up working days (调休上班), as loaded, and loading a new
 * one in the calendar file format of PUT /calendar/:year (src/time/calendarFile.ts, e.g. docs/calendar-2025.json):
 * pasted into the text box or uploaded as a file (multipart, parsed in this file's own scope only). The
 * version read is sent as If-Match, so a year changed meanwhile by someone else is refused. Province-wide
 * admins load; the engine refuses anyone else.
 */
import fastifyMultipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, errors, type FieldIssue } from '../../errors.js';
import { MAX_CALENDAR_YEAR, MIN_CALENDAR_YEAR } from '../../time/calendarFile.js';
import { chinaDateOf } from '../../time/calendar.js';
import { requireConsoleRole } from '../access.js';
import { pageData, type ConsoleContext } from '../context.js';
import { shownError, type ShownError } from '../messages.js';
import { sendHtml } from '../render.js';
import { CONSOLE, consoleMultipartCsrf, redirect, who } from '../session.js';

const MAX_FILE = 64 * 1024;
const yearOf = z.coerce.number().int().min(MIN_CALENDAR_YEAR).max(MAX_CALENDAR_YEAR);
const WEEKDAYS = ['日', '一', '二', '三', '四', '五', '六'];

/** A calendar file problem in Chinese: where (节假日第 4 条的日期) and what. */
export function calendarIssueZh(issue: FieldIssue): string {
  const m = /^body(?:\.(holidays|workdays)(?:\[(\d+)\])?(?:\.(date|name))?|\.(year|scope))?/.exec(issue.path);
  const list = m?.[1] === 'holidays' ? '节假日' : m?.[1] === 'workdays' ? '调休上班日' : null;
  const where = list ? `${list}${m?.[2] !== undefined ? `第 ${Number(m[2]) + 1} 条` : ''}${m?.[3] === 'name' ? '的名称' : m?.[3] === 'date' ? '的日期' : ''}` : m?.[4] === 'year' ? '年份' : m?.[4] === 'scope' ? '适用范围' : '文件';
  const msg = issue.message;
  let what: RegExpExecArray | null;
  if ((what = /^(\d{4}-\d{2}-\d{2}) is not in (\d{4})$/.exec(msg))) return `${where}：${what[1]} 不在 ${what[2]} 年内`;
  if ((what = /^(\d{4}-\d{2}-\d{2}) is listed twice/.exec(msg))) return `${where}：${what[1]} 重复列出`;
  if ((what = /^(\d{4}-\d{2}-\d{2}) is both a holiday/.exec(msg))) return `${where}：${what[1]} 不能既是节假日又是调休上班日`;
  if ((what = /^(\d{4}-\d{2}-\d{2}) is a \w+day: a make-up/.exec(msg))) return `${where}：${what[1]} 不是周六或周日，调休上班日只能在周末`;
  if ((what = /^expected (\d{4}), the year in the path$/.exec(msg))) return `${where}：文件中的年份须为 ${what[1]} 年（与所选年份一致）`;
  if (/YYYY-MM-DD|date/i.test(msg)) return `${where}：日期须为真实存在的日期，写作 YYYY-MM-DD`;
  if (/at most 60/.test(msg)) return `${where}：名称最多 60 个字`;
  if (/at most 366/.test(msg)) return `${where}：最多 366 天`;
  if (/Unrecognized key|unrecognized/i.test(msg)) return `${where}：有无法识别的字段`;
  if (/global/.test(msg)) return `${where}：节假日安排全国统一，适用范围只能是 global`;
  if (/year/.test(msg)) return `${where}：年份须为 ${MIN_CALENDAR_YEAR}～${MAX_CALENDAR_YEAR} 之间的整数`;
  return `${where}：格式不正确`;
}

export async function adminCalendarPages(app: FastifyInstance, ctx: ConsoleContext) {
  const { engine, renderer } = ctx;
  const gate = requireConsoleRole('admin');

  async function show(request: FastifyRequest, reply: FastifyReply, year: number, opts: { error?: ShownError | null; issues?: string[]; text?: string; saved?: boolean; status?: number; version?: number } = {}) {
    const p = who(request).principal;
    const r = await engine.calendarYear(p, year);
    const now = engine.deps.clock.now();
    const thisYear = Number(chinaDateOf(now).slice(0, 4));
    const day = (d: { date: string; name: string }) => ({ ...d, weekday: `星期${WEEKDAYS[new Date(`${d.date}T00:00:00Z`).getUTCDay()]}` });
    return sendHtml(
      reply,
      renderer.render('adminCalendar', {
        ...pageData(request, `${year} 年节假日安排`),
        year,
        years: Array.from({ length: 4 }, (_, i) => thisYear - 1 + i),
        holidays: r.view.holidays.map(day),
        workdays: r.view.workdays.map(day),
        loaded: r.version > 0,
        // The version the person read: kept across a refused upload, so a stale one stays refused.
        version: opts.version ?? r.version,
        currentVersion: r.version,
        updatedBy: r.updatedBy,
        mayLoad: p.region.length <= 2,
        error: opts.error ?? null,
        issues: opts.issues ?? [],
        text: opts.text ?? '',
        saved: !!opts.saved,
        example: JSON.stringify({ year, holidays: [{ date: `${year}-01-01`, name: '元旦' }], workdays: [] }),
      }),
      opts.status ?? 200,
    );
  }

  app.get('/admin/calendar', { preHandler: gate }, async (request, reply) => {
    const q = request.query as { year?: string; saved?: string };
    const parsed = yearOf.safeParse(q.year ?? Number(chinaDateOf(engine.deps.clock.now()).slice(0, 4)));
    if (!parsed.success) throw errors.validationFailed([{ path: 'year', message: `年份须为 ${MIN_CALENDAR_YEAR}～${MAX_CALENDAR_YEAR}` }]);
    return show(request, reply, parsed.data, { saved: q.saved === '1' });
  });

  // The upload: multipart (a file, or the text box) parsed in this scope only; a plain form (text box) too.
  await app.register(async (scope) => {
    await scope.register(fastifyMultipart, { attachFieldsToBody: 'keyValues', limits: { fileSize: MAX_FILE, files: 1, fields: 10, fieldSize: MAX_FILE } });
    // A body the multipart parser cannot read (cut short, a part without headers: busboy throws a plain Error,
    // without a status) is the sender's mistake, not ours: BAD_REQUEST, shown by the console's error page
    // (an error handler that throws hands the error to the parent's). Found by tests/faults/consoleFuzz.test.ts.
    const reachedHandler = new WeakSet<FastifyRequest>();
    scope.setErrorHandler(async (error, request) => {
      const unparsable = !reachedHandler.has(request) && !(error instanceof AppError) && typeof (error as { statusCode?: unknown }).statusCode !== 'number';
      throw unparsable ? errors.badRequest('malformed multipart body') : error;
    });
    scope.post('/admin/calendar', { preHandler: gate, preValidation: consoleMultipartCsrf, config: { consoleMultipart: true } }, async (request, reply) => {
      reachedHandler.add(request);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const text = (v: unknown) => (Buffer.isBuffer(v) ? v.toString('utf8') : typeof v === 'string' ? v : '');
      const year = yearOf.safeParse(text(body.year));
      if (!year.success) throw errors.validationFailed([{ path: 'year', message: '请选择年份' }]);
      const version = z.coerce.number().int().min(0).safeParse(text(body.version));
      const fileText = text(body.file).trim();
      const pasted = text(body.text).trim();
      const source = fileText || pasted;
      const again = (opts: Parameters<typeof show>[3]) => show(request, reply, year.data, { text: pasted, version: version.success ? version.data : undefined, ...opts });
      const refuse = (message: string, issues: string[] = [], status = 400) =>
        again({ error: { code: 'VALIDATION_FAILED', status, message, fields: {}, stale: false }, issues, status });
      if (!source) return refuse('请粘贴节假日安排文件的内容，或选择要上传的文件');
      let file: unknown;
      try {
        file = JSON.parse(source);
      } catch (err) {
        return refuse('文件不是有效的 JSON 格式', [`${(err as Error).message}`.replace(/^Unexpected/, '无法识别的内容：Unexpected')]);
      }
      try {
        await engine.replaceCalendar(who(request).principal, year.data, file, version.success ? version.data : undefined);
      } catch (err) {
        const shown = shownError(err, request.id);
        if (shown.code === 'INTERNAL') throw err;
        if (err instanceof AppError && err.code === 'VALIDATION_FAILED') {
          return refuse('文件内容有误，未作任何更改', ((err.details as FieldIssue[] | undefined) ?? []).map(calendarIssueZh), 400);
        }
        if (shown.code === 'FORBIDDEN') shown.message = '节假日安排全国统一，只有全省范围的管理员可以上传';
        return again({ error: shown, status: shown.status });
      }
      return redirect(request, reply, `${CONSOLE}/admin/calendar?year=${year.data}&saved=1`);
    });
  });
}
