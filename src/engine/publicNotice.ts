/**
 * The public side of the document registry (no sign-in): the posted notice behind a printed code, and the check
 * of a printed copy. What is shown is the registry's public view — exactly what the paper shows (masked ID
 * numbers, names as printed) — plus one live fact per household: is its notice still running, by the service's
 * clock. Nothing else of the case is read out: its state only decides "open" or "closed".
 *
 * A household's row is open while its case is in publicity, the period has not ended, and the document was
 * issued in the current round of the notice (a paper of an earlier round, before an upheld objection sent the
 * case back, is not the notice now running).
 */
import { inArray } from 'drizzle-orm';
import { chinaDate, loadCaseSnapshot, topState } from '../../machines/index.js';
import { cases, findDocumentByCode, findDocumentBySha256, findRegion, type IssuedDocumentRow, type PublicityPublicView } from '../db/index.js';
import { formatDocumentCode } from '../domain/documentCode.js';
import { errors } from '../errors.js';
import type { DocumentCheckInput } from './publicInput.js';
import type { EngineDeps } from './types.js';

export interface PublicNoticeRow {
  caseNumber: string;
  name: string;
  maskedId: string;
  sex: string;
  categories: string[];
  mode: string | null;
  /** The household's notice is running now: an objection may be lodged online. */
  open: boolean;
}

export interface PublicNotice {
  /** As printed: ABCD-EFGH. */
  code: string;
  villageName: string;
  townshipName: string;
  countyName: string;
  periodStart: string;
  periodEnd: string;
  objectTo: PublicityPublicView['objectTo'];
  /** China date the list was issued. */
  issuedOn: string;
  /** Some household on it is still in its notice period. */
  open: boolean;
  rows: PublicNoticeRow[];
}

export const documentKindLabels: Record<string, string> = {
  publicity_list: '公示名单',
  refusal_notice: '不予认定通知书',
  care_agreement: '三方托养协议',
  revisit_form: '回访记录表',
  exit_notice: '退出公告',
};

/**
 * A checked copy. `match`: the code exists (code only), the hash is of an issued document (hash only), or the
 * code's document has this hash (both). `document` is what may be said of it: for a posted notice its public
 * view; for any other kind (not public) only when and by which office it was issued.
 */
export interface DocumentCheck {
  match: boolean;
  by: 'code' | 'sha256' | 'both';
  document:
    | { public: true; kind: 'publicity_list'; kindLabel: string; issuedOn: string; office: string; notice: PublicNotice }
    | { public: false; issuedOn: string; office: string }
    | null;
}

/** The case is in this paper's notice now: in publicity, the period running, the paper of this round. */
export function noticeRunning(c: { machineId: string; machineVersion: number; snapshot: unknown }, issuedAt: Date, now: Date): boolean {
  const { snapshot } = loadCaseSnapshot({ machineId: c.machineId, machineVersion: c.machineVersion, snapshot: c.snapshot as never });
  const p = snapshot.context.publicity;
  if (topState(snapshot) !== 'publicity' || !p) return false;
  return now.getTime() < Date.parse(p.endsAt) && issuedAt.getTime() >= Date.parse(p.openedAt);
}

export function createPublicNotice(deps: Pick<EngineDeps, 'db' | 'clock'>) {
  const { db, clock } = deps;

  async function noticeOf(doc: IssuedDocumentRow): Promise<PublicNotice> {
    const view = doc.publicView;
    if (doc.kind !== 'publicity_list' || !view) throw errors.publicNoticeNotFound();
    const rows = doc.caseIds.length
      ? await db
          .select({ caseNumber: cases.caseNumber, machineId: cases.machineId, machineVersion: cases.machineVersion, snapshot: cases.snapshot })
          .from(cases)
          .where(inArray(cases.id, doc.caseIds))
      : [];
    const now = clock.now();
    const running = new Map(rows.map((r) => [r.caseNumber, noticeRunning(r, doc.issuedAt, now)]));
    const out = view.rows.map((r) => ({
      caseNumber: r.caseNumber, name: r.name, maskedId: r.maskedId, sex: r.sex, categories: [...r.categories], mode: r.mode,
      open: running.get(r.caseNumber) ?? false,
    }));
    return {
      code: formatDocumentCode(doc.code),
      villageName: view.villageName,
      townshipName: view.townshipName,
      countyName: view.countyName,
      periodStart: view.periodStart,
      periodEnd: view.periodEnd,
      objectTo: { office: view.objectTo.office, address: view.objectTo.address, telephone: view.objectTo.telephone },
      issuedOn: chinaDate(doc.issuedAt.toISOString()),
      open: out.some((r) => r.open),
      rows: out,
    };
  }

  /** The posted notice a printed code names; PUBLIC_NOTICE_NOT_FOUND for an unknown code or a non-public kind. */
  async function publicNotice(code: string): Promise<PublicNotice> {
    const doc = await findDocumentByCode(db, code);
    if (!doc) throw errors.publicNoticeNotFound();
    return noticeOf(doc);
  }

  /** The office a non-public document is issued by: the civil-affairs bureau of the village's county. */
  async function officeOf(doc: IssuedDocumentRow): Promise<string> {
    if (doc.publicView) return doc.publicView.objectTo.office;
    const county = await findRegion(db, `${doc.villageCode.slice(0, 6)}000000`);
    return county ? `${county.name}民政局` : '民政部门';
  }

  async function checkDocument(input: DocumentCheckInput): Promise<DocumentCheck> {
    const by = input.code && input.sha256 ? 'both' : input.code ? 'code' : 'sha256';
    const doc = input.code ? await findDocumentByCode(db, input.code) : await findDocumentBySha256(db, input.sha256!);
    const match = !!doc && (by !== 'both' || doc.sha256 === input.sha256);
    if (!doc || !match) return { match: false, by, document: null };
    const issuedOn = chinaDate(doc.issuedAt.toISOString());
    const office = await officeOf(doc);
    if (doc.kind === 'publicity_list' && doc.publicView) {
      return { match, by, document: { public: true, kind: 'publicity_list', kindLabel: documentKindLabels.publicity_list, issuedOn, office, notice: await noticeOf(doc) } };
    }
    return { match, by, document: { public: false, issuedOn, office } };
  }

  return { publicNotice, checkDocument };
}
