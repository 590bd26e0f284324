/**
 * What a command writes, as plain data (the engine's plan), and the statements that write it. The case's
 * new state, its audit record and its timers go in one statement with data-modifying CTEs; rows that only
 * some commands touch (members' categories, a revisit, a replaced survey, an idempotency record) are further
 * statements in the same pipelined batch, sent with COMMIT.
 */
import type { HashedAuditRecord } from '../audit/hash.js';
import { CASE_NUMBER_TIME_ZONE } from '../domain/caseNumber.js';
import type { Row, Stmt } from './session.js';

/** The mirror columns and snapshot a command sets on its case. */
export interface CaseFields {
  machineId: string;
  machineVersion: number;
  snapshot: unknown;
  state: string;
  reviewLevel: string | null;
  closed: boolean;
  placementMode: string | null;
  facilityId: string | null;
  guardianId: string | null;
  deadlineKey: string | null;
  deadlineAt: Date | null;
  applicationDeadlineAt: Date | null;
}

/** An audit record with its place in the chain already computed (seq, prevHash, hash); its case is the write's. */
export type AuditWrite = Omit<HashedAuditRecord, 'caseId' | 'at'> & { at: Date };

export interface TimerWrite {
  kind: string;
  key: string;
  dueAt: Date;
  payload: Record<string, unknown>;
}

export interface MemberWrite {
  id: string;
  position: number;
  name: string;
  idNumber: string;
  birthDate: string;
  sex: string;
  relation: string;
  labourCapacity: string;
  disabilities: unknown;
  seriousIllness: string | null;
  severeMentalDisorder: boolean;
  selfCare: unknown;
  categories: string[];
  createdAt: Date;
}

export interface HouseholdWrite {
  id: string;
  villageCode: string;
  address: string;
  poorId: string | null;
  legalSupporter: unknown;
  createdBy: string;
  createdAt: Date;
}

export interface RevisitWrite {
  date: string;
  visitorId: string;
  livingConditions: string;
  health: string;
  problems: string;
  reassessmentNeeded: boolean;
  placementMode: string;
  recordedAt: Date;
  /** The revisit deadline the visit answers (the case's deadline while it was due), if any. */
  dueAt: Date | null;
}

export interface IdempotencyWrite {
  actorId: string;
  key: string;
  requestHash: string;
  statusCode: number;
  response: unknown;
  createdAt: Date;
}

export interface CaseWrite {
  caseId: string;
  /** Set when the case exists: the version the command read (and holds the lock on). */
  expectedRowVersion: number | null;
  fields: CaseFields;
  updatedAt: Date;
  audit: AuditWrite;
  /** The timer diff: keys the old plan had and the new one has not, and timers the new plan adds. */
  timers: { cancelKeys: string[]; insert: TimerWrite[] };
  memberCategories: { id: string; categories: string[] }[];
  revisit: RevisitWrite | null;
  /**
   * A new case (the survey): its household and members, inserted before the case. `caseNumber`, when given, was
   * reserved beforehand in the same transaction (reserveCaseNumbersStmt: a bulk import takes a batch's numbers
   * with one update of the counter row instead of one per case); otherwise the case statement takes the next one.
   */
  create: { household: HouseholdWrite; members: MemberWrite[]; openedAt: Date; caseNumber?: string } | null;
  /** UPDATE_SURVEY: the household's fields and its whole member list, replaced. */
  replaceSurvey: { householdId: string; address: string; poorId: string | null; legalSupporter: unknown; members: MemberWrite[] } | null;
  idempotency: IdempotencyWrite | null;
  /**
   * The case's hold on its residents (resident_enrolments): `enrol` when it starts holding them (the survey,
   * a replaced member list, REOPEN), `release` when it stops (screenedOut, rejected, exited); null: unchanged.
   */
  enrolment: 'enrol' | 'release' | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const json = (v: unknown) => JSON.stringify(v ?? null);

/**
 * A new case's number (src/domain/caseNumber.ts): the next of its county ($31, the village code) and year (the
 * command's clock time $14, in China time), an upsert whose row lock is held until COMMIT — surveys in one county
 * take their numbers one after another, in the last round trip only, and a survey that rolls back (a lost race on a
 * resident) gives its number back. Every other counter is left alone.
 */
const TAKE_CASE_NUMBER = `insert into case_number_counters as k (county_code, year, last)
    values (left($31::text, 6), extract(year from $14::text::timestamptz at time zone '${CASE_NUMBER_TIME_ZONE}')::int, 1)
    on conflict (county_code, year) do update set last = k.last + 1
    returning county_code, year, last`;
/** The number of the counter row `num` took: 411282-2026-000123, at least 6 digits of sequence. */
const CASE_NUMBER_OF_NUM = `num.county_code || '-' || num.year || '-' || lpad(num.last::text, greatest(6, length(num.last::text)), '0')`;

/**
 * Reserves `n` case numbers of a county for the year of `at` (China time) with one update of its counter row:
 * the statement returns the last number taken, so the batch's numbers are last − n + 1 … last. A bulk import
 * uses it per batch: one row updated tens of thousands of times in one transaction makes each update walk all the
 * row's earlier versions (quadratic), and this keeps it to one update a batch. Rolls back with the transaction.
 */
export function reserveCaseNumbersStmt(countyCode: string, at: Date, n: number): Stmt {
  return {
    text: `insert into case_number_counters as k (county_code, year, last)
      values ($1::text, extract(year from $2::text::timestamptz at time zone '${CASE_NUMBER_TIME_ZONE}')::int, $3::int)
      on conflict (county_code, year) do update set last = k.last + $3::int
      returning county_code, year, last`,
    params: [countyCode, at.toISOString(), String(n)],
  };
}

/** The case's new state, audit record and timers; inserts the case when it is new. */
function caseStatement(w: CaseWrite): Stmt {
  const f = w.fields;
  const a = w.audit;
  const params = [
    w.caseId, // 1
    f.machineId,
    String(f.machineVersion),
    json(f.snapshot),
    f.state, // 5
    f.reviewLevel,
    String(f.closed),
    f.placementMode,
    f.facilityId,
    f.guardianId, // 10
    f.deadlineKey,
    iso(f.deadlineAt),
    iso(f.applicationDeadlineAt),
    w.updatedAt.toISOString(),
    String(a.seq), // 15
    a.hash,
    w.expectedRowVersion === null ? null : String(w.expectedRowVersion),
    a.eventType,
    json(a.payload),
    a.actorId, // 20
    a.actorRole,
    a.stateBefore,
    a.stateAfter,
    a.requestId,
    a.at.toISOString(), // 25
    a.prevHash,
    json(w.timers.cancelKeys),
    json(w.timers.insert.map((t) => ({ kind: t.kind, key: t.key, due_at: t.dueAt.toISOString(), payload: t.payload }))),
    a.clientRequestId ?? null, // 29
  ];
  // Every sub-statement hangs on `upd`: if the case was not written (never, while the lock is held), nothing is.
  const write =
    w.expectedRowVersion === null
      ? `insert into cases (id, household_id, machine_id, machine_version, snapshot, state, review_level, closed, placement_mode,
            facility_id, guardian_id, deadline_key, deadline_at, application_deadline_at, opened_at, updated_at, village_code,
            township_code, county_code, audit_seq, audit_head, case_number)
          select $1::uuid, $30::uuid, $2::text, $3::int, $4::text::jsonb, $5::text, $6::text, $7::text::boolean, $8::text,
            $9::uuid, $10::uuid, $11::text, $12::text::timestamptz, $13::text::timestamptz, $14::text::timestamptz, $14::text::timestamptz,
            $31::text, left($31::text, 9), left($31::text, 6), $15::int, $16::text, ${CASE_NUMBER_OF_NUM}
          from num
          where $17::int is null
          returning id, case_number`
      : `update cases set machine_id = $2::text, machine_version = $3::int, snapshot = $4::text::jsonb, state = $5::text,
            review_level = $6::text, closed = $7::text::boolean, placement_mode = $8::text, facility_id = $9::uuid, guardian_id = $10::uuid,
            deadline_key = $11::text, deadline_at = $12::text::timestamptz, application_deadline_at = $13::text::timestamptz,
            updated_at = $14::text::timestamptz, row_version = row_version + 1, audit_seq = $15::int, audit_head = $16::text
          where id = $1::uuid and row_version = $17::int
          returning id, case_number`;
  const reserved = w.expectedRowVersion === null ? (w.create?.caseNumber ?? null) : null;
  if (w.expectedRowVersion === null) {
    params.push(w.create!.household.id, w.create!.household.villageCode);
    if (reserved !== null) params.push(reserved);
  }
  const numCte = reserved !== null ? `num as (select $32::text as case_number),` : `num as (${TAKE_CASE_NUMBER}),`;
  return {
    text: `with ${w.expectedRowVersion === null ? numCte : ''} upd as (${reserved !== null ? write.replace(CASE_NUMBER_OF_NUM, 'num.case_number') : write}),
      audit as (
        insert into audit_records (case_id, seq, event_type, payload, actor_id, actor_role, state_before, state_after,
          machine_version, request_id, client_request_id, at, prev_hash, hash)
        select id, $15::int, $18::text, $19::text::jsonb, $20::text, $21::text, $22::text, $23::text, $3::int, $24::text,
          $29::text, $25::text::timestamptz, $26::text, $16::text from upd
        returning seq),
      -- "status <> 'cancelled'" repeats the predicate of timers_case_key_idx (case_id, key), the only index
      -- on the case's timers, so the planner uses it without having to prove it from status = 'pending'.
      cancelled as (
        update timers set status = 'cancelled'
        where case_id = $1::uuid and status = 'pending' and status <> 'cancelled'
          and key in (select jsonb_array_elements_text($27::text::jsonb)) and exists (select 1 from upd)
        returning id),
      planned as (
        insert into timers (case_id, kind, key, due_at, payload)
        select upd.id, t.kind, t.key, t.due_at, t.payload
        from upd, jsonb_to_recordset($28::text::jsonb) as t(kind text, key text, due_at timestamptz, payload jsonb)
        on conflict (case_id, key) where status <> 'cancelled' do nothing
        returning id)
      -- 1 / 0 when the case was not written: the transaction aborts rather than commit a command half-done.
      select 1 / (select count(*)::int from upd) as written, (select count(*) from audit)::int as audited,
        (select case_number from upd) as case_number`,
    params,
  };
}

function membersInsert(householdId: string, members: readonly MemberWrite[]): Stmt {
  return {
    text: `insert into members (id, household_id, position, name, id_number, birth_date, sex, relation, labour_capacity,
        disabilities, serious_illness, severe_mental_disorder, self_care, categories, created_at)
      select m.id, $1::uuid, m.position, m.name, m.id_number, m.birth_date, m.sex, m.relation, m.labour_capacity,
        m.disabilities, m.serious_illness, m.severe_mental_disorder, m.self_care,
        array(select jsonb_array_elements_text(m.categories)), m.created_at
      from jsonb_to_recordset($2::text::jsonb) as m(id uuid, position int, name text, id_number text, birth_date date, sex text,
        relation text, labour_capacity text, disabilities jsonb, serious_illness text, severe_mental_disorder boolean,
        self_care jsonb, categories jsonb, created_at timestamptz)`,
    params: [
      householdId,
      JSON.stringify(
        members.map((m) => ({
          id: m.id, position: m.position, name: m.name, id_number: m.idNumber, birth_date: m.birthDate, sex: m.sex, relation: m.relation,
          labour_capacity: m.labourCapacity, disabilities: m.disabilities ?? [], serious_illness: m.seriousIllness,
          severe_mental_disorder: m.severeMentalDisorder, self_care: m.selfCare, categories: m.categories, created_at: m.createdAt.toISOString(),
        })),
      ),
    ],
  };
}

/** The statements of a command's write, in order; they go with COMMIT in one round trip. */
export function caseWriteStatements(w: CaseWrite): Stmt[] {
  return caseWriteBatch(w).stmts;
}

export interface CaseWriteBatch {
  stmts: Stmt[];
  /** The case's number, from the rows of `stmts` (the case statement returns it: a new case's is taken there). */
  caseNumberOf(rows: readonly Row[][]): string;
}

/** caseWriteStatements, and where in their rows the case's number comes back. */
export function caseWriteBatch(w: CaseWrite): CaseWriteBatch {
  const out: Stmt[] = [];
  if (w.create) {
    const h = w.create.household;
    out.push({
      text: `insert into households (id, village_code, address, poor_id, legal_supporter, created_by, created_at)
        values ($1::uuid, $2::text, $3::text, $4::text, $5::text::jsonb, $6::uuid, $7::text::timestamptz)`,
      params: [h.id, h.villageCode, h.address, h.poorId, h.legalSupporter === null ? null : json(h.legalSupporter), h.createdBy, h.createdAt.toISOString()],
    });
    if (w.create.members.length > 0) out.push(membersInsert(h.id, w.create.members));
  }
  if (w.replaceSurvey) {
    const r = w.replaceSurvey;
    out.push({
      text: 'update households set address = $2::text, poor_id = $3::text, legal_supporter = $4::text::jsonb where id = $1::uuid',
      params: [r.householdId, r.address, r.poorId, r.legalSupporter === null ? null : json(r.legalSupporter)],
    });
    out.push({ text: 'delete from members where household_id = $1::uuid', params: [r.householdId] });
    if (r.members.length > 0) out.push(membersInsert(r.householdId, r.members));
  }
  const caseAt = out.push(caseStatement(w)) - 1;
  if (w.enrolment === 'enrol') {
    // The primary key refuses a person another open case holds (RESIDENT_CONSTRAINT below): the transaction
    // rolls back and the engine plans the command again, which then finds the other case and refuses.
    // In ID-number order, so two surveys sharing two people take their keys in the same order (no deadlock).
    out.push({
      text: `insert into resident_enrolments (id_number, case_id, member_id)
        select m.id_number, c.id, m.id from cases c join members m on m.household_id = c.household_id
        where c.id = $1::uuid order by m.id_number`,
      params: [w.caseId],
    });
  } else if (w.enrolment === 'release') {
    out.push({ text: 'delete from resident_enrolments where case_id = $1::uuid', params: [w.caseId] });
  }
  if (w.memberCategories.length > 0) {
    out.push({
      text: `update members as m set categories = array(select jsonb_array_elements_text(x.categories))
        from jsonb_to_recordset($1::text::jsonb) as x(id uuid, categories jsonb) where m.id = x.id`,
      params: [JSON.stringify(w.memberCategories.map((m) => ({ id: m.id, categories: [...new Set(m.categories)] })))],
    });
  }
  if (w.revisit) {
    const r = w.revisit;
    out.push({
      text: `insert into revisits (case_id, date, visitor_id, living_conditions, health, problems, reassessment_needed, placement_mode, recorded_at, due_at)
        values ($1::uuid, $2::text::date, $3::text, $4::text, $5::text, $6::text, $7::text::boolean, $8::text, $9::text::timestamptz, $10::text::timestamptz)`,
      params: [w.caseId, r.date, r.visitorId, r.livingConditions, r.health, r.problems, String(r.reassessmentNeeded), r.placementMode, r.recordedAt.toISOString(), iso(r.dueAt)],
    });
  }
  if (w.idempotency) {
    const i = w.idempotency;
    // No ON CONFLICT: a concurrent request that took the key first makes this fail, the transaction roll
    // back, and the engine replay that request's answer (IDEMPOTENCY_CONSTRAINT below).
    out.push({
      text: `insert into idempotency_keys (actor_id, key, case_id, request_hash, status_code, response, created_at)
        values ($1::text, $2::text, $3::uuid, $4::text, $5::int, $6::text::jsonb, $7::text::timestamptz)`,
      params: [i.actorId, i.key, w.caseId, i.requestHash, String(i.statusCode), json(i.response), i.createdAt.toISOString()],
    });
  }
  return {
    stmts: out,
    caseNumberOf(rows) {
      const n = rows[caseAt]?.[0]?.case_number;
      if (typeof n !== 'string') throw new Error(`case ${w.caseId}: the write returned no case number`);
      return n;
    },
  };
}

/** The primary key whose violation means "another request with this Idempotency-Key committed first". */
export const IDEMPOTENCY_CONSTRAINT = 'idempotency_keys_pk';

/** The primary key whose violation means "another open case took this person first". */
export const RESIDENT_CONSTRAINT = 'resident_enrolments_pk';
