/**
 * An objection lodged online by a villager (no account) on a household of a posted notice (公示): the same
 * command an officer's FILE_OBJECTION is — the case locked and loaded by the command path's own statements, the
 * same pure plan (plan/event.ts: the machine decides, the audit record, the timers), the same write — with actor
 * `public` and channel `online` (machines/rules.ts allows nothing else to that actor), and three more statements
 * in the same transaction: the lodger's name and contact with the receipt (public_objections), and an inbox
 * notification for every officer of the case's jurisdiction. The objection blocks the end of the notice until an
 * officer resolves it, as any objection does.
 *
 * The per-household daily limit is counted under the case's row lock (see src/db/publicObjections.ts).
 * The lodger's name and contact are never logged; the log line names the case number and the receipt.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import { chinaDate } from '../../machines/index.js';
import {
  cases,
  findDocumentByCode,
  insertPublicObjectionStmt,
  notifyOfficersStmt,
  parseDayCount,
  PUBLIC_SLOT_CONSTRAINT,
  publicObjections,
  publicObjectionContacts,
  publicObjectionsOfDayStmt,
} from '../db/index.js';
import { loadCaseStmt, lockCaseStmt, parseLoadedCase } from '../db/commandSql.js';
import { caseWriteStatements } from '../db/commandWrites.js';
import { commandDbOf } from '../db/session.js';
import { documentCodeOf } from '../domain/documentCode.js';
import { AppError, errors } from '../errors.js';
import { observeCommand } from '../metrics.js';
import { inJurisdiction } from './access.js';
import { planEvent } from './plan/event.js';
import type { PlanContext } from './plan/shared.js';
import { noticeRunning } from './publicNotice.js';
import type { PublicObjectionInput } from './publicInput.js';
import { defaultCarePolicy, defaultPublicPolicy, type CommandMeta, type EngineDeps, type Principal } from './types.js';

/** The villager on the public page: role `public`, the whole country (the notice's own case is the scope). */
export const publicMeta = (requestId: string | null): CommandMeta => ({
  principal: { id: 'public', username: 'public', roles: ['public'], level: null, region: '' },
  requestId,
});

/** W + China date + 6 characters of Crockford base32 (30 random bits): W20260302K7Q2XM. */
export const receiptOf = (day: string, random: Uint8Array) => `W${day.replaceAll('-', '')}${documentCodeOf(random).slice(2)}`;

export interface LodgedObjection {
  receipt: string;
  caseNumber: string;
  lodgedAt: Date;
  /** The same form was sent again: nothing was filed this time. */
  replayed: boolean;
}

const RECEIPT_CONSTRAINT = 'public_objections_pkey';

/** `lodgedBy` of an online objection on the case; who it was is in public_objections (officers only). */
export const ONLINE_LODGER = '群众（网上提交）';

/** The machine already has an objection with this receipt: the same form, sent again. */
class AlreadyFiled extends Error {}

const uniqueViolationOf = (err: unknown): string | null => {
  const e = err as { code?: string; constraint_name?: string; constraint?: string } | null;
  return e && e.code === '23505' ? (e.constraint_name ?? e.constraint ?? null) : null;
};

/** Machine refusals that mean "the notice is not running for this household" to a villager. */
const closedRules = new Set(['NOTICE_PERIOD_OVER']);

export function createPublicObjection(deps: EngineDeps) {
  const { db, clock, logger } = deps;
  const cdb = commandDbOf(db);
  const policy = () => deps.publicPolicy ?? defaultPublicPolicy;
  const ctx = (): PlanContext => ({ calendar: deps.calendar, deadlinePolicy: deps.deadlinePolicy, casePolicy: deps.casePolicy, care: deps.care ?? defaultCarePolicy });

  /**
   * `opts.receipt`: the receipt drawn when the form was shown (src/public/formToken.ts); a second submission with
   * it files nothing and answers the first one's receipt (`replayed`). Without it a receipt is drawn here.
   */
  async function lodgeOnlineObjection(input: PublicObjectionInput, opts: { requestId?: string | null; receipt?: string } = {}): Promise<LodgedObjection> {
    const doc = await findDocumentByCode(db, input.code);
    // A household not on this paper, a code of another kind, an unknown code: one answer, nothing said about which.
    if (!doc || doc.kind !== 'publicity_list' || !doc.publicView?.rows.some((r) => r.caseNumber === input.caseNumber)) throw errors.publicNoticeNotFound();
    const [target] = doc.caseIds.length
      ? await db.select({ id: cases.id }).from(cases).where(and(inArray(cases.id, doc.caseIds), eq(cases.caseNumber, input.caseNumber))).limit(1)
      : [];
    if (!target) throw errors.publicNoticeNotFound();
    const caseId = target.id;
    const meta = publicMeta(opts.requestId ?? null);

    const { result, seconds } = await observeCommand('FILE_OBJECTION', async () => {
      for (let attempt = 1; ; attempt++) {
        const receipt = opts.receipt ?? receiptOf(chinaDate(clock.now().toISOString()), randomBytes(5));
        try {
          return await once(caseId, doc.code, doc.issuedAt, input, meta, receipt);
        } catch (err) {
          const lost = err instanceof AlreadyFiled ? RECEIPT_CONSTRAINT : uniqueViolationOf(err);
          if (lost === RECEIPT_CONSTRAINT && opts.receipt) {
            // The same form sent again: the first submission stands, and is answered again.
            const [first] = await db.select({ caseId: publicObjections.caseId, createdAt: publicObjections.createdAt }).from(publicObjections).where(eq(publicObjections.receipt, receipt));
            if (first && first.caseId === caseId) return { receipt, caseNumber: input.caseNumber, lodgedAt: first.createdAt, replayed: true };
            throw err;
          }
          // A receipt drawn twice (30 bits a day) or a slot taken by a racer that slipped past the lock: try again.
          if (!lost || attempt >= 3 || !(lost === PUBLIC_SLOT_CONSTRAINT || lost === RECEIPT_CONSTRAINT)) throw err;
        }
      }
    });
    logger.info(
      { caseNumber: result.caseNumber, event: 'FILE_OBJECTION', actorId: 'public', channel: 'online', receipt: result.receipt, durationMs: Math.round(seconds * 1000), reqId: meta.requestId },
      'online objection lodged',
    );
    return result;
  }

  async function once(caseId: string, documentCode: string, issuedAt: Date, input: PublicObjectionInput, meta: CommandMeta, receipt: string): Promise<LodgedObjection> {
    const at = clock.now();
    const day = chinaDate(at.toISOString());
    const limit = policy().objectionsPerCasePerDay;
    return cdb.transaction(async (s) => {
      const [, loadRows, countRows] = await s.batch([lockCaseStmt(caseId), loadCaseStmt(caseId, meta.principal.id, null), publicObjectionsOfDayStmt(caseId, day)]);
      const loaded = parseLoadedCase(loadRows);
      if (!loaded) throw errors.publicNoticeNotFound();
      if (!noticeRunning(loaded.row, issuedAt, at)) throw errors.publicNoticeClosed();
      const today = parseDayCount(countRows);
      if (today.n >= limit) throw errors.publicObjectionLimit(limit);

      // The lodger's name stays out of the case (snapshot and audit trail, which every role of the jurisdiction
      // reads): it is kept with the contact in public_objections, for the officers only.
      const body = { type: 'FILE_OBJECTION' as const, objectionId: receipt, lodgedBy: ONLINE_LODGER, channel: 'online' as const, content: input.text };
      let plan;
      try {
        plan = planEvent(loaded, { meta, input: body, body, at, newIds: randomUUID }, ctx());
      } catch (err) {
        const rules = (err instanceof AppError && err.code === 'GUARD_FAILED' ? (err.details as { violations?: { rule: string }[] } | undefined)?.violations ?? [] : []).map((v) => v.rule);
        if (rules.includes('OBJECTION_ID_TAKEN')) throw new AlreadyFiled();
        // The period ended between the check above and the machine's (same instant: only a rounding edge).
        if (rules.some((r) => closedRules.has(r))) throw errors.publicNoticeClosed();
        if (err instanceof AppError && err.code === 'EVENT_NOT_ALLOWED') throw errors.publicNoticeClosed();
        throw err;
      }
      if (plan.kind !== 'write') throw new Error('an online objection is never a replay');
      const row = loaded.row;
      return {
        final: [
          ...caseWriteStatements(plan.write),
          insertPublicObjectionStmt({ receipt, caseId, documentCode, lodgedOn: day, slot: today.top + 1, name: input.name, contact: input.contact, createdAt: at }),
          notifyOfficersStmt({
            villageCode: row.villageCode, caseId, kind: 'online_objection',
            title: `收到网上提交的异议：${row.caseNumber}`,
            body: `公示期间收到群众网上提交的异议（回执号 ${receipt}），请在案件页面处理。`,
            data: { caseNumber: row.caseNumber, receipt, channel: 'online' },
            at,
          }),
        ],
        result: { receipt, caseNumber: row.caseNumber, lodgedAt: at, replayed: false },
      };
    });
  }

  /**
   * The lodgers of a case's online objections (name and contact), for an officer of the case's jurisdiction
   * only; anyone else gets an empty map (the console shows the objection as every role sees it).
   */
  async function onlineObjectionContacts(principal: Principal, caseId: string, villageCode: string, receipts: readonly string[]): Promise<Map<string, { name: string; contact: string }>> {
    if (!principal.roles.includes('officer') || !inJurisdiction(principal, villageCode)) return new Map();
    const found = await publicObjectionContacts(db, caseId, receipts);
    return new Map(found.map((r) => [r.receipt, { name: r.name, contact: r.contact }]));
  }

  return { lodgeOnlineObjection, onlineObjectionContacts };
}
