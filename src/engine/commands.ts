/**
 * Commands: the only code that joins the machine and the database. Every command — an event on a case, a
 * survey that opens one, a timer's firing — is one transaction in three steps:
 *
 * 1. Load: one round trip, pipelined — BEGIN, the row locks (the case; for PLACE the facility or guardian),
 *    then one statement that brings everything the decision reads as JSON (src/db/commandSql.ts).
 * 2. Plan: pure (src/engine/plan/): migrate the snapshot, authorize, decide, compute the mirror columns, the
 *    timer diff (old plan vs new plan, no read of the timers table), the next audit record (the chain's head
 *    is kept on the case row, so no read of the audit trail) and the answer.
 * 3. Write: one round trip — the write statements (src/db/commandWrites.ts) pipelined with COMMIT.
 *
 * Nothing is written when anything refuses: the plan throws before the write is sent — with one exception, a
 * duplicate resident whose other case is outside the caller's jurisdiction, where the refusal's report to that
 * case's supervisors (and only it) is written. A write that loses a race on a unique key (Idempotency-Key, a
 * resident's enrolment) rolls back whole and the command is planned again. The answer is the plan's view of
 * the row it wrote, so its ETag is the version this command wrote, never a later one; a survey's view gets the
 * case number its insert took from that statement's RETURNING (src/db/commandWrites.ts).
 */
import { randomUUID } from 'node:crypto';
import {
  claimTimerStmt,
  clashesOfCaseStmt,
  dueTimerIdsStmt,
  failTimerStmt,
  finishTimerStmt,
  insertDuplicateAlertsStmt,
  insertDeliveriesStmt,
  insertNotificationsStmt,
  loadCaseStmt,
  loadFacilityStmt,
  loadGuardianStmt,
  loadSurveyStmt,
  lockCaseStmt,
  lockFacilityStmt,
  lockGuardianStmt,
  openCasesForIdNumbersStmt,
  parseClaim,
  parseFacility,
  parseGuardian,
  parseIds,
  parseLoadedCase,
  parseOpenCases,
  parseRecipients,
  parseSurveyLoad,
  recipientsStmt,
} from '../db/commandSql.js';
import { caseWriteBatch, caseWriteStatements, IDEMPOTENCY_CONSTRAINT, RESIDENT_CONSTRAINT } from '../db/commandWrites.js';
import { commandDbOf, endResult, type SqlSession, type Stmt, type TransactionEnd } from '../db/session.js';
import type { TimerRow } from '../db/index.js';
import { isUuid } from '../db/uuid.js';
import { observeCommand } from '../metrics.js';
import { eventTypes } from '../../machines/index.js';
import { errors, type AppError } from '../errors.js';
import { actorFor } from './access.js';
import type { CaseView } from './caseView.js';
import { parseEventInput } from './eventInput.js';
import { planEvent, type EventPlan } from './plan/event.js';
import { planFiring, planNotify } from './plan/firing.js';
import { requestHash, type PlanContext } from './plan/shared.js';
import { RecordedRefusal } from './plan/residents.js';
import { planSurvey } from './plan/survey.js';
import { checkMembers, type HouseholdInput } from './surveyInput.js';
import { defaultCarePolicy, type CommandMeta, type EngineDeps } from './types.js';

export interface SendOptions {
  /** If-Match: the row version the client last saw. */
  ifMatch?: number;
  idempotencyKey?: string;
}

export interface CommandResult {
  caseId: string;
  /** The stored status code of a replayed idempotent request is 200 as well. */
  replayed: boolean;
  /** The case as the caller sees it after the command (absent only for a replayed survey). */
  view?: CaseView;
}

export interface FiredTimer {
  timer: TimerRow;
  outcome: string;
  /** Set when the firing failed and the failure was recorded in its own transaction (see FireOptions.retryAt). */
  failure?: { error: unknown; retryAt: Date | null };
}

export interface FireOptions {
  /**
   * When the next attempt of a failed firing is due (null: give up, status failed). Given, a firing whose plan
   * throws records its failure in the same transaction, under the timer's lock.
   */
  retryAt?: (timer: TimerRow) => Date | null;
}

/** A firing that threw: its transaction rolled back; the worker records the failure (recordTimerFailure). */
export class TimerFiringError extends Error {
  constructor(
    readonly timer: TimerRow,
    readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'TimerFiringError';
  }
}

const uniqueViolationOf = (err: unknown): string | null => {
  const e = err as { code?: string; constraint_name?: string; constraint?: string } | null;
  return e && e.code === '23505' ? (e.constraint_name ?? e.constraint ?? null) : null;
};
/** A concurrent request with the same Idempotency-Key committed first. */
const isIdempotencyRace = (err: unknown) => uniqueViolationOf(err) === IDEMPOTENCY_CONSTRAINT;
/** A concurrent command enrolled one of the same people first (resident_enrolments' primary key). */
const isResidentRace = (err: unknown) => uniqueViolationOf(err) === RESIDENT_CONSTRAINT;
/** Two commands enrolling overlapping people in different orders (not expected: enrolments go in ID order). */
const isDeadlock = (err: unknown) => (err as { code?: string } | null)?.code === '40P01';

/**
 * Runs again when a try lost a race to a concurrent transaction that committed first — an Idempotency-Key
 * (the next try replays the winner) or a person (the next try sees the winner's case and refuses with
 * DUPLICATE_RESIDENT, answered as if the load had seen it). Nothing of a lost try was written.
 */
export async function retryOnRace<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (e) {
      const lost = isIdempotencyRace(e) || isResidentRace(e) || isDeadlock(e);
      if (!lost) throw e;
      // A person taken and released again and again between our load and write: refuse, naming nothing.
      if (attempt >= 3) throw isResidentRace(e) ? errors.duplicateResidentElsewhere() : e;
    }
  }
}

export function createCommands(deps: EngineDeps) {
  const { clock } = deps;
  const cdb = commandDbOf(deps.db);
  // Read at each command: calendar and policy are shared objects an admin may change in place.
  const ctx = (): PlanContext => ({ calendar: deps.calendar, deadlinePolicy: deps.deadlinePolicy, casePolicy: deps.casePolicy, care: deps.care ?? defaultCarePolicy });

  /**
   * A command's transaction whose plan may refuse after recording something (RecordedRefusal: a duplicate
   * hitting a case outside the caller's jurisdiction): the record commits with COMMIT in the same last round
   * trip, nothing else is written, and the refusal is thrown once the transaction has ended.
   */
  async function commandTransaction<T>(body: (s: SqlSession) => Promise<TransactionEnd<T>>): Promise<T> {
    const out = await cdb.transaction<{ ok: T } | { refused: AppError }>(async (s) => {
      try {
        const end = await body(s);
        return { final: end.final, resultOf: (rows) => ({ ok: endResult(end, rows) }) };
      } catch (err) {
        if (!(err instanceof RecordedRefusal)) throw err;
        return { final: [insertDuplicateAlertsStmt(err.alerts)], result: { refused: err.refusal } };
      }
    });
    if ('refused' in out) {
      deps.logger.warn({ code: out.refused.code, details: out.refused.details }, 'duplicate resident outside the jurisdiction refused and reported');
      throw out.refused;
    }
    return out.ok;
  }

  /**
   * One accepted command, logged at info: case number, event, actor id, duration — never the payload (names,
   * ID numbers). Refusals are logged by the HTTP error handler; both are counted in the metrics.
   */
  async function observed(meta: CommandMeta, event: string, run: () => Promise<CommandResult>): Promise<CommandResult> {
    const { result, seconds } = await observeCommand(event, run, (r) => (r.replayed ? 'replayed' : 'accepted'));
    deps.logger.info(
      { caseNumber: result.view?.caseNumber ?? null, event, actorId: meta.principal.id, durationMs: Math.round(seconds * 1000), replayed: result.replayed, reqId: meta.requestId },
      'command accepted: %s',
      event,
    );
    return result;
  }

  /** POST /households: the survey creates the household, its members and a case in `survey`. */
  function openCase(meta: CommandMeta, rawInput: HouseholdInput, opts: { idempotencyKey?: string } = {}): Promise<CommandResult> {
    return observed(meta, 'OPEN_CASE', () => openCaseNow(meta, rawInput, opts));
  }

  async function openCaseNow(meta: CommandMeta, rawInput: HouseholdInput, opts: { idempotencyKey?: string } = {}): Promise<CommandResult> {
    const input = checkMembers(structuredClone(rawInput));
    actorFor(meta.principal, 'SUBMIT_SURVEY'); // only enumerators survey: refused before any database work
    const key = opts.idempotencyKey;
    const hash = key ? requestHash('households', rawInput) : null;
    const load = loadSurveyStmt(input.villageCode, meta.principal.id, key ?? null, input.members.map((m) => m.idNumber));
    return retryOnRace(() =>
      commandTransaction<CommandResult>(async (s) => {
        const [rows] = await s.batch([load]);
        const plan = planSurvey(
          parseSurveyLoad(rows),
          {
            meta, input, idempotencyKey: key, requestHash: hash, at: clock.now(),
            ids: { caseId: randomUUID(), householdId: randomUUID(), memberIds: input.members.map(() => randomUUID()) },
          },
          ctx(),
        );
        if (plan.kind === 'replay') return { final: [], result: { caseId: plan.caseId, replayed: true } };
        // The case number is taken by the insert itself (so it is the next one when the write runs, not when the
        // plan was made) and comes back in the write's rows: the answer still needs no read after COMMIT.
        const written = caseWriteBatch(plan.write);
        return {
          final: written.stmts,
          resultOf: (rows) => ({ caseId: plan.write.caseId, replayed: false, view: plan.view(written.caseNumberOf(rows)) }),
        };
      }),
    );
  }

  /** POST /cases/:id/events: one transaction per command, two round trips. */
  function sendEvent(meta: CommandMeta, caseId: string, body: unknown, opts: SendOptions = {}): Promise<CommandResult> {
    // A label from a closed list: a client's made-up type must not become a new series.
    const type = (body as { type?: unknown } | null)?.type;
    const event = typeof type === 'string' && (eventTypes as readonly string[]).includes(type) ? type : 'invalid';
    return observed(meta, event, () => sendEventNow(meta, caseId, body, opts));
  }

  async function sendEventNow(meta: CommandMeta, caseId: string, body: unknown, opts: SendOptions = {}): Promise<CommandResult> {
    const input = parseEventInput(body);
    if (!isUuid(caseId)) throw errors.caseNotFound(caseId);
    // Locks first (they must be granted before the loads take their snapshot), then the loads.
    const locks: Stmt[] = [lockCaseStmt(caseId)];
    const loads: Stmt[] = [loadCaseStmt(caseId, meta.principal.id, opts.idempotencyKey ?? null)];
    const load = (stmt: Stmt) => loads.push(stmt) - 1;
    // Ids that are not UUIDs were refused by the schema; a well-formed unknown id finds no row.
    const facilityId = input.type === 'PLACE' ? input.facilityId : undefined;
    const guardianId = input.type === 'PLACE' ? input.guardianId : undefined;
    if (facilityId) locks.push(lockFacilityStmt(facilityId));
    if (guardianId) locks.push(lockGuardianStmt(guardianId));
    const facilityAt = facilityId ? load(loadFacilityStmt(facilityId, caseId)) : -1;
    const guardianAt = guardianId ? load(loadGuardianStmt(guardianId, caseId)) : -1;
    // People another open case holds: those of a new survey, or (REOPEN) the case's own members.
    const clashesAt =
      input.type === 'UPDATE_SURVEY'
        ? load(openCasesForIdNumbersStmt(input.household.members.map((m) => m.idNumber.toUpperCase())))
        : input.type === 'REOPEN'
          ? load(clashesOfCaseStmt(caseId))
          : -1;

    const plan = await retryOnRace(() =>
      commandTransaction<EventPlan>(async (s) => {
        const rows = (await s.batch([...locks, ...loads])).slice(locks.length);
        const loaded = parseLoadedCase(rows[0]);
        if (!loaded) throw errors.caseNotFound(caseId);
        const p = planEvent(
          {
            ...loaded,
            facility: facilityAt >= 0 ? parseFacility(rows[facilityAt]) : undefined,
            guardian: guardianAt >= 0 ? parseGuardian(rows[guardianAt]) : undefined,
            clashes: clashesAt >= 0 ? parseOpenCases(rows[clashesAt]) : undefined,
          },
          { meta, input, body, ifMatch: opts.ifMatch, idempotencyKey: opts.idempotencyKey, at: clock.now(), newIds: randomUUID },
          ctx(),
        );
        return { final: p.kind === 'write' ? caseWriteStatements(p.write) : [], result: p };
      }),
    );
    // Built after COMMIT from the plan, not read back: the answer is exactly what this command wrote.
    return { caseId, replayed: plan.kind === 'replay', view: plan.view() };
  }

  /** The next due timers' ids, oldest first (a worker's list for one round; not locked). */
  async function dueTimerIds(limit: number): Promise<number[]> {
    return parseIds(await cdb.run(dueTimerIdsStmt(clock.now(), limit)));
  }

  /**
   * Claims a timer and fires it, in a transaction of its own that holds one case lock at most: two round
   * trips for a notice's end, three for a reminder (its recipients depend on the case's step). Null when the
   * timer is no longer pending and due, or it or its case is locked (another worker, a command): skipped.
   * A firing that throws is rolled back and surfaces as TimerFiringError.
   */
  async function fireTimer(id: number, opts: FireOptions = {}): Promise<FiredTimer | null> {
    const at = clock.now();
    let claimed: TimerRow | null = null;
    try {
      return await cdb.transaction<FiredTimer | null>(async (s) => {
        let aborted = false; // a statement failed: the transaction can only roll back
        const batch = (stmts: Stmt[]) => s.batch(stmts).catch((e: unknown) => { aborted = true; throw e; });
        const [rows] = await batch([claimTimerStmt(at, id)]);
        const claim = parseClaim(rows);
        if (!claim) return { final: [], result: null };
        const timer = claim.timer;
        claimed = timer;
        try {
          const first = planFiring(timer, claim.row, ctx(), at);
          if (first.kind === 'done') {
            const final = [...(first.write ? caseWriteStatements(first.write) : []), finishTimerStmt(timer.id, first.outcome, at)];
            return { final, result: { timer, outcome: first.outcome } };
          }
          const q = first.query;
          const [found] = await batch([recipientsStmt(q.villageCode, q.role, q.reviewLevel)]);
          const n = planNotify(timer, claim.row, parseRecipients(found), at);
          const final: Stmt[] = [];
          if (n.notifications.length > 0) final.push(insertNotificationsStmt(n.notifications));
          if (n.deliveries.length > 0) final.push(insertDeliveriesStmt(n.deliveries));
          final.push(finishTimerStmt(timer.id, n.outcome, at));
          return { final, result: { timer, outcome: n.outcome } };
        } catch (err) {
          if (aborted || !opts.retryAt) throw err;
          // The plan threw and the transaction is intact: record the failure in it, still holding the timer's
          // lock, so no other worker claims the timer before its retry time is set.
          const retryAt = opts.retryAt(timer);
          const error = err instanceof Error ? err.message : String(err);
          return { final: [failTimerStmt(timer.id, timer.attempts, error, retryAt)], result: { timer, outcome: `failed: ${error}`, failure: { error: err, retryAt } } };
        }
      });
    } catch (err) {
      if (claimed) throw new TimerFiringError(claimed, err);
      throw err;
    }
  }

  /** A failed firing: pending again after `retryAt`, or failed for good (retryAt null). Only a pending timer. */
  async function recordTimerFailure(timer: Pick<TimerRow, 'id' | 'attempts'>, message: string, retryAt: Date | null): Promise<void> {
    await cdb.run(failTimerStmt(timer.id, timer.attempts, message, retryAt));
  }

  return { openCase, sendEvent, dueTimerIds, fireTimer, recordTimerFailure };
}

export type Commands = ReturnType<typeof createCommands>;
