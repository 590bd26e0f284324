/**
 * 演示时钟: with DEMO_CLOCK=on (the default in development, refused in production) an administrator moves the
 * service's clock forward, so that a training session can see a 7-day public notice end, a deadline pass or a
 * revisit fall due without waiting. The same DemoClock as POST /admin/clock; the scheduler in this process
 * then fires what became due.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { errors } from '../../errors.js';
import type { DemoClock } from '../../time/clock.js';
import { pageData, type ConsoleContext } from '../context.js';
import { formIssues } from '../forms.js';
import { sendHtml } from '../render.js';
import { CONSOLE, redirect, who } from '../session.js';

const advanceForm = z.strictObject({
  advanceDays: z.coerce.number({ message: '请输入天数' }).int('请输入整数天数').min(1, '天数为 1 至 366').max(366, '天数为 1 至 366'),
});

export async function demoClockPages(app: FastifyInstance, ctx: ConsoleContext, demoClock: DemoClock) {
  const isAdmin = (request: Parameters<typeof who>[0]) => who(request).principal.roles.includes('admin');

  app.get('/demo-clock', async (request, reply) => {
    if (!isAdmin(request)) throw errors.forbidden({ roles: ['admin'] });
    const moved = (request.query as { moved?: string }).moved;
    return sendHtml(reply, ctx.renderer.render('demoClock', { ...pageData(request, '演示时钟'), now: demoClock.now(), moved: moved && /^\d{1,3}$/.test(moved) ? Number(moved) : null }));
  });

  app.post('/demo-clock', async (request, reply) => {
    if (!isAdmin(request)) throw errors.forbidden({ roles: ['admin'] });
    const parsed = advanceForm.safeParse(request.body ?? {});
    if (!parsed.success) throw errors.validationFailed(formIssues(parsed.error));
    const now = demoClock.advance(parsed.data.advanceDays * 86_400_000);
    request.log.warn({ advanceDays: parsed.data.advanceDays, now: now.toISOString(), actorId: who(request).principal.id }, 'demo clock moved forward from the console');
    return redirect(request, reply, `${CONSOLE}/demo-clock?moved=${parsed.data.advanceDays}`);
  });
}
