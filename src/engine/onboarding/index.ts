/**
 * Onboarding an existing caseload (存量纳入): households approved and placed under the old paper process enter
 * the case path directly in `active` (or `awaitingPlacement`), a batch in ONE transaction — all or nothing.
 *
 * The command path's three steps (src/engine/commands.ts), for a batch: [locks on every facility and guardian
 * the batch names, one load] → the pure plan (plan.ts) → the writes of every new case (the survey's CaseWrite:
 * household, members, the case in its onboarded state, its enrolments, timers and genesis audit record; the
 * report rollups follow by trigger). `inSession` runs inside a transaction someone else owns (the spreadsheet
 * import's), `onboardHouseholds` in its own (POST /onboarding/households), replanned when it loses a race on a
 * resident to a concurrent transaction (the database's one-open-case-per-resident key decides).
 */
import { randomUUID } from 'node:crypto';
import { caseWriteBatch } from '../../db/commandWrites.js';
import { insertDuplicateAlertsStmt } from '../../db/commandSql.js';
import { lockRegistryStmts, loadOnboardingStmt, parseOnboardingLoad } from '../../db/onboardingSql.js';
import { commandDbOf, type Row, type SqlSession, type Stmt } from '../../db/session.js';
import { errors, type AppError } from '../../errors.js';
import { observeCommand } from '../../metrics.js';
import { retryOnRace } from '../commands.js';
import { defaultCarePolicy, type CommandMeta, type EngineDeps } from '../types.js';
import type { PlanContext } from '../plan/shared.js';
import { parseOnboardBatch, type OnboardHouseholdInput } from './input.js';
import { planOnboarding, type OnboardSource } from './plan.js';
import { RecordedRefusal } from '../plan/residents.js';

export interface OnboardResult {
  cases: { household: number; caseId: string; caseNumber: string; state: string }[];
}

export interface OnboardOptions {
  source?: OnboardSource;
  /** Field paths of refusals (default body.households). */
  path?: string;
}

const apiSource: OnboardSource = { source: 'api', fileSha256: null, jobId: null, fileName: null };

export function createOnboarding(deps: EngineDeps) {
  const cdb = commandDbOf(deps.db);
  const ctx = (): PlanContext => ({ calendar: deps.calendar, deadlinePolicy: deps.deadlinePolicy, casePolicy: deps.casePolicy, care: deps.care ?? defaultCarePolicy });

  function loadStmts(households: readonly OnboardHouseholdInput[], lock: boolean): { stmts: Stmt[]; at: number } {
    const facilityIds = households.flatMap((h) => (h.placement?.facilityId ? [h.placement.facilityId] : []));
    const guardianIds = households.flatMap((h) => (h.placement?.guardianId ? [h.placement.guardianId] : []));
    const locks = lock ? lockRegistryStmts(facilityIds, guardianIds) : [];
    const load = loadOnboardingStmt(
      households.map((h) => h.villageCode),
      households.flatMap((h) => h.members.map((m) => m.idNumber.toUpperCase())),
      facilityIds,
      guardianIds,
    );
    return { stmts: [...locks, load], at: locks.length };
  }

  /**
   * Plans a batch against the database as it is (no locks, no writes): the refusals by household, for a dry
   * run. Empty when every household would be onboarded now.
   */
  async function checkHouseholds(
    meta: CommandMeta,
    households: OnboardHouseholdInput[],
    query: (stmts: readonly Stmt[]) => Promise<Row[][]>,
    opts: OnboardOptions = {},
  ): Promise<{ household: number; error: AppError }[]> {
    const { stmts, at } = loadStmts(households, false);
    const rows = await query(stmts);
    const plan = planOnboarding(parseOnboardingLoad(rows[at]), planRequest(meta, structuredClone(households), opts), ctx());
    return plan.kind === 'refused' ? plan.refused : [];
  }

  const planRequest = (meta: CommandMeta, households: OnboardHouseholdInput[], opts: OnboardOptions) => ({
    meta, households, source: opts.source ?? apiSource, at: deps.clock.now(), newId: randomUUID, path: opts.path ?? 'body.households',
  });

  /** Onboards the batch inside a transaction the caller owns; throws ONBOARDING_REFUSED (nothing written by it). */
  async function inSession(s: SqlSession, meta: CommandMeta, households: OnboardHouseholdInput[], opts: OnboardOptions = {}): Promise<OnboardResult> {
    const { stmts, at } = loadStmts(households, true);
    const rows = await s.batch(stmts);
    const plan = planOnboarding(parseOnboardingLoad(rows[at]), planRequest(meta, structuredClone(households), opts), ctx());
    if (plan.kind === 'refused') {
      const refusal = errors.onboardingRefused(plan.refused);
      // A duplicate of a case outside the caller's jurisdiction is reported to that case's supervisors, as for a
      // survey: the owner of the transaction may commit the report alone (onboardHouseholds does; an import does not).
      throw plan.alerts.length > 0 ? new RecordedRefusal(refusal, plan.alerts) : refusal;
    }
    const batches = plan.writes.map(caseWriteBatch);
    const written = await s.batch(batches.flatMap((b) => b.stmts));
    let offset = 0;
    const numbers = batches.map((b) => {
      const n = b.caseNumberOf(written.slice(offset, offset + b.stmts.length));
      offset += b.stmts.length;
      return n;
    });
    return { cases: plan.cases.map((c, i) => ({ ...c, caseNumber: numbers[i] })) };
  }

  /** POST /onboarding/households: the batch in its own transaction, all or nothing. */
  async function onboardHouseholds(meta: CommandMeta, body: unknown, opts: OnboardOptions = {}): Promise<OnboardResult> {
    const households = parseOnboardBatch(body);
    const { result, seconds } = await observeCommand('ONBOARD', async () => {
      const out = await retryOnRace(() =>
        cdb.transaction<{ ok: OnboardResult } | { refused: AppError }>(async (s) => {
          try {
            return { final: [], result: { ok: await inSession(s, meta, households, opts) } };
          } catch (e) {
            if (!(e instanceof RecordedRefusal)) throw e;
            return { final: [insertDuplicateAlertsStmt(e.alerts)], result: { refused: e.refusal } };
          }
        }),
      );
      if ('refused' in out) throw out.refused;
      return out.ok;
    });
    // Counts and ids only: never names or ID numbers.
    deps.logger.info({ event: 'ONBOARD', households: result.cases.length, actorId: meta.principal.id, durationMs: Math.round(seconds * 1000), reqId: meta.requestId }, 'households onboarded');
    return result;
  }

  return { onboardHouseholds, onboardInSession: inSession, checkOnboarding: checkHouseholds };
}

export type Onboarding = ReturnType<typeof createOnboarding>;
export { onboardBatchInputSchema, onboardHouseholdInputSchema, type OnboardHouseholdInput } from './input.js';
export type { OnboardSource } from './plan.js';
