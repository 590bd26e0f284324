/**
 * 登录 / 修改密码 / 退出: the console's sign-in pages, over the same accounts module and the same failure
 * limits as POST /auth/sign-in (src/http/signIn.ts).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { errors } from '../../errors.js';
import { setSessionCookie } from '../../http/auth.js';
import { createPasswordSignIn, requestOrigin } from '../../http/signIn.js';
import { pageData, type ConsoleContext } from '../context.js';
import { shownError } from '../messages.js';
import { sendHtml } from '../render.js';
import { CONSOLE, fromOwnPage, redirect, safeNext, who } from '../session.js';
import { formIssues } from '../forms.js';

const signInForm = z.strictObject({
  username: z.string().trim().min(1, '请输入用户名').max(64, '用户名最多 64 个字符'),
  password: z.string().min(1, '请输入密码').max(1024, '密码过长'),
  next: z.string().max(500).optional(),
});

const passwordForm = z.strictObject({
  currentPassword: z.string().min(1, '请输入当前密码').max(1024),
  newPassword: z.string().min(1, '请输入新密码').max(1024),
  confirmPassword: z.string().max(1024),
});

export async function signInPages(app: FastifyInstance, ctx: ConsoleContext) {
  const { engine, config, renderer } = ctx;
  const passwordSignIn = createPasswordSignIn(app, engine, config);
  const render = (template: string, data: Record<string, unknown>) => renderer.render(template, data);

  app.get('/login', { config: { consolePublic: true, public: true } }, async (request, reply) => {
    const q = request.query as { next?: string };
    return sendHtml(reply, render('login', { ...pageData(request, '登录'), next: safeNext(q.next), username: '', error: null, sso: !!config.oidc }));
  });

  app.post('/login', { config: { consolePublic: true, public: true } }, async (request, reply) => {
    // The form comes from our own page: a post from another site (a login-CSRF) is refused.
    if (!fromOwnPage(request)) throw errors.forbidden({}, 'cross-site sign-in');
    const parsed = signInForm.safeParse(request.body ?? {});
    const username = typeof (request.body as { username?: unknown })?.username === 'string' ? String((request.body as { username: string }).username).slice(0, 64) : '';
    const next = safeNext((request.body as { next?: unknown })?.next);
    if (!parsed.success) {
      const error = shownError(errors.validationFailed(formIssues(parsed.error)), request.id);
      return sendHtml(reply, render('login', { ...pageData(request, '登录'), next, username, error, sso: !!config.oidc }), 400);
    }
    try {
      const user = await passwordSignIn(request, parsed.data);
      const started = await engine.accounts.startSession(user, { ...requestOrigin(request), previous: request.cookies?.doudi_session, via: 'password' });
      setSessionCookie(reply, request, config.cookieSecure, started.cookie, config.sessionTtlSeconds);
      return redirect(request, reply, user.mustChangePassword ? `${CONSOLE}/password` : next);
    } catch (err) {
      const error = shownError(err, request.id);
      if (error.code === 'INTERNAL') throw err;
      if (error.code === 'TOO_MANY_ATTEMPTS') reply.header('retry-after', String((err as { details?: { retryAfterSeconds?: number } }).details?.retryAfterSeconds ?? 60));
      return sendHtml(reply, render('login', { ...pageData(request, '登录'), next, username, error, sso: !!config.oidc }), error.status);
    }
  });

  app.get('/password', { config: { allowPasswordChange: true } }, async (request, reply) => {
    const user = who(request);
    return sendHtml(reply, render('password', { ...pageData(request, '修改密码'), forced: user.mustChangePassword, error: null, done: false }));
  });

  app.post('/password', { config: { allowPasswordChange: true } }, async (request, reply) => {
    const user = who(request);
    const show = (error: unknown, status: number) =>
      sendHtml(reply, render('password', { ...pageData(request, '修改密码'), forced: user.mustChangePassword, error: shownError(error, request.id), done: false }), status);
    const parsed = passwordForm.safeParse(request.body ?? {});
    if (!parsed.success) return show(errors.validationFailed(formIssues(parsed.error)), 400);
    if (parsed.data.newPassword !== parsed.data.confirmPassword) {
      return show(errors.validationFailed([{ path: 'confirmPassword', message: '两次输入的新密码不一致' }]), 400);
    }
    try {
      await engine.accounts.changePassword(user.principal.id, parsed.data, { ...requestOrigin(request), keepSession: request.cookies?.doudi_session });
    } catch (err) {
      const shown = shownError(err, request.id);
      if (shown.code === 'INTERNAL') throw err;
      return show(err, shown.status);
    }
    return sendHtml(reply, render('password', { ...pageData(request, '修改密码'), forced: false, error: null, done: true }));
  });

  app.post('/logout', { config: { allowPasswordChange: true } }, async (request, reply) => {
    const cookie = request.cookies?.doudi_session;
    if (cookie) await engine.accounts.endSession(cookie, request.consoleUser?.principal ?? null, requestOrigin(request));
    setSessionCookie(reply, request, config.cookieSecure, null);
    return redirect(request, reply, `${CONSOLE}/login`);
  });
}
