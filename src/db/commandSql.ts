/**
 * The statements of the command path (see src/db/session.ts for how they travel and src/engine/commands.ts
 * for the order): lock, load, and write. Each text is a constant, so postgres.js prepares it once per
 * connection; every value is a parameter.
 *
 * Why locks are separate statements from loads: under READ COMMITTED a statement reads with the snapshot it
 * took when it started, and a statement that waited for a row lock would read everything else as it was
 * before the wait — a placement would count a facility's beds without the placement that held the lock. The
 * lock statements go first in the same round trip, so the load that follows starts after they were granted.
 */
import type { CaseRow, FacilityRow, GuardianRow, HouseholdRow, IdempotencyRow, MemberRow, TimerRow } from './schema.js';
import { docOf, type Row, type Stmt } from './session.js';

// ---- rows from JSON (row_to_json gives snake_case keys and timestamps as text) ----------------------------

const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function fromJson<T>(o: Record<string, unknown> | null | undefined, dates: readonly string[]): T | null {
  if (!o) return null;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[camel(k)] = v;
  for (const d of dates) if (typeof out[d] === 'string') out[d] = new Date(out[d] as string);
  return out as T;
}

export const caseFromJson = (o: Record<string, unknown> | null | undefined) =>
  fromJson<CaseRow>(o, ['deadlineAt', 'applicationDeadlineAt', 'openedAt', 'updatedAt']);
const householdFromJson = (o: Record<string, unknown> | null | undefined) => fromJson<HouseholdRow>(o, ['createdAt']);
const memberFromJson = (o: Record<string, unknown>) => fromJson<MemberRow>(o, ['createdAt']) as MemberRow;
const idempotencyFromJson = (o: Record<string, unknown> | null | undefined) => fromJson<IdempotencyRow>(o, ['createdAt']);
const facilityFromJson = (o: Record<string, unknown> | null | undefined) => fromJson<FacilityRow>(o, ['createdAt', 'updatedAt']);
const guardianFromJson = (o: Record<string, unknown> | null | undefined) => fromJson<GuardianRow>(o, ['createdAt']);
function timerFromJson(o: Record<string, unknown> | null | undefined): TimerRow | null {
  const t = fromJson<TimerRow>(o, ['dueAt', 'createdAt', 'firedAt']);
  if (t) t.id = Number(t.id);
  return t;
}

// ---- locks ---------------------------------------------------------------------------------------------

export const lockCaseStmt = (caseId: string): Stmt => ({ text: 'select id from cases where id = $1::uuid for update', params: [caseId] });
export const lockFacilityStmt = (id: string): Stmt => ({ text: 'select id from facilities where id = $1::uuid for update', params: [id] });
export const lockGuardianStmt = (id: string): Stmt => ({ text: 'select id from guardians where id = $1::uuid for update', params: [id] });

// ---- loads ---------------------------------------------------------------------------------------------

export interface LoadedCase {
  row: CaseRow;
  household: HouseholdRow;
  members: MemberRow[];
  /** The caller's earlier request with the same Idempotency-Key, if any. */
  idempotency: IdempotencyRow | null;
}

/** The case, its household and members, and the caller's idempotency record: everything a decision reads. */
export function loadCaseStmt(caseId: string, actorId: string, idempotencyKey: string | null): Stmt {
  return {
    text: `select json_build_object(
      'case', (select row_to_json(c) from cases c where c.id = $1::uuid),
      'household', (select row_to_json(h) from households h where h.id = (select household_id from cases where id = $1::uuid)),
      'members', (select coalesce(json_agg(m order by m.position), '[]'::json) from members m where m.household_id = (select household_id from cases where id = $1::uuid)),
      'idempotency', (select row_to_json(i) from idempotency_keys i where $3::text is not null and i.actor_id = $2::text and i.key = $3::text)
    )::text as doc`,
    params: [caseId, actorId, idempotencyKey],
  };
}

export function parseLoadedCase(rows: Row[]): LoadedCase | null {
  const d = docOf<{ case: Record<string, unknown> | null; household: Record<string, unknown> | null; members: Record<string, unknown>[]; idempotency: Record<string, unknown> | null }>(rows);
  const row = caseFromJson(d?.case);
  const household = householdFromJson(d?.household);
  if (!d || !row || !household) return null;
  return { row, household, members: d.members.map(memberFromJson), idempotency: idempotencyFromJson(d.idempotency) };
}

/** A facility with the people living in it now (members of open cases placed there), not counting one case. */
export function loadFacilityStmt(facilityId: string, exceptCaseId: string): Stmt {
  return {
    text: `select json_build_object('facility', row_to_json(f), 'occupied', (
        select count(*) from cases c join members m on m.household_id = c.household_id
        where c.facility_id = f.id and not c.closed and c.id <> $2::uuid))::text as doc
      from facilities f where f.id = $1::uuid`,
    params: [facilityId, exceptCaseId],
  };
}

export function parseFacility(rows: Row[]): { facility: FacilityRow; occupied: number } | null {
  const d = docOf<{ facility: Record<string, unknown>; occupied: number }>(rows);
  const facility = facilityFromJson(d?.facility);
  return d && facility ? { facility, occupied: Number(d.occupied) } : null;
}

/** A guardian with the open cases in their care, not counting one case. */
export function loadGuardianStmt(guardianId: string, exceptCaseId: string): Stmt {
  return {
    text: `select json_build_object('guardian', row_to_json(g), 'wards', (
        select count(*) from cases c where c.guardian_id = g.id and not c.closed and c.id <> $2::uuid))::text as doc
      from guardians g where g.id = $1::uuid`,
    params: [guardianId, exceptCaseId],
  };
}

export function parseGuardian(rows: Row[]): { guardian: GuardianRow; wards: number } | null {
  const d = docOf<{ guardian: Record<string, unknown>; wards: number }>(rows);
  const guardian = guardianFromJson(d?.guardian);
  return d && guardian ? { guardian, wards: Number(d.wards) } : null;
}

/** A person of a survey (or of a case being reopened) already held by an open case: that case and its village. */
export interface ResidentClash {
  caseId: string;
  idNumber: string;
  villageCode: string;
}

// Read from resident_enrolments, the table whose primary key is the guarantee (one open case per person);
// this read only lets the plan refuse with the right answer before a write would fail on that key.
const clashesOf = (idNumbersParam: string) => `(select coalesce(json_agg(json_build_object('caseId', e.case_id, 'idNumber', e.id_number, 'villageCode', c.village_code)
    order by e.id_number), '[]'::json)
  from resident_enrolments e join cases c on c.id = e.case_id
  where e.id_number in (select jsonb_array_elements_text(${idNumbersParam}::text::jsonb)))`;

/** Open cases that hold a person with one of these ID numbers (a resident is held by one open case at most). */
export function openCasesForIdNumbersStmt(idNumbers: readonly string[]): Stmt {
  return { text: `select ${clashesOf('$1')}::text as doc`, params: [JSON.stringify([...new Set(idNumbers)])] };
}

/** Open cases other than this one that hold one of this case's members (REOPEN re-enrols them). */
export function clashesOfCaseStmt(caseId: string): Stmt {
  return {
    text: `select coalesce(json_agg(json_build_object('caseId', e.case_id, 'idNumber', e.id_number, 'villageCode', c.village_code)
        order by e.id_number), '[]'::json)::text as doc
      from members m join resident_enrolments e on e.id_number = m.id_number join cases c on c.id = e.case_id
      where m.household_id = (select household_id from cases where id = $1::uuid) and e.case_id <> $1::uuid`,
    params: [caseId],
  };
}

export const parseOpenCases = (rows: Row[]) => docOf<ResidentClash[]>(rows) ?? [];

/** What a survey is decided on: the village, the caller's idempotency record, and open cases of its people. */
export function loadSurveyStmt(villageCode: string, actorId: string, idempotencyKey: string | null, idNumbers: readonly string[]): Stmt {
  return {
    text: `select json_build_object(
      'region', (select json_build_object('code', r.code, 'level', r.level) from regions r where r.code = $1::text),
      'idempotency', (select row_to_json(i) from idempotency_keys i where $3::text is not null and i.actor_id = $2::text and i.key = $3::text),
      'clashes', ${clashesOf('$4')}
    )::text as doc`,
    params: [villageCode, actorId, idempotencyKey, JSON.stringify([...new Set(idNumbers)])],
  };
}

export function parseSurveyLoad(rows: Row[]) {
  const d = docOf<{ region: { code: string; level: string } | null; idempotency: Record<string, unknown> | null; clashes: ResidentClash[] }>(rows);
  return { region: d?.region ?? null, idempotency: idempotencyFromJson(d?.idempotency), clashes: d?.clashes ?? [] };
}

/**
 * A refused duplicate whose other case lies outside the caller's jurisdiction: one notification to each
 * active supervisor whose jurisdiction covers that case (the refusal names no case; they can resolve it).
 */
export function insertDuplicateAlertsStmt(rows: readonly { caseId: string; title: string; body: string; data: unknown; createdAt: Date }[]): Stmt {
  return {
    text: `insert into notifications (user_id, case_id, timer_id, kind, title, body, data, created_at)
      select u.id, c.id, null, 'duplicate_resident', a.title, a.body, a.data, a.created_at
      from jsonb_to_recordset($1::text::jsonb) as a(case_id uuid, title text, body text, data jsonb, created_at timestamptz)
      join cases c on c.id = a.case_id
      join users u on u.active and 'supervisor' = any(u.roles) and starts_with(c.village_code, u.jurisdiction)`,
    params: [JSON.stringify(rows.map((r) => ({ case_id: r.caseId, title: r.title, body: r.body, data: r.data, created_at: r.createdAt.toISOString() })))],
  };
}

// ---- timers --------------------------------------------------------------------------------------------

/**
 * The next due timers, oldest first, without locking them: the worker's list for one round. One range scan
 * of the partial due index per `limit` timers — scanning it for every firing would walk, each time, past the
 * entries of the timers fired a moment before (dead until vacuumed). Another worker may hold the same ids:
 * each firing claims its timer itself (claimTimerStmt), and one of the two skips it.
 */
export function dueTimerIdsStmt(now: Date, limit: number): Stmt {
  return {
    text: `select id::text as id from timers where status = 'pending' and due_at <= $1::text::timestamptz order by due_at, id limit $2::int`,
    params: [now.toISOString(), String(limit)],
  };
}

export const parseIds = (rows: Row[]) => rows.map((r) => Number(r.id));

/**
 * Claims one timer if it is still pending and due, and locks its case, skipping both when another
 * transaction holds either: a firing never waits for a case while holding a timer, and a command (case lock
 * first, then its timers) never waits for a firing, so the two cannot deadlock.
 */
export function claimTimerStmt(now: Date, id: number): Stmt {
  return {
    text: `select json_build_object('timer', row_to_json(t), 'case', row_to_json(c))::text as doc
      from timers t join cases c on c.id = t.case_id
      where t.id = $2::bigint and t.status = 'pending' and t.due_at <= $1::text::timestamptz
      for update of t, c skip locked`,
    params: [now.toISOString(), String(id)],
  };
}

export function parseClaim(rows: Row[]): { timer: TimerRow; row: CaseRow } | null {
  const d = docOf<{ timer: Record<string, unknown>; case: Record<string, unknown> }>(rows);
  const timer = timerFromJson(d?.timer);
  const row = caseFromJson(d?.case);
  return timer && row ? { timer, row } : null;
}

/** Who hears of a reminder about a case in this village: active users of the role (and level), and webhooks. */
export function recipientsStmt(villageCode: string, role: string | null, reviewLevel: string | null): Stmt {
  return {
    text: `select json_build_object(
      'users', (select coalesce(json_agg(json_build_object('id', u.id, 'username', u.username, 'displayName', u.display_name) order by u.username), '[]'::json)
        from users u where $2::text is not null and u.active and $2::text = any(u.roles) and starts_with($1::text, u.jurisdiction)
          and ($3::text is null or u.review_level = $3::text)),
      'webhooks', (select coalesce(json_agg(w.id order by w.created_at, w.id), '[]'::json)
        from webhooks w where w.active and starts_with($1::text, w.region_prefix))
    )::text as doc`,
    params: [villageCode, role, reviewLevel],
  };
}

export interface Recipients {
  users: { id: string; username: string; displayName: string }[];
  webhooks: string[];
}

export const parseRecipients = (rows: Row[]): Recipients => docOf<Recipients>(rows) ?? { users: [], webhooks: [] };

export const finishTimerStmt = (id: number, outcome: string, at: Date): Stmt => ({
  text: `update timers set status = 'done', outcome = $2::text, fired_at = $3::text::timestamptz where id = $1::bigint and status = 'pending'`,
  params: [String(id), outcome, at.toISOString()],
});

/**
 * A firing that failed: retry after `retryAt`, or give up (failed). Guarded by the attempts the firing saw:
 * if another worker fired or failed the timer in the meantime, this records nothing (never counts twice).
 */
export const failTimerStmt = (id: number, attemptsSeen: number, error: string, retryAt: Date | null): Stmt => ({
  text: `update timers set attempts = attempts + 1, last_error = $2::text,
      due_at = coalesce($3::text::timestamptz, due_at),
      status = case when $3::text is null then 'failed' else status end
    where id = $1::bigint and status = 'pending' and attempts = $4::int`,
  params: [String(id), error.slice(0, 2000), retryAt ? retryAt.toISOString() : null, String(attemptsSeen)],
});

export function insertNotificationsStmt(rows: readonly { userId: string; caseId: string; timerId: number; kind: string; title: string; body: string; data: unknown; createdAt: Date }[]): Stmt {
  return {
    text: `insert into notifications (user_id, case_id, timer_id, kind, title, body, data, created_at)
      select n.user_id, n.case_id, n.timer_id, n.kind, n.title, n.body, n.data, n.created_at
      from jsonb_to_recordset($1::text::jsonb) as n(user_id uuid, case_id uuid, timer_id bigint, kind text, title text, body text, data jsonb, created_at timestamptz)`,
    params: [JSON.stringify(rows.map((r) => ({ user_id: r.userId, case_id: r.caseId, timer_id: r.timerId, kind: r.kind, title: r.title, body: r.body, data: r.data, created_at: r.createdAt.toISOString() })))],
  };
}

export function insertDeliveriesStmt(rows: readonly { webhookId: string; payload: unknown; nextAttemptAt: Date }[]): Stmt {
  return {
    text: `insert into webhook_deliveries (webhook_id, payload, next_attempt_at)
      select d.webhook_id, d.payload, d.next_attempt_at
      from jsonb_to_recordset($1::text::jsonb) as d(webhook_id uuid, payload jsonb, next_attempt_at timestamptz)`,
    params: [JSON.stringify(rows.map((r) => ({ webhook_id: r.webhookId, payload: r.payload, next_attempt_at: r.nextAttemptAt.toISOString() })))],
  };
}
