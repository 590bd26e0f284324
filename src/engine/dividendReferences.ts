/**
 * The 120% rule's reference per village and year (一般贫困户集体经济分红): what a general poor household gets of the
 * collective dividend. An admin setting, jurisdiction-scoped (an admin whose jurisdiction covers the village),
 * versioned with If-Match like the other settings, each change appended to setting_history in its transaction.
 */
import { z } from 'zod';
import { dividendCheck } from '../domain/income.js';
import { fenOfYuan } from '../domain/money.js';
import { appendSettingHistory, findRegion, getDividendReference, listDividendReferences, putDividendReference } from '../db/index.js';
import { errors } from '../errors.js';
import { inJurisdiction } from './access.js';
import { money } from './income.js';
import { parseOrFail, yuanSchema } from './moneyInput.js';
import type { CommandMeta, EngineDeps, Principal } from './types.js';

export const dividendReferenceInputSchema = z.strictObject({ amount: yuanSchema });

/** What the 120% rule requires of a safety-net household against a reference. */
const requiredOf = (referenceFen: number) => {
  const c = dividendCheck(0, referenceFen);
  return c.status === 'no_reference' ? 0 : c.requiredFen;
};

export function createDividendReferences(deps: EngineDeps) {
  const { db, clock, logger } = deps;

  function assertAdmin(p: Principal) {
    if (!p.roles.includes('admin')) throw errors.forbidden({ roles: ['admin'] });
  }

  function referenceView(villageCode: string, year: number, r: { amountFen: number; version: number; updatedBy: string; updatedAt: Date } | null) {
    return {
      villageCode,
      year,
      reference: r ? money(r.amountFen) : null,
      required: r ? money(requiredOf(r.amountFen)) : null,
      version: r?.version ?? 0,
      updatedBy: r?.updatedBy ?? null,
      updatedAt: r?.updatedAt.toISOString() ?? null,
    };
  }

  /** GET /settings/dividend-references?year=: the villages' references of a year inside the admin's jurisdiction. */
  async function dividendReferences(p: Principal, q: { year: number }) {
    assertAdmin(p);
    const found = await listDividendReferences(db, { prefix: p.region, year: q.year });
    return { year: q.year, items: found.map((r) => referenceView(r.villageCode, r.year, r)) };
  }

  async function dividendReference(p: Principal, villageCode: string, year: number) {
    assertAdmin(p);
    if (!inJurisdiction(p, villageCode)) throw errors.forbidden({ roles: ['admin'], jurisdiction: villageCode }, `Village ${villageCode} is outside your jurisdiction ${p.region}`);
    return referenceView(villageCode, year, await getDividendReference(db, villageCode, year));
  }

  /**
   * PUT /settings/dividend-references/:village/:year: a general poor household's collective dividend in the village
   * that year (the 120% rule's reference). An admin whose jurisdiction covers the village; If-Match required ("0"
   * for one never set); the change and its history row commit together.
   */
  async function setDividendReference(meta: CommandMeta, villageCode: string, year: number, body: unknown, ifMatch: number | undefined) {
    const p = meta.principal;
    assertAdmin(p);
    if (!inJurisdiction(p, villageCode)) throw errors.forbidden({ roles: ['admin'], jurisdiction: villageCode }, `Village ${villageCode} is outside your jurisdiction ${p.region}`);
    const input = parseOrFail(dividendReferenceInputSchema, body);
    const village = await findRegion(db, villageCode);
    if (!village || village.level !== 'village') {
      throw errors.validationFailed([{ path: 'params.villageCode', message: `no village ${villageCode}`, messageZh: `没有区划代码为 ${villageCode} 的村` }]);
    }
    const amountFen = fenOfYuan(input.amount)!;
    const at = clock.now();
    const setting = `dividend_reference:${year}`;
    const row = await db.transaction(async (tx) => {
      const current = await getDividendReference(tx, villageCode, year);
      if (ifMatch === undefined) throw errors.preconditionRequired(current?.version ?? 0);
      const r = await putDividendReference(tx, { villageCode, year, amountFen, expectedVersion: ifMatch, updatedBy: p.username, at });
      if (!r.ok) throw errors.settingVersionConflict({ setting, scope: villageCode, expectedVersion: ifMatch, currentVersion: r.currentVersion });
      await appendSettingHistory(tx, { setting, scope: villageCode, version: r.row.version, value: { amountFen }, actorId: p.id, actorUsername: p.username, requestId: meta.requestId, at });
      return r.row;
    });
    logger.info({ admin: p.username, scope: villageCode, setting, version: row.version, previousVersion: ifMatch, amountFen }, 'dividend reference changed');
    return referenceView(villageCode, year, row);
  }

  return { dividendReferences, dividendReference, setDividendReference };
}
