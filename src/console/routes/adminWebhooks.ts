/**
 * 管理 · 消息推送 (webhooks): where reminders about cases in a region are posted. List, register (the signing
 * secret shown this once; a URL pointing at a private, loopback or other non-public address is refused, with
 * the reason in Chinese next to the field), switch off and on (the engine has no delete: a webhook switched
 * off gets nothing and its pending deliveries are held). Through the engine's webhook commands, as /webhooks.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, errors } from '../../errors.js';
import { fieldAttrs, fieldId, formError, regionChoices, regionNamer } from '../admin.js';
import { requireConsoleRole } from '../access.js';
import { pageData, type ConsoleContext } from '../context.js';
import { formIssues } from '../forms.js';
import { shownError, type ShownError } from '../messages.js';
import { sendHtml } from '../render.js';
import { CONSOLE, redirect, who } from '../session.js';

const webhookForm = z.strictObject({
  regionPrefix: z.string({ error: '请选择地区' }).regex(/^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$/, '请选择地区'),
  url: z.string({ error: '请输入推送地址' }).trim().min(1, '请输入推送地址').max(2000, '推送地址最多 2000 个字符'),
});
const FIELD_ZH = {
  url: '请输入以 http:// 或 https:// 开头的完整地址，地址中不要包含用户名或密码',
  regionPrefix: '只能选择您管辖范围内的地区',
};
const idParams = z.object({ id: z.uuid() });

export async function adminWebhookPages(app: FastifyInstance, ctx: ConsoleContext) {
  const { engine, renderer } = ctx;
  const gate = { preHandler: requireConsoleRole('admin') };

  async function show(request: FastifyRequest, reply: FastifyReply, opts: { values?: Record<string, unknown>; error?: ShownError | null; created?: unknown; status?: number; done?: string | null } = {}) {
    const p = who(request).principal;
    const nameOf = await regionNamer(engine, p.region);
    const hooks = await engine.webhooks(p);
    const error = opts.error ?? null;
    return sendHtml(
      reply,
      renderer.render('adminWebhooks', {
        ...pageData(request, '消息推送'),
        items: hooks.map((h) => ({ ...h, regionName: nameOf(h.regionPrefix) })),
        regions: await regionChoices(engine, p.region, { levels: ['province', 'prefecture', 'county', 'township'] }),
        values: opts.values ?? { regionPrefix: p.region },
        created: opts.created ?? null,
        done: opts.done ?? null,
        error,
        fa: (n: string) => fieldAttrs(error, n),
        fid: fieldId,
        fe: (n: string) => error?.fields[n] ?? '',
      }),
      opts.status ?? 200,
    );
  }

  app.get('/admin/webhooks', gate, async (request, reply) => {
    const done = (request.query as { done?: string } | undefined)?.done;
    return show(request, reply, { done: done === 'off' ? '已停用该推送地址。' : done === 'on' ? '已重新启用该推送地址。' : null });
  });

  app.post('/admin/webhooks', gate, async (request, reply) => {
    const p = who(request).principal;
    const values = (request.body ?? {}) as Record<string, unknown>;
    const parsed = webhookForm.safeParse(values);
    if (!parsed.success) return show(request, reply, { values, error: formError(errors.validationFailed(formIssues(parsed.error)), request.id), status: 400 });
    try {
      const created = await engine.registerWebhook(p, parsed.data);
      reply.header('cache-control', 'no-store');
      const nameOf = await regionNamer(engine, p.region);
      return show(request, reply, { created: { ...created, regionName: nameOf(created.regionPrefix) }, status: 201 });
    } catch (err) {
      const reason = err instanceof AppError && err.code === 'WEBHOOK_TARGET_REFUSED' ? String((err.details as { reason?: string } | undefined)?.reason ?? '') : null;
      const shown = formError(err, request.id, FIELD_ZH, {
        FORBIDDEN: { field: 'regionPrefix', message: FIELD_ZH.regionPrefix },
        ...(reason !== null ? { WEBHOOK_TARGET_REFUSED: { field: 'url', message: `${shownError(err, request.id).message}。如确需使用，请联系运维人员将该主机加入允许列表。` } } : {}),
      });
      if (shown.code === 'INTERNAL') throw err;
      return show(request, reply, { values, error: shown, status: shown.status });
    }
  });

  for (const [path, active] of [['off', false], ['on', true]] as const) {
    app.post(`/admin/webhooks/:id/${path}`, gate, async (request, reply) => {
      const params = idParams.safeParse(request.params);
      if (!params.success) throw errors.notFound();
      await engine.updateWebhook(who(request).principal, params.data.id, { active });
      return redirect(request, reply, `${CONSOLE}/admin/webhooks?done=${path}`);
    });
  }
}
