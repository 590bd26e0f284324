// 管理: the administrators' menu. Each screen is its own route file (adminUsers, adminCare, adminCalendar,
// adminDeadlines, adminWebhooks); every one checks the role again through the engine or the route's gate.
import type { FastifyInstance } from 'fastify';
import { pageData, type ConsoleContext } from '../context.js';
import { requireConsoleRole } from '../access.js';
import { sendHtml } from '../render.js';
import { who } from '../session.js';

export async function adminPages(app: FastifyInstance, ctx: ConsoleContext) {
  app.get('/admin', { preHandler: requireConsoleRole('admin') }, async (request, reply) => {
    const user = who(request);
    const provinceWide = user.principal.region.length <= 2;
    return sendHtml(reply, ctx.renderer.render('admin', { ...pageData(request, '管理'), provinceWide }));
  });
}
