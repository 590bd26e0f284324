/**
 * Issuing a printed document (issue 15): the PDF is drawn from the cases as read, with a fresh short code printed on
 * it; then one transaction locks every case the document covers (in id order, so two issuances over overlapping
 * cases never deadlock), checks each still holds what was drawn (else the document is drawn again), registers it (issued_documents: code, SHA-256 of the exact bytes served, by whom) and appends a
 * DOCUMENT_ISSUED record to each covered case's audit trail — the pattern of INCOME_RECORDED (src/engine/income.ts):
 * no state changes, but each audit record is one row version of its case. Either all of it commits or none does:
 * a document that is not registered was never served.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '../../machines/index.js';
import { appendAudit, findCase, insertDocument, lockCase, updateCase, type CaseRow, type Db, type DocumentKind, type IssuedDocumentRow, type PublicityPublicView } from '../db/index.js';
import { documentCodeOf } from '../domain/documentCode.js';
import { errors } from '../errors.js';
import { inJurisdiction } from './access.js';
import type { CommandMeta, EngineDeps } from './types.js';

export const DOCUMENT_ISSUED = 'DOCUMENT_ISSUED';

export interface RenderContext {
  /** Reads outside the issuing transaction (the document is drawn before the cases are locked). */
  db: Db;
  /** The short code to print (stored form, no dash). */
  code: string;
  /** The covered cases as read (unlocked), in the order the request named them. */
  cases: CaseRow[];
  at: Date;
}

export interface RenderedDocument {
  pdf: Buffer;
  /** For a publicity list: what the posted paper shows (stored for the public pages); null otherwise. */
  publicView?: PublicityPublicView | null;
}

export interface IssueRequest {
  kind: DocumentKind;
  /** Where the document is posted / whose it is; every covered case must be of this village. */
  villageCode: string;
  caseIds: readonly string[];
  /** The caller's role the document is issued as (recorded on each audit record). */
  actorRole: Role;
  /** Checks each locked case may have this document now (state, placement…); throws the refusal. */
  check?: (row: CaseRow) => void;
  render: (ctx: RenderContext) => Promise<RenderedDocument>;
}

export interface IssuedDocument {
  document: IssuedDocumentRow;
  pdf: Buffer;
}

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export function createDocumentIssuer(deps: Pick<EngineDeps, 'db' | 'clock' | 'logger'>) {
  const { db, clock, logger } = deps;

  /** The cases as they are now, unlocked, in the order the request named them; checked like the locked ones. */
  async function readCases(p: CommandMeta['principal'], req: IssueRequest): Promise<CaseRow[]> {
    const out: CaseRow[] = [];
    for (const id of req.caseIds) {
      const row = await findCase(db, id);
      // Out of jurisdiction, or of another village than the document's: the case does not exist for this caller.
      if (!row || !inJurisdiction(p, row.villageCode) || row.villageCode !== req.villageCode) throw errors.caseNotFound(id);
      req.check?.(row);
      out.push(row);
    }
    return out;
  }

  /** What a document is drawn from: the case's state and snapshot (household facts, decisions, placement). */
  const contentOf = (row: CaseRow) => JSON.stringify([row.state, row.snapshot]);

  async function issueDocument(meta: CommandMeta, req: IssueRequest): Promise<IssuedDocument> {
    const p = meta.principal;
    if (req.caseIds.length === 0) throw new Error('a document covers at least one case');
    // Drawing a PDF takes a while (fonts are subset on every document): it is done before the transaction, from the
    // cases as read, so the case rows are locked only to register. Under the locks each case must still hold what the
    // document was drawn from (another document issued meanwhile changes nothing drawn); if not, it is drawn again.
    for (let attempt = 1; ; attempt++) {
      const at = clock.now();
      const cases = await readCases(p, req);
      const code = documentCodeOf(randomBytes(5));
      const rendered = await req.render({ db, code, cases, at });
      const sha256 = sha256Hex(rendered.pdf);
      const result = await db.transaction(async (tx) => {
        const locked: CaseRow[] = [];
        for (const id of [...new Set(req.caseIds)].sort()) {
          const row = await lockCase(tx, id);
          if (!row || !inJurisdiction(p, row.villageCode) || row.villageCode !== req.villageCode) throw errors.caseNotFound(id);
          req.check?.(row);
          locked.push(row);
        }
        const drawnFrom = new Map(cases.map((c) => [c.id, contentOf(c)]));
        if (locked.some((row) => drawnFrom.get(row.id) !== contentOf(row))) return null;
        const document = await insertDocument(tx, {
          code,
          kind: req.kind,
          villageCode: req.villageCode,
          caseIds: cases.map((c) => c.id),
          sha256,
          issuedBy: p.id,
          issuedAt: at,
          publicView: req.kind === 'publicity_list' ? (rendered.publicView ?? null) : null,
        });
        for (const row of locked) {
          // Locked above: the version cannot have moved.
          if (!(await updateCase(tx, row.id, { updatedAt: at }, row.rowVersion))) throw new Error(`case ${row.id} changed under its lock`);
          await appendAudit(tx, {
            caseId: row.id,
            eventType: DOCUMENT_ISSUED,
            payload: { kind: req.kind, code, sha256, documentId: document.id, issuedBy: p.username },
            actorId: p.id,
            actorRole: req.actorRole,
            stateBefore: row.state,
            stateAfter: row.state,
            machineVersion: row.machineVersion,
            requestId: meta.requestId ?? null,
            clientRequestId: meta.clientRequestId ?? null,
            at,
          });
        }
        return { document, pdf: rendered.pdf };
      });
      if (result) {
        logger.info({ kind: req.kind, code: result.document.code, cases: req.caseIds.length, bytes: result.pdf.length, attempt, by: p.username }, 'document issued');
        return result;
      }
      if (attempt >= 3) {
        const now = await readCases(p, req);
        throw errors.versionConflict(cases[0]!.rowVersion, now[0]!.rowVersion);
      }
    }
  }

  return { issueDocument };
}

export type DocumentIssuer = ReturnType<typeof createDocumentIssuer>;
