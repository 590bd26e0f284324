/**
 * Reads: a case as its caller may see it, lists, inboxes and the audit trail. Every read is bounded by the
 * caller's jurisdiction; ID numbers are masked unless the caller's role works with them.
 */
import {
  CASE_MACHINE_ID,
  CASE_MACHINE_VERSION,
  caseMachine,
  eventTypes,
  loadCaseSnapshot,
  renderMermaid,
  statesWaitingOn,
  type Category,
  type EventType,
  type Role,
} from '../../machines/index.js';
import { listAudit, listCases, listInbox, loadHousehold, verifyCaseAudit, findCase, findCaseByNumber, type CaseRow } from '../db/index.js';
import { errors } from '../errors.js';
import { assertCaseVisible } from './access.js';
import { caseView, summary } from './caseView.js';
import { auditSafe } from './identity.js';
import type { EngineDeps, Principal } from './types.js';

export { summary };

/** The narrower of the caller's jurisdiction and a requested region, or null when they do not overlap. */
function scope(p: Principal, region?: string): string | null {
  if (!region || p.region.startsWith(region)) return p.region;
  return region.startsWith(p.region) ? region : null;
}

export function createQueries(deps: EngineDeps) {
  const { db, clock } = deps;

  async function viewOf(principal: Principal, row: CaseRow | null, asked: string) {
    if (!row) throw errors.caseNotFound(asked);
    assertCaseVisible(principal, asked, row.villageCode);
    const hh = await loadHousehold(db, row.householdId);
    if (!hh) throw errors.internal(new Error(`case ${row.id} has no household`));
    const { snapshot } = loadCaseSnapshot({ machineId: row.machineId, machineVersion: row.machineVersion, snapshot: row.snapshot });
    return caseView({ row, household: hh.household, members: hh.members, snapshot }, principal, clock.now());
  }

  async function getCase(principal: Principal, caseId: string) {
    return viewOf(principal, await findCase(db, caseId), caseId);
  }

  /**
   * A case by its number (411282-2026-000123), as getCase answers it. Unknown, malformed and another
   * jurisdiction's numbers all answer CASE_NOT_FOUND naming the number asked, so nobody learns which numbers
   * exist elsewhere.
   */
  async function getCaseByNumber(principal: Principal, caseNumber: string) {
    return viewOf(principal, await findCaseByNumber(db, caseNumber), caseNumber);
  }

  async function list(principal: Principal, q: { state?: string; region?: string; category?: Category; after?: string; limit: number }) {
    const prefix = scope(principal, q.region);
    if (prefix === null) return { items: [], nextAfter: null };
    const page = await listCases(db, { jurisdictionPrefix: prefix, state: q.state, category: q.category, after: q.after, limit: q.limit });
    return { items: page.items.map(summary), nextAfter: page.nextAfter };
  }

  async function inbox(principal: Principal, q: { role?: Role; after?: string; limit: number }) {
    const role = q.role ?? principal.roles.find((r) => statesWaitingOn(r).length > 0);
    if (!role) return { role: null, items: [], next: null };
    if (!principal.roles.includes(role)) throw errors.forbidden({ roles: [role] }, `you do not hold role ${role}`);
    let after: { deadlineAt: Date | null; id: string } | undefined;
    if (q.after) {
      // `<deadline ISO or empty>_<case id>`, as `next` gives it; anything else is a client error, not a 500.
      const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)?_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(q.after);
      const deadlineAt = m?.[1] ? new Date(m[1]) : null;
      if (!m || (deadlineAt && Number.isNaN(deadlineAt.getTime()))) {
        throw errors.validationFailed([{ path: 'query.after', message: 'expected the next of the previous page' }]);
      }
      after = { deadlineAt, id: m[2] };
    }
    const page = await listInbox(db, {
      jurisdictionPrefix: principal.region,
      states: statesWaitingOn(role),
      reviewLevel: role === 'reviewer' ? (principal.level ?? '-') : null,
      after,
      limit: q.limit,
    });
    const next = page.next ? `${page.next.deadlineAt?.toISOString() ?? ''}_${page.next.id}` : null;
    return { role, items: page.items.map(summary), next };
  }

  async function visibleCase(principal: Principal, caseId: string) {
    const row = await findCase(db, caseId);
    if (!row) throw errors.caseNotFound(caseId);
    assertCaseVisible(principal, caseId, row.villageCode);
  }

  async function audit(principal: Principal, caseId: string) {
    await visibleCase(principal, caseId);
    return (await listAudit(db, caseId)).map((r) => ({
      seq: r.seq,
      eventType: r.eventType,
      // The same masking for every role; also covers records written before birth dates left payloads.
      payload: auditSafe(r.payload, r.at),
      actorId: r.actorId,
      actorRole: r.actorRole,
      stateBefore: r.stateBefore,
      stateAfter: r.stateAfter,
      machineVersion: r.machineVersion,
      requestId: r.requestId,
      clientRequestId: r.clientRequestId,
      at: r.at.toISOString(),
      prevHash: r.prevHash,
      hash: r.hash,
    }));
  }

  async function verifyAudit(principal: Principal, caseId: string) {
    await visibleCase(principal, caseId);
    return verifyCaseAudit(db, caseId);
  }

  function machineInfo() {
    return {
      id: CASE_MACHINE_ID,
      version: CASE_MACHINE_VERSION,
      events: eventTypes as EventType[],
      definition: caseMachine.toJSON(),
      mermaid: renderMermaid(caseMachine),
    };
  }

  return { getCase, getCaseByNumber, list, inbox, audit, verifyAudit, machineInfo };
}

export type Queries = ReturnType<typeof createQueries>;
