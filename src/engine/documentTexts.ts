/**
 * The document texts setting (文书设置, src/documents/texts.ts) for admins: read a scope's override and the texts
 * in effect there, replace a scope's override with If-Match — the rules of every scoped setting (README "Settings
 * and their scope"): an admin reads the scopes above their jurisdiction and inside it, and changes only scopes
 * inside it (global: a province-wide admin). Texts are read from the database each time a document is printed, so
 * a change applies to the next document in every process.
 */
import { listSettingScopes, putSetting, type SettingRow } from '../db/settings.js';
import { DOCUMENTS_SETTING, documentTextsOverrideSchema, resolveDocumentTexts, type DocumentTextsOverride } from '../documents/texts.js';
import { errors, type FieldIssue } from '../errors.js';
import { GLOBAL_SCOPE, jurisdictionCoversScope, jurisdictionSeesScope, scopeChain, scopeOfJurisdiction } from '../time/timeSettings.js';
import type { EngineDeps, Principal } from './types.js';

function assertAdmin(p: Principal): void {
  if (!p.roles.includes('admin')) throw errors.forbidden({ roles: ['admin'] });
}

const overrideOf = (row: SettingRow | undefined): DocumentTextsOverride => {
  const parsed = row ? documentTextsOverrideSchema.safeParse(row.value) : null;
  return parsed?.success ? parsed.data : {};
};

export function createDocumentTexts(deps: EngineDeps) {
  const { db, clock, logger } = deps;

  function view(scope: string, rows: SettingRow[]) {
    const own = rows.find((r) => r.scope === scope);
    const chain = scopeChain(scope === GLOBAL_SCOPE ? '' : scope);
    return {
      scope,
      version: own?.version ?? 0,
      override: overrideOf(own),
      // In effect at this scope (placeholders such as {county} are filled per village when printed).
      effective: resolveDocumentTexts(chain.map((s) => overrideOf(rows.find((r) => r.scope === s)))),
      chain: chain.map((s) => ({ scope: s, version: rows.find((r) => r.scope === s)?.version ?? 0 })),
      updatedBy: own?.updatedBy ?? null,
      updatedAt: own?.updatedAt?.toISOString() ?? null,
    };
  }

  /** GET /settings/documents[/:scope]: a scope the admin sees (default: the narrowest one of their jurisdiction). */
  async function documentTextSettings(p: Principal, scopeParam?: string) {
    assertAdmin(p);
    const scope = scopeParam ?? scopeOfJurisdiction(p.region);
    if (!jurisdictionSeesScope(p.region, scope)) throw errors.forbidden({ roles: ['admin'], jurisdiction: scope }, `Scope ${scope} is outside your jurisdiction ${p.region}`);
    return view(scope, await listSettingScopes(db, DOCUMENTS_SETTING));
  }

  /** PUT /settings/documents/:scope: replaces the scope's override (fields left out follow wider scopes; {} drops it). */
  async function replaceDocumentTexts(p: Principal, scope: string, body: unknown, ifMatch: number | undefined) {
    assertAdmin(p);
    if (!jurisdictionCoversScope(p.region, scope)) throw errors.forbidden({ roles: ['admin'], jurisdiction: scope }, `Scope ${scope} is not inside your jurisdiction ${p.region}`);
    const parsed = documentTextsOverrideSchema.safeParse(body);
    if (!parsed.success) {
      const issues: FieldIssue[] = parsed.error.issues.flatMap((i) =>
        i.code === 'unrecognized_keys'
          ? i.keys.map((k) => ({ path: ['body', ...i.path, k].join('.'), message: 'unknown field', messageZh: '不允许的字段（接口未定义此字段）' }))
          : [{ path: ['body', ...i.path].join('.'), message: i.message }],
      );
      throw errors.validationFailed(issues);
    }
    // A township office belongs to the scope that covers its township.
    const outside = Object.keys(parsed.data.townships ?? {}).filter((t) => scope !== GLOBAL_SCOPE && !t.startsWith(scope));
    if (outside.length) throw errors.validationFailed(outside.map((t) => ({ path: `body.townships.${t}`, message: `township ${t} is not in scope ${scope}`, messageZh: `乡镇 ${t} 不在范围 ${scope} 内` })));
    const rows = await listSettingScopes(db, DOCUMENTS_SETTING);
    const current = rows.find((r) => r.scope === scope)?.version ?? 0;
    if (ifMatch === undefined) throw errors.preconditionRequired(current);
    const r = await putSetting(db, DOCUMENTS_SETTING, scope, parsed.data, ifMatch, p.username, clock.now());
    if (!r.ok) throw errors.settingVersionConflict({ setting: DOCUMENTS_SETTING, scope, expectedVersion: ifMatch, currentVersion: r.currentVersion });
    logger.info({ admin: p.username, scope, version: r.row.version, previousVersion: ifMatch, fields: Object.keys(parsed.data) }, 'document texts changed');
    return view(scope, [...rows.filter((x) => x.scope !== scope), r.row]);
  }

  return { documentTextSettings, replaceDocumentTexts };
}
