/**
 * 管理 · 用户: the users inside the admin's jurisdiction (by username, in pages), a new user (the initial
 * password shown this once), changing a user's name, roles, review level and jurisdiction, deactivating and
 * reactivating, and resetting a password (shown once). Deactivation and reset ask on a page of their own first.
 * All through the accounts module, as /users does: a user outside the jurisdiction does not exist here.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { reviewLevels } from '../../../machines/index.js';
import { GRANTABLE_ROLES, type AccountView } from '../../engine/accounts.js';
import { errors } from '../../errors.js';
import { levelLabels, roleLabels } from '../../labels.js';
import { requestOrigin } from '../../http/signIn.js';
import { fieldAttrs, fieldId, formError, regionChoices, regionNamer } from '../admin.js';
import { requireConsoleRole } from '../access.js';
import { pageData, type ConsoleContext } from '../context.js';
import { formIssues, nestForm } from '../forms.js';
import type { ShownError } from '../messages.js';
import { sendHtml } from '../render.js';
import { CONSOLE, redirect, who } from '../session.js';

const PAGE = 30;
const blank = (v: unknown) => (v === '' ? undefined : v);

const username = z.string({ error: '请输入用户名' }).trim().regex(/^[a-z0-9][a-z0-9._-]{2,63}$/, '用户名为 3～64 位小写字母、数字、点、下划线或连字符，以字母或数字开头');
const displayName = z.string({ error: '请输入姓名' }).trim().min(1, '请输入姓名').max(100, '姓名最多 100 个字');
const roles = z.array(z.enum(GRANTABLE_ROLES, { error: '请选择列出的角色' }), { error: '请至少选择一个角色' }).min(1, '请至少选择一个角色');
const reviewLevel = z.preprocess(blank, z.enum(reviewLevels, { error: '请选择审核层级' }).optional());
const jurisdiction = z.string({ error: '请选择管辖范围' }).regex(/^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$/, '请选择管辖范围');

const userForm = z.strictObject({ displayName, roles, reviewLevel, jurisdiction });
const newUserForm = userForm.extend({ username });

const listQuery = z.strictObject({
  after: z.preprocess(blank, z.string().max(64).optional()),
  active: z.preprocess(blank, z.enum(['true', 'false']).optional()),
});

/** The engine's English field problems, in Chinese. */
const FIELD_ZH = {
  username: '用户名格式不正确',
  roles: '所选角色不能授予',
  reviewLevel: '审核人员须选择审核层级；其他角色不设审核层级',
  jurisdiction: '只能授予您管辖范围内的地区',
};
const BY_CODE = {
  USER_CONFLICT: { field: 'username', message: '该用户名已被使用，请换一个' },
};

const usernameParam = z.object({ username: z.string().regex(/^[a-z0-9][a-z0-9._-]{2,63}$/) });

export async function adminUserPages(app: FastifyInstance, ctx: ConsoleContext) {
  const { engine, renderer } = ctx;
  const accounts = engine.accounts;
  const gate = { preHandler: requireConsoleRole('admin') };

  async function formChoices(request: FastifyRequest) {
    const admin = who(request).principal;
    return {
      roleChoices: GRANTABLE_ROLES.map((r) => ({ value: r, label: roleLabels[r] })),
      levelChoices: reviewLevels.map((l) => ({ value: l, label: levelLabels[l] })),
      regions: await regionChoices(engine, admin.region, { levels: ['province', 'prefecture', 'county', 'township', 'village'] }),
    };
  }

  const withFieldHelpers = (error: ShownError | null) => ({
    error,
    fa: (name: string) => fieldAttrs(error, name),
    fid: fieldId,
    fe: (name: string) => error?.fields[name] ?? '',
  });

  async function loadUser(request: FastifyRequest): Promise<AccountView> {
    const parsed = usernameParam.safeParse(request.params);
    if (!parsed.success) throw errors.notFound();
    return accounts.getUserByUsername(who(request).principal, parsed.data.username);
  }

  // ---- list ---------------------------------------------------------------------------------------------
  app.get('/admin/users', gate, async (request, reply) => {
    const admin = who(request).principal;
    const parsed = listQuery.safeParse(request.query ?? {});
    if (!parsed.success) throw errors.validationFailed(formIssues(parsed.error));
    const q = parsed.data;
    const page = await accounts.listUsers(admin, { after: q.after, limit: PAGE, active: q.active === undefined ? undefined : q.active === 'true' });
    const nameOf = await regionNamer(engine, admin.region);
    const base = `${CONSOLE}/admin/users`;
    const link = (more: Record<string, string>) => {
      const p = new URLSearchParams();
      if (q.active) p.set('active', q.active);
      for (const [k, v] of Object.entries(more)) p.set(k, v);
      const s = p.toString();
      return s ? `${base}?${s}` : base;
    };
    return sendHtml(
      reply,
      renderer.render('adminUsers', {
        ...pageData(request, '用户'),
        items: page.items.map((u) => ({ ...u, jurisdictionName: nameOf(u.jurisdiction) })),
        active: q.active ?? '',
        paged: !!q.after,
        firstHref: link({}),
        nextHref: page.nextAfter ? link({ after: page.nextAfter }) : null,
      }),
    );
  });

  // ---- create -------------------------------------------------------------------------------------------
  const showNew = async (request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown>, error: ShownError | null, status = 200) =>
    sendHtml(reply, renderer.render('adminUserForm', { ...pageData(request, '新建用户'), mode: 'new', values, ...(await formChoices(request)), ...withFieldHelpers(error) }), status);

  app.get('/admin/users/new', gate, async (request, reply) => showNew(request, reply, { roles: [], jurisdiction: who(request).principal.region }, null));

  app.post('/admin/users', gate, async (request, reply) => {
    const admin = who(request).principal;
    const values = nestForm((request.body ?? {}) as Record<string, unknown>, { arrays: ['roles'] });
    if (!values.roles) values.roles = [];
    const parsed = newUserForm.safeParse(values);
    if (!parsed.success) return showNew(request, reply, values, formError(errors.validationFailed(formIssues(parsed.error)), request.id), 400);
    try {
      const created = await accounts.createUser(
        admin,
        { ...parsed.data, kind: 'person', reviewLevel: parsed.data.reviewLevel ?? null },
        requestOrigin(request),
      );
      const nameOf = await regionNamer(engine, admin.region);
      return sendHtml(
        reply,
        renderer.render('adminUserSecret', {
          ...pageData(request, '用户已创建'),
          user: { ...created.user, jurisdictionName: nameOf(created.user.jurisdiction) },
          password: created.initialPassword,
          what: 'created',
        }),
        201,
      );
    } catch (err) {
      const shown = formError(err, request.id, FIELD_ZH, { ...BY_CODE, FORBIDDEN: { field: 'jurisdiction', message: FIELD_ZH.jurisdiction } });
      if (shown.code === 'INTERNAL') throw err;
      return showNew(request, reply, values, shown, shown.status);
    }
  });

  // ---- one user -----------------------------------------------------------------------------------------
  const DONE: Record<string, string> = { deactivate: '该用户已停用，其登录已全部退出。', reactivate: '该用户已重新启用。' };
  const showEdit = async (request: FastifyRequest, reply: FastifyReply, user: AccountView, values: Record<string, unknown>, error: ShownError | null, status = 200, saved = false) => {
    const done = DONE[String((request.query as { done?: unknown } | undefined)?.done ?? '')] ?? (saved ? '已保存。该用户下次操作时生效。' : null);
    const nameOf = await regionNamer(engine, who(request).principal.region);
    return sendHtml(
      reply,
      renderer.render('adminUserForm', {
        ...pageData(request, `用户 ${user.username}`),
        mode: 'edit',
        user: { ...user, jurisdictionName: nameOf(user.jurisdiction) },
        self: user.id === who(request).principal.id,
        values,
        done,
        ...(await formChoices(request)),
        ...withFieldHelpers(error),
      }),
      status,
    );
  };
  const valuesOf = (u: AccountView) => ({ displayName: u.displayName, roles: u.roles, reviewLevel: u.reviewLevel ?? '', jurisdiction: u.jurisdiction });

  app.get('/admin/users/:username', gate, async (request, reply) => {
    const user = await loadUser(request);
    return showEdit(request, reply, user, valuesOf(user), null);
  });

  app.post('/admin/users/:username', gate, async (request, reply) => {
    const admin = who(request).principal;
    const user = await loadUser(request);
    const values = nestForm((request.body ?? {}) as Record<string, unknown>, { arrays: ['roles'] });
    if (!values.roles) values.roles = [];
    const parsed = userForm.safeParse(values);
    if (!parsed.success) return showEdit(request, reply, user, values, formError(errors.validationFailed(formIssues(parsed.error)), request.id), 400);
    try {
      const updated = await accounts.updateUser(admin, user.id, { ...parsed.data, reviewLevel: parsed.data.reviewLevel ?? null }, requestOrigin(request));
      return showEdit(request, reply, updated, valuesOf(updated), null, 200, true);
    } catch (err) {
      const jurisdictionRefused = err && typeof err === 'object' && 'details' in err && (err as { details?: { jurisdiction?: string } }).details?.jurisdiction;
      const shown = formError(err, request.id, FIELD_ZH, jurisdictionRefused ? { FORBIDDEN: { field: 'jurisdiction', message: FIELD_ZH.jurisdiction } } : {});
      if (shown.code === 'INTERNAL') throw err;
      if (shown.code === 'FORBIDDEN' && !jurisdictionRefused) shown.message = '不能取消您自己的管理员角色，请联系其他管理员';
      return showEdit(request, reply, user, values, shown, shown.status);
    }
  });

  // ---- deactivate / reactivate / reset: a confirmation page first ----------------------------------------
  const ACTIONS = {
    deactivate: { title: '停用用户', question: '停用后该用户将立即退出登录，且不能再登录，直到重新启用。确定停用吗？', button: '确定停用', danger: true },
    reactivate: { title: '重新启用用户', question: '重新启用后该用户可以再次登录。确定启用吗？', button: '确定启用', danger: false },
    'reset-password': { title: '重置密码', question: '重置后该用户的原密码立即失效、所有登录退出，须使用新的临时密码登录并修改密码。确定重置吗？', button: '确定重置', danger: true },
  } as const;
  type Action = keyof typeof ACTIONS;

  for (const action of Object.keys(ACTIONS) as Action[]) {
    app.get(`/admin/users/:username/${action}`, gate, async (request, reply) => {
      const user = await loadUser(request);
      return sendHtml(reply, renderer.render('adminConfirm', { ...pageData(request, ACTIONS[action].title), ...ACTIONS[action], user, action: `${CONSOLE}/admin/users/${user.username}/${action}`, back: `${CONSOLE}/admin/users/${user.username}` }));
    });

    app.post(`/admin/users/:username/${action}`, gate, async (request, reply) => {
      const admin = who(request).principal;
      const user = await loadUser(request);
      try {
        if (action === 'reset-password') {
          const r = await accounts.resetPassword(admin, user.id, requestOrigin(request));
          const nameOf = await regionNamer(engine, admin.region);
          return sendHtml(reply, renderer.render('adminUserSecret', { ...pageData(request, '密码已重置'), user: { ...r.user, jurisdictionName: nameOf(r.user.jurisdiction) }, password: r.temporaryPassword, what: 'reset' }));
        }
        await accounts.setActive(admin, user.id, action === 'reactivate', requestOrigin(request));
      } catch (err) {
        const shown = formError(err, request.id);
        if (shown.code === 'FORBIDDEN') shown.message = '不能停用您自己的账号，请联系其他管理员';
        if (shown.code === 'INTERNAL') throw err;
        return sendHtml(reply, renderer.render('adminConfirm', { ...pageData(request, ACTIONS[action].title), ...ACTIONS[action], user, error: shown, action: `${CONSOLE}/admin/users/${user.username}/${action}`, back: `${CONSOLE}/admin/users/${user.username}` }), shown.status);
      }
      return redirect(request, reply, `${CONSOLE}/admin/users/${user.username}?done=${action}`);
    });
  }
}
