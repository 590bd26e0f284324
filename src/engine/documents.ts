/**
 * Printed documents (文书, issue 15): the engine gathers each document's data from the locked cases (already masked:
 * no full ID number leaves this file towards a PDF), checks every character against the fonts, draws the PDF with a
 * fresh short code and its QR code, and issues it (documentIssue.ts: registry + DOCUMENT_ISSUED in one transaction).
 *
 * Who prints what (role and jurisdiction; a case outside the jurisdiction is CASE_NOT_FOUND, a village outside it
 * FORBIDDEN):
 *   publicity_list   公示名单        officer  — the village's cases now in the public notice
 *   refusal_notice   不予认定通知书   officer  — a rejected case
 *   care_agreement   三方协议        officer  — a case placed in dispersed care with its agreement
 *   revisit_form     回访记录表       visitor or officer — a placed case; blank, or filled from a recorded revisit
 *   exit_notice      退出公告        officer  — a case exiting or exited
 */
import { ageOn, chinaDate, loadCaseSnapshot, topState, type CaseSnapshot, type Role } from '../../machines/index.js';
import { listSettingScopes } from '../db/settings.js';
import { findCase, findRegion, listCaseDocuments, findUserById, listRevisits, listVillageCasesInState, loadHousehold, type CaseRow, type DocumentKind, type Db, type MemberRow } from '../db/index.js';
import { maskResidentId } from '../domain/residentId.js';
import {
  drawCareAgreement,
  drawExitNotice,
  drawPublicityList,
  drawRefusalNotice,
  drawRevisitForm,
  printedTexts,
  type Person,
  type PublicityListData,
} from '../documents/kinds.js';
import { assertPrintable, defaultFontChain, type FontChain, type PrintedText } from '../documents/fonts.js';
import { openPdf, type Pdf } from '../documents/pdf.js';
import { DOCUMENTS_SETTING, documentTextsOverrideSchema, fill, objectionOfficeFor, resolveDocumentTexts, type DocumentTexts, type PlaceNames } from '../documents/texts.js';
import { errors } from '../errors.js';
import { categoryLabels, exitReasonLabels, guardianKindLabels, labelOf, levelLabels, placementModeLabels, sexLabels } from '../labels.js';
import { scopeChain } from '../time/timeSettings.js';
import { inJurisdiction } from './access.js';
import { createDocumentIssuer, type RenderContext, type RenderedDocument } from './documentIssue.js';
import type { CommandMeta, EngineDeps, Principal } from './types.js';

export const DOCUMENT_ROLES: Record<DocumentKind, readonly Role[]> = {
  publicity_list: ['officer'],
  refusal_notice: ['officer'],
  care_agreement: ['officer'],
  revisit_form: ['visitor', 'officer'],
  exit_notice: ['officer'],
};

export const documentTitles: Record<DocumentKind, string> = {
  publicity_list: '兜底保障对象认定公示',
  refusal_notice: '不予认定通知书',
  care_agreement: '分散托养三方协议',
  revisit_form: '回访记录表',
  exit_notice: '退出公告',
};

/** The case documents (the publicity list is per village). */
export const CASE_DOCUMENT_KINDS = ['refusal_notice', 'care_agreement', 'revisit_form', 'exit_notice'] as const;
export type CaseDocumentKind = (typeof CASE_DOCUMENT_KINDS)[number];

export interface DocumentsOptions {
  /** The public site's base URL: the QR code points to `${base}/public/documents/<code>`. */
  publicBaseUrl: string;
  /** Default: the system's Noto CJK when installed, then the package's Noto Sans SC. */
  fonts?: FontChain;
}

const chinaDay = (at: Date | string) => chinaDate(typeof at === 'string' ? at : at.toISOString());
const zhDate = (iso: string) => {
  const [y, m, d] = iso.split('-');
  return `${y}年${Number(m)}月${Number(d)}日`;
};

function roleFor(p: Principal, kind: DocumentKind): Role {
  const role = p.roles.find((r) => DOCUMENT_ROLES[kind].includes(r));
  if (!role) throw errors.forbidden({ roles: DOCUMENT_ROLES[kind] });
  return role;
}

function addMonths(iso: string, months: number): string {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  const end = new Date(Date.UTC(y, m - 1 + months, d) - 86_400_000);
  return end.toISOString().slice(0, 10);
}

export function createDocuments(deps: EngineDeps, options: DocumentsOptions) {
  const { db } = deps;
  const issuer = createDocumentIssuer(deps);
  let chain = options.fonts;
  const fonts = () => (chain ??= defaultFontChain());
  const urlOf = (code: string) => `${options.publicBaseUrl.replace(/\/+$/, '')}/public/documents/${code}`;

  async function placeNames(tx: Db, villageCode: string): Promise<PlaceNames> {
    const [v, t, c] = await Promise.all([
      findRegion(tx, villageCode),
      findRegion(tx, `${villageCode.slice(0, 9)}000`),
      findRegion(tx, `${villageCode.slice(0, 6)}000000`),
    ]);
    return { village: v?.name ?? villageCode, township: t?.name ?? villageCode.slice(0, 9), county: c?.name ?? villageCode.slice(0, 6) };
  }

  /** The texts in effect for a village: defaults, then global, province, city, county. */
  async function textsFor(tx: Db, villageCode: string): Promise<DocumentTexts> {
    const rows = await listSettingScopes(tx, DOCUMENTS_SETTING);
    const chainScopes = scopeChain(villageCode);
    const overrides = chainScopes.flatMap((scope) => {
      const row = rows.find((r) => r.scope === scope);
      const parsed = row ? documentTextsOverrideSchema.safeParse(row.value) : null;
      return parsed?.success ? [parsed.data] : [];
    });
    return resolveDocumentTexts(overrides);
  }

  const person = (m: MemberRow, at: Date, withAge = true): Person => ({
    name: m.name,
    maskedId: maskResidentId(m.idNumber),
    sex: labelOf(sexLabels, m.sex),
    age: withAge ? ageOn(m.birthDate, chinaDay(at)) : null,
  });

  async function caseData(tx: Db, row: CaseRow) {
    const hh = await loadHousehold(tx, row.householdId);
    if (!hh) throw new Error(`case ${row.id} has no household`);
    const { snapshot } = loadCaseSnapshot({ machineId: row.machineId, machineVersion: row.machineVersion, snapshot: row.snapshot });
    // The beneficiary: the first member with a confirmed category, else the head of the household.
    const beneficiary = hh.members.find((m) => m.categories.length > 0) ?? hh.members[0]!;
    return { hh, snapshot, beneficiary, head: hh.members[0]! };
  }

  async function render(kind: DocumentKind, ctx: RenderContext, texts: PrintedText[], draw: (pdf: Pdf) => void): Promise<Buffer> {
    const chain = fonts();
    assertPrintable(chain, texts);
    const pdf = await openPdf({ title: documentTitles[kind], code: ctx.code, url: urlOf(ctx.code), at: ctx.at, chain });
    draw(pdf);
    return pdf.finish();
  }

  const notApplicable = (kind: DocumentKind, state: string, needs: string, zh: string) => errors.documentNotApplicable({ kind, state, needs }, zh);

  /** A case document: checks the case's state for it, gathers the data, issues it. */
  async function issueCaseDocument(meta: CommandMeta, caseId: string, kind: CaseDocumentKind, opts: { revisitId?: number } = {}) {
    const p = meta.principal;
    const actorRole = roleFor(p, kind);
    const found = await findCase(db, caseId);
    if (!found || !inJurisdiction(p, found.villageCode)) throw errors.caseNotFound(caseId);
    return issuer.issueDocument(meta, {
      kind,
      villageCode: found.villageCode,
      caseIds: [caseId],
      actorRole,
      render: async (ctx): Promise<RenderedDocument> => {
        const row = ctx.cases[0]!;
        const { hh, snapshot, beneficiary, head } = await caseData(ctx.db, row);
        const names = await placeNames(ctx.db, row.villageCode);
        const texts = await textsFor(ctx.db, row.villageCode);
        const issuerName = fill(texts.issuer, names);
        const today = zhDate(chinaDay(ctx.at));
        const c = snapshot.context;
        const state = topState(snapshot);
        switch (kind) {
          case 'refusal_notice': {
            if (state !== 'rejected' || !c.rejection) throw notApplicable(kind, row.state, 'a rejected case', '只有“不予认定”的案件才能出具不予认定通知书');
            const d = {
              caseNumber: row.caseNumber,
              applicant: person(head, ctx.at),
              address: hh.household.address,
              village: names.village,
              appliedOn: zhDate(chinaDay(c.applicationSubmittedAt ?? c.survey.createdAt)),
              rejectedOn: zhDate(chinaDay(c.rejection.at)),
              level: labelOf(levelLabels, c.rejection.level),
              reason: c.rejection.reason,
              rights: fill(texts.rightsText, names, { reviewBody: fill(texts.reviewBody, names), reviewDays: texts.reviewDays, court: fill(texts.court, names), litigationMonths: texts.litigationMonths }),
              issuer: issuerName,
              date: today,
            };
            return { pdf: await render(kind, ctx, printedTexts.refusal_notice(d), (pdf) => drawRefusalNotice(pdf, d)) };
          }
          case 'care_agreement': {
            const pl = c.placement;
            if (!pl || pl.mode !== 'dispersed_care' || !pl.guardian || !pl.agreement) {
              throw notApplicable(kind, row.state, 'a dispersed-care placement with its agreement', '只有已确定分散托养（有监护人和协议）的案件才能出具三方协议');
            }
            const d = {
              caseNumber: row.caseNumber,
              village: names.village,
              committee: `${names.village}村民委员会`.replace(/村村民/, '村民'),
              beneficiary: person(beneficiary, ctx.at),
              address: hh.household.address,
              guardian: { name: pl.guardian.name, kind: labelOf(guardianKindLabels, pl.guardian.kind), phone: pl.guardian.phone ?? '' },
              startDate: zhDate(pl.agreement.startDate),
              termMonths: pl.agreement.termMonths,
              endDate: zhDate(addMonths(pl.agreement.startDate, pl.agreement.termMonths)),
              signedOn: zhDate(pl.agreement.signedOn),
              guardianDuties: texts.careDuties.map((t) => fill(t, names)),
              committeeDuties: texts.committeeDuties.map((t) => fill(t, names)),
              issuer: issuerName,
              date: today,
            };
            return { pdf: await render(kind, ctx, printedTexts.care_agreement(d), (pdf) => drawCareAgreement(pdf, d)) };
          }
          case 'revisit_form': {
            const pl = c.placement;
            if (!pl || !['active', 'exitNotice'].includes(state)) throw notApplicable(kind, row.state, 'a placed case', '只有已安置的案件才能出具回访记录表');
            let visit = null;
            if (opts.revisitId !== undefined) {
              const r = (await listRevisits(ctx.db, row.id)).find((x) => x.id === opts.revisitId);
              if (!r) throw errors.notFound(`No revisit ${opts.revisitId} on this case`);
              const visitor = await findUserById(ctx.db, r.visitorId).catch(() => null);
              visit = {
                date: zhDate(r.date),
                visitor: visitor?.displayName || visitor?.username || '—',
                livingConditions: r.livingConditions,
                health: r.health,
                problems: r.problems,
                reassessmentNeeded: r.reassessmentNeeded,
              };
            }
            const d = {
              caseNumber: row.caseNumber,
              village: names.village,
              beneficiary: person(beneficiary, ctx.at),
              address: hh.household.address,
              mode: labelOf(placementModeLabels, pl.mode),
              carer: pl.guardian ? `${pl.guardian.name}（${labelOf(guardianKindLabels, pl.guardian.kind)}）` : (pl.facility?.name ?? '—'),
              visit,
              issuer: issuerName,
              date: today,
            };
            return { pdf: await render(kind, ctx, printedTexts.revisit_form(d), (pdf) => drawRevisitForm(pdf, d)) };
          }
          case 'exit_notice': {
            if (!c.exit) throw notApplicable(kind, row.state, 'an exiting or exited case', '只有正在退出或已退出的案件才能出具退出公告');
            const d = {
              caseNumber: row.caseNumber,
              village: names.village,
              township: names.township,
              beneficiary: person(beneficiary, ctx.at, false),
              mode: c.placement ? labelOf(placementModeLabels, c.placement.mode) : '—',
              reason: labelOf(exitReasonLabels, c.exit.reason),
              reasonText: c.exit.text,
              exitDate: zhDate(c.exit.date),
              noticeEnds: c.exit.endsAt ? zhDate(chinaDay(c.exit.endsAt)) : null,
              closing: fill(texts.exitNoticeText, names),
              issuer: issuerName,
              date: today,
            };
            return { pdf: await render(kind, ctx, printedTexts.exit_notice(d), (pdf) => drawExitNotice(pdf, d)) };
          }
        }
      },
    });
  }

  /**
   * The 公示名单 of a village: every case of the village now in the public notice. `proposedModes` (by case number)
   * is the placement the officer proposes for each household (the machine records the mode only at placement);
   * a case without one prints 待定.
   */
  async function issuePublicityList(meta: CommandMeta, villageCode: string, proposedModes: Record<string, string> = {}) {
    const p = meta.principal;
    const actorRole = roleFor(p, 'publicity_list');
    if (!inJurisdiction(p, villageCode)) throw errors.forbidden({ roles: DOCUMENT_ROLES.publicity_list, jurisdiction: villageCode });
    const inNotice = await listVillageCasesInState(db, villageCode, 'publicity');
    if (inNotice.length === 0) throw notApplicable('publicity_list', 'none in publicity', 'at least one case of the village in the public notice', '本村当前没有处于公示期的案件');
    for (const n of Object.keys(proposedModes)) {
      if (!inNotice.some((c) => c.caseNumber === n)) throw errors.validationFailed([{ path: `body.proposedModes.${n}`, message: 'not a case of this village in the public notice', messageZh: '该案件不是本村正在公示的案件' }]);
    }
    return issuer.issueDocument(meta, {
      kind: 'publicity_list',
      villageCode,
      caseIds: inNotice.map((c) => c.id),
      actorRole,
      // The state may have moved between the list and the lock (an objection upheld): checked again when read and locked.
      check: (row) => {
        if (!row.state.startsWith('publicity')) throw notApplicable('publicity_list', row.state, 'every listed case in the public notice', `案件 ${row.caseNumber} 已不在公示期，请重新打印`);
      },
      render: async (ctx) => {
        const names = await placeNames(ctx.db, villageCode);
        const texts = await textsFor(ctx.db, villageCode);
        const rows: PublicityListData['rows'] = [];
        // The category codes of each row, for the public view (the paper prints their labels).
        const codes: string[][] = [];
        for (const row of ctx.cases) {
          const { hh, snapshot } = await caseData(ctx.db, row);
          const pub = snapshot.context.publicity!;
          const start = chinaDay(pub.openedAt);
          // The period ends at endsAt: the last whole day of it is the day before in China time when endsAt is midnight.
          const end = chinaDay(new Date(Date.parse(pub.endsAt) - 1));
          const mode = proposedModes[row.caseNumber];
          for (const m of hh.members.filter((x) => x.categories.length > 0)) {
            codes.push([...m.categories]);
            rows.push({
              caseNumber: row.caseNumber,
              name: m.name,
              maskedId: maskResidentId(m.idNumber),
              sex: labelOf(sexLabels, m.sex),
              categories: m.categories.map((k) => labelOf(categoryLabels, k)),
              mode: mode ? labelOf(placementModeLabels, mode) : '待定',
              periodStart: start,
              periodEnd: end,
            });
          }
        }
        const periodStart = rows.map((r) => r.periodStart).sort()[0]!;
        const periodEnd = rows.map((r) => r.periodEnd).sort().at(-1)!;
        const objectTo = objectionOfficeFor(texts, villageCode, names);
        const d: PublicityListData = { ...names, rows, periodStart, periodEnd, objectTo, issuer: `${names.township}人民政府`, date: zhDate(chinaDay(ctx.at)) };
        const pdf = await render('publicity_list', ctx, printedTexts.publicity_list(d), (pdfDoc) => drawPublicityList(pdfDoc, d));
        const publicView = {
          villageName: names.village,
          townshipName: names.township,
          countyName: names.county,
          rows: rows.map((r, i) => ({ caseNumber: r.caseNumber, name: r.name, maskedId: r.maskedId, sex: r.sex, categories: codes[i]!, mode: proposedModes[r.caseNumber] ?? null })),
          periodStart,
          periodEnd,
          objectTo,
        };
        return { pdf, publicView };
      },
    });
  }

  /** The documents issued for a case (anyone who sees the case): kind, code, hash, when, by whom. */
  async function caseDocuments(p: Principal, caseId: string) {
    const row = await findCase(db, caseId);
    if (!row || !inJurisdiction(p, row.villageCode)) throw errors.caseNotFound(caseId);
    return (await listCaseDocuments(db, caseId)).map((d) => ({ kind: d.kind, title: documentTitles[d.kind], code: d.code, sha256: d.sha256, issuedBy: d.issuedBy, issuedAt: d.issuedAt.toISOString() }));
  }

  /** Which case documents the caller may print for this case now (the console's buttons; the engine still checks). */
  function printableFor(p: Principal, view: { state: string; placement: { mode: string; agreement?: unknown } | null; exit: unknown }): CaseDocumentKind[] {
    const top = view.state.split('.')[0]!;
    const may = (k: DocumentKind) => p.roles.some((r) => DOCUMENT_ROLES[k].includes(r));
    const out: CaseDocumentKind[] = [];
    if (top === 'rejected' && may('refusal_notice')) out.push('refusal_notice');
    if (view.placement?.mode === 'dispersed_care' && view.placement.agreement && may('care_agreement')) out.push('care_agreement');
    if (view.placement && ['active', 'exitNotice'].includes(top) && may('revisit_form')) out.push('revisit_form');
    if (view.exit && may('exit_notice')) out.push('exit_notice');
    return out;
  }

  return { issueCaseDocument, issuePublicityList, textsFor, caseDocuments, printableFor, mayPrintPublicityList: (p: Principal) => p.roles.some((r) => DOCUMENT_ROLES.publicity_list.includes(r)) };
}

export type DocumentsEngine = ReturnType<typeof createDocuments>;
export type { CaseSnapshot };
