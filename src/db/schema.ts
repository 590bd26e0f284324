// Drizzle schema: the single source for drizzle-kit's generated SQL in migrations/.
//
// drizzle-kit loads this file with its own bundler: keep its imports to drizzle-orm and pure src/domain
// modules (no IO, nothing that reads configuration).
//
// Conventions: snake_case columns, timestamptz everywhere (instants, never wall-clock times), closed sets of
// values as text + CHECK rather than PostgreSQL enums (adding a value is then one migration, not ALTER TYPE).
//
// Glossary
//   region code    12-digit statistical division code (统计用区划代码); a higher level is stored padded with
//                  zeros (灵宝市 = 411282000000). A jurisdiction is a *prefix* of a village code ('411282').
//   household      户; members are its people, ordered by `position` (1 = head, 户主).
//   case           one household's path through survey → evaluation → review → publicity (公示) → placement.
//   audit record   one accepted event on a case; hash-chained per case, append-only (enforced by a trigger).
import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  char,
  check,
  date,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import { CASE_NUMBER_PATTERN, CASE_NUMBER_TIME_ZONE } from '../domain/caseNumber.js';
import { REGION_LEVELS, type RegionLevel } from '../domain/regions.js';

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** SQL list literal for CHECK constraints: ('a', 'b'). Values are our own constants, never user input. */
const sqlList = (values: readonly string[]) => sql.raw(`(${values.map((v) => `'${v}'`).join(', ')})`);
/** SQL text[] literal: ARRAY['a', 'b']::text[]. */
const sqlTextArray = (values: readonly string[]) =>
  sql.raw(`ARRAY[${values.map((v) => `'${v}'`).join(', ')}]::text[]`);

export { REGION_LEVELS, type RegionLevel };

export const ROLES = [
  'enumerator',
  'evaluator',
  'reviewer',
  'officer',
  'visitor',
  'supervisor',
  'admin',
  'system',
] as const;
export type Role = (typeof ROLES)[number];

export const REVIEW_LEVELS = ['village', 'township', 'county'] as const;
export type ReviewLevel = (typeof REVIEW_LEVELS)[number];

export const FACILITY_TYPES = [
  'nursing_home', // 敬老院
  'resettlement_site', // 安置点
  'mutual_aid_center', // 村级互助幸福中心
  'county_hospital',
  'township_health_center',
  'psychiatric_hospital',
] as const;
export type FacilityType = (typeof FACILITY_TYPES)[number];

/** The five categories (五类). */
export const CATEGORIES = [
  'elderly', // 贫困老年人
  'severe_disability', // 重度残疾人
  'serious_illness', // 重特大病人
  'severe_intellectual', // 重度智力障碍
  'mental_illness', // 精神病患者
] as const;
export type Category = (typeof CATEGORIES)[number];

export const SEXES = ['male', 'female'] as const;
export type Sex = (typeof SEXES)[number];

export const LABOUR_CAPACITIES = ['full', 'partial', 'none'] as const;
export type LabourCapacity = (typeof LABOUR_CAPACITIES)[number];

export const DISABILITY_TYPES = ['physical', 'visual', 'hearing', 'speech', 'intellectual', 'mental'] as const;
export type DisabilityType = (typeof DISABILITY_TYPES)[number];

/** One disability with its grade; grade 1 is the most severe. */
export interface Disability {
  type: DisabilityType;
  grade: number;
}

/** 法定赡养人: a legal supporter who usually lives elsewhere. */
export interface LegalSupporter {
  name: string;
  relation: string;
  phone: string;
  address: string;
}

/** Self-care assessment (six daily-living items). Its exact shape belongs to the domain layer. */
export type SelfCareAssessment = Record<string, unknown>;

export const regions = pgTable(
  'regions',
  {
    code: varchar('code', { length: 12 }).primaryKey(),
    level: text('level').$type<RegionLevel>().notNull(),
    // Null only at the top of the loaded tree (a province).
    parentCode: varchar('parent_code', { length: 12 }),
    name: text('name').notNull(),
  },
  (t) => [
    foreignKey({ columns: [t.parentCode], foreignColumns: [t.code], name: 'regions_parent_fk' }),
    index('regions_parent_idx').on(t.parentCode),
    check('regions_level_check', sql`${t.level} in ${sqlList(REGION_LEVELS)}`),
    // The digits below a region's level are zeros, so regionPrefix(code, level) names exactly its subtree.
    check(
      'regions_code_shape_check',
      sql.join(
        [
          sql`${t.code} ~ case ${t.level}`,
          sql.raw(`when 'province' then '^[0-9]{2}0{10}$' when 'prefecture' then '^[0-9]{4}0{8}$'`),
          sql.raw(`when 'county' then '^[0-9]{6}0{6}$' when 'township' then '^[0-9]{9}000$'`),
          sql.raw(`else '^[0-9]{12}$' end`),
        ],
        sql` `,
      ),
    ),
  ],
);

export const USER_KINDS = ['person', 'service'] as const;
export type UserKind = (typeof USER_KINDS)[number];

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    username: text('username').notNull().unique('users_username_unique'),
    displayName: text('display_name').notNull(),
    roles: text('roles').array().$type<Role[]>().notNull().default(sql`'{}'::text[]`),
    // Only meaningful for reviewers: the level of the review chain they sign at.
    reviewLevel: text('review_level').$type<ReviewLevel>(),
    // A region-code prefix: the user may act on cases whose village code starts with it.
    jurisdiction: text('jurisdiction').notNull(),
    active: boolean('active').notNull().default(true),
    createdAt: tstz('created_at').notNull().defaultNow(),
    // Sign-in (src/auth/password.ts): a scrypt hash, null for a user who signs in only through single sign-on.
    passwordHash: text('password_hash'),
    // An initial or reset password must be replaced at the next sign-in before anything else is allowed.
    mustChangePassword: boolean('must_change_password').notNull().default(false),
    // 'person' signs in with a password (and may use the console); 'service' is an API client that exchanges
    // its secret for a bearer token and never gets a browser session.
    kind: text('kind').$type<UserKind>().notNull().default('person'),
    // The identity provider's value (OIDC_USER_CLAIM of its tokens) that maps to this user, if any.
    externalId: text('external_id').unique('users_external_id_unique'),
    // Bumped when a password is reset or the user deactivated: bearer tokens carry it (claim tv), older ones stop working.
    tokenVersion: integer('token_version').notNull().default(0),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
    // Seeded demo user: production refuses to start while one exists unless ALLOW_DEMO_USERS=on.
    demo: boolean('demo').notNull().default(false),
  },
  (t) => [
    check('users_kind_check', sql`${t.kind} in ${sqlList(USER_KINDS)}`),
    check('users_roles_check', sql`${t.roles} <@ ${sqlTextArray(ROLES)}`),
    check('users_review_level_check', sql`${t.reviewLevel} is null or ${t.reviewLevel} in ${sqlList(REVIEW_LEVELS)}`),
    // Prefix lengths of the five levels (2, 4, 6, 9, 12 digits).
    check(
      'users_jurisdiction_check',
      sql`${t.jurisdiction} ~ '^[0-9]+$' and char_length(${t.jurisdiction}) in (2, 4, 6, 9, 12)`,
    ),
  ],
);

export const facilities = pgTable(
  'facilities',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    type: text('type').$type<FacilityType>().notNull(),
    regionCode: varchar('region_code', { length: 12 }).notNull(),
    beds: integer('beds').notNull().default(0),
    caregivers: integer('caregivers').notNull().default(0),
    medicalStaff: integer('medical_staff').notNull().default(0),
    // The facility's medical standard: patients one medical staff member may care for (null = not set).
    patientsPerMedicalStaff: integer('patients_per_medical_staff'),
    createdAt: tstz('created_at').notNull().defaultNow(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('facilities_region_idx').on(t.regionCode),
    check('facilities_type_check', sql`${t.type} in ${sqlList(FACILITY_TYPES)}`),
    check('facilities_region_code_check', sql`${t.regionCode} ~ '^[0-9]{12}$'`),
    check('facilities_beds_check', sql`${t.beds} >= 0`),
    check('facilities_caregivers_check', sql`${t.caregivers} >= 0`),
    check('facilities_medical_staff_check', sql`${t.medicalStaff} >= 0`),
  ],
);

export const households = pgTable(
  'households',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    villageCode: varchar('village_code', { length: 12 }).notNull(),
    address: text('address').notNull(),
    // 建档立卡 number of a registered-poor household, when it has one.
    poorId: text('poor_id'),
    legalSupporter: jsonb('legal_supporter').$type<LegalSupporter>(),
    createdBy: uuid('created_by').notNull(),
    createdAt: tstz('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('households_village_idx').on(t.villageCode),
    check('households_village_code_check', sql`${t.villageCode} ~ '^[0-9]{12}$'`),
  ],
);

export const members = pgTable(
  'members',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    householdId: uuid('household_id')
      .notNull()
      .references(() => households.id),
    position: integer('position').notNull(),
    name: text('name').notNull(),
    // Personal data: never logged; masked in responses (see src/domain/residentId.ts).
    idNumber: varchar('id_number', { length: 18 }).notNull(),
    birthDate: date('birth_date', { mode: 'string' }).notNull(),
    sex: text('sex').$type<Sex>().notNull(),
    relation: text('relation').notNull(),
    labourCapacity: text('labour_capacity').$type<LabourCapacity>().notNull(),
    disabilities: jsonb('disabilities').$type<Disability[]>().notNull().default([]),
    seriousIllness: text('serious_illness'),
    severeMentalDisorder: boolean('severe_mental_disorder').notNull().default(false),
    selfCare: jsonb('self_care').$type<SelfCareAssessment>(),
    // Categories confirmed by the evaluator (screening's guesses live in the case snapshot).
    categories: text('categories').array().$type<Category[]>().notNull().default(sql`'{}'::text[]`),
    createdAt: tstz('created_at').notNull().defaultNow(),
  },
  (t) => [
    unique('members_household_position_unique').on(t.householdId, t.position),
    index('members_id_number_idx').on(t.idNumber),
    check('members_id_number_check', sql`char_length(${t.idNumber}) = 18`),
    check('members_sex_check', sql`${t.sex} in ${sqlList(SEXES)}`),
    check('members_labour_capacity_check', sql`${t.labourCapacity} in ${sqlList(LABOUR_CAPACITIES)}`),
    check('members_disabilities_check', sql`jsonb_typeof(${t.disabilities}) = 'array'`),
    check('members_categories_check', sql`${t.categories} <@ ${sqlTextArray(CATEGORIES)}`),
  ],
);

export const cases = pgTable(
  'cases',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    householdId: uuid('household_id')
      .notNull()
      .references(() => households.id),
    machineId: text('machine_id').notNull(),
    machineVersion: integer('machine_version').notNull(),
    // Persisted XState snapshot, as written by machineVersion; migrated by the engine on load.
    snapshot: jsonb('snapshot').$type<unknown>().notNull(),
    // Dotted state value ('review', 'review.township'): denormalized from the snapshot for querying.
    state: text('state').notNull(),
    reviewLevel: text('review_level'),
    // Optimistic concurrency: bumped by every updateCase.
    rowVersion: integer('row_version').notNull().default(1),
    // Region codes denormalized from the household so listing by jurisdiction needs no join.
    villageCode: varchar('village_code', { length: 12 }).notNull(),
    townshipCode: varchar('township_code', { length: 9 }).notNull(),
    countyCode: varchar('county_code', { length: 6 }).notNull(),
    // The deadline of the step the case is in (e.g. 'review.county'), for overdue queries.
    deadlineKey: text('deadline_key'),
    deadlineAt: tstz('deadline_at'),
    // The whole-application limit (survey submitted → approved), running across steps.
    applicationDeadlineAt: tstz('application_deadline_at'),
    openedAt: tstz('opened_at').notNull().defaultNow(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
    // True once the case reaches the final state `exited`.
    closed: boolean('closed').notNull().default(false),
    // The current placement (三个一批), denormalized from the snapshot: a facility's occupancy is the count
    // of open cases placed there, derived and never typed in.
    placementMode: text('placement_mode'),
    facilityId: uuid('facility_id').references(() => facilities.id),
    // The guardian of a dispersed-care placement (guardians.id): a guardian's load is the count of open cases.
    guardianId: uuid('guardian_id'),
    // The head of the case's audit chain (seq and hash of its newest record), kept here so that a command
    // appends the next record without reading the chain: it holds the case's row lock anyway. 0 / null
    // before the first record.
    auditSeq: integer('audit_seq').notNull().default(0),
    auditHead: char('audit_head', { length: 64 }),
    // The readable number, 411282-2026-000123 (src/domain/caseNumber.ts): taken from case_number_counters in the
    // survey's transaction; the console shows it and uses it in URLs. Never changes.
    caseNumber: text('case_number').notNull(),
  },
  (t) => [
    uniqueIndex('cases_case_number_unique').on(t.caseNumber),
    index('cases_county_state_idx').on(t.countyCode, t.state),
    index('cases_state_deadline_idx').on(t.state, t.deadlineAt),
    index('cases_village_idx').on(t.villageCode),
    // Every case of a household, open or closed: the report rollups' members trigger (migration 0018) finds the
    // cases a member counts for by it.
    index('cases_household_idx').on(t.householdId),
    // The revisit-compliance report's missed revisits (src/db/reportRollup.ts readMissedRevisits): placed cases by
    // county and revisit deadline, with the village, read index-only.
    index('cases_revisit_due_idx').on(t.countyCode, t.deadlineAt, t.villageCode).where(sql`not ${t.closed} and ${t.deadlineKey} = 'revisit' and ${t.deadlineAt} is not null`),
    index('cases_county_id_idx').on(t.countyCode, t.id),
    index('cases_facility_open_idx').on(t.facilityId).where(sql`not ${t.closed}`),
    index('cases_guardian_open_idx').on(t.guardianId).where(sql`not ${t.closed}`),
    // Inboxes: the cases waiting on a role (state) and level, oldest deadline first.
    index('cases_inbox_idx').on(t.state, t.reviewLevel, t.deadlineAt, t.id),
    // Supervisors' overdue views: open cases by deadline within a county or township, and counts by step.
    // The county and township indexes also INCLUDE state, deadline_key, review_level, village_code and the other
    // region code (migration 0008_overdue_index_only), so a page is an index-only scan; drizzle cannot express
    // INCLUDE, so only the keys and the predicate are declared here.
    index('cases_overdue_county_idx').on(t.countyCode, t.deadlineAt, t.id).where(sql`not ${t.closed} and ${t.deadlineAt} is not null`),
    index('cases_overdue_township_idx').on(t.townshipCode, t.deadlineAt, t.id).where(sql`not ${t.closed} and ${t.deadlineAt} is not null`),
    index('cases_overdue_step_idx').on(t.countyCode, t.deadlineKey, t.deadlineAt).where(sql`not ${t.closed} and ${t.deadlineAt} is not null`),
    // One case per household path: a household may start a new case only after the old one is closed.
    uniqueIndex('cases_one_open_per_household').on(t.householdId).where(sql`not ${t.closed}`),
    check('cases_village_code_check', sql`${t.villageCode} ~ '^[0-9]{12}$'`),
    check('cases_township_code_check', sql`${t.townshipCode} = left(${t.villageCode}, 9)`),
    check('cases_county_code_check', sql`${t.countyCode} = left(${t.villageCode}, 6)`),
    check('cases_row_version_check', sql`${t.rowVersion} >= 1`),
    check('cases_audit_head_check', sql`(${t.auditSeq} = 0) = (${t.auditHead} is null)`),
    check('cases_case_number_check', sql`${t.caseNumber} ~ ${sql.raw(`'${CASE_NUMBER_PATTERN}'`)}`),
    // The number names the case's county and the year of its opening in China time.
    check('cases_case_number_county_check', sql`left(${t.caseNumber}, 6) = ${t.countyCode}`),
    check(
      'cases_case_number_year_check',
      sql`substr(${t.caseNumber}, 8, 4) = to_char(${t.openedAt} at time zone ${sql.raw(`'${CASE_NUMBER_TIME_ZONE}'`)}, 'YYYY')`,
    ),
  ],
);

/**
 * The last case number taken per county and year (China time): a survey's insert into cases takes the next one
 * with an upsert on this row (src/db/commandWrites.ts), whose lock it holds until COMMIT, so surveys in one county
 * take their numbers one after another and a rolled-back survey gives its number back. Written only there (and by
 * the backfill of migration 0016_case_numbers).
 */
export const caseNumberCounters = pgTable(
  'case_number_counters',
  {
    countyCode: varchar('county_code', { length: 6 }).notNull(),
    year: integer('year').notNull(),
    last: integer('last').notNull(),
  },
  (t) => [
    primaryKey({ name: 'case_number_counters_pk', columns: [t.countyCode, t.year] }),
    check('case_number_counters_county_check', sql`${t.countyCode} ~ '^[0-9]{6}$'`),
    check('case_number_counters_year_check', sql`${t.year} between 1000 and 9999`),
    check('case_number_counters_last_check', sql`${t.last} >= 1`),
  ],
);

/**
 * One row per resident held by an open case: the database's guarantee that a person (an ID number) is in one
 * open case at most, whatever the county, however many surveys race (the primary key). A case holds its
 * members from its survey until it leaves for `screenedOut`, `rejected…` or `exited` (release), and again
 * when REOPEN brings it back (re-enrolment, refused when someone else took the person meanwhile). Written
 * only by the command path (src/db/commandWrites.ts), in the transaction of the command that changes it.
 */
export const residentEnrolments = pgTable(
  'resident_enrolments',
  {
    idNumber: varchar('id_number', { length: 18 }).notNull(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    // Deleting the member (UPDATE_SURVEY replaces the member list) releases the person.
    memberId: uuid('member_id')
      .notNull()
      .references(() => members.id, { onDelete: 'cascade' }),
  },
  (t) => [
    primaryKey({ name: 'resident_enrolments_pk', columns: [t.idNumber] }),
    index('resident_enrolments_case_idx').on(t.caseId),
    index('resident_enrolments_member_idx').on(t.memberId),
  ],
);

export const auditRecords = pgTable(
  'audit_records',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    seq: integer('seq').notNull(),
    eventType: text('event_type').notNull(),
    payload: jsonb('payload').$type<unknown>().notNull(),
    actorId: text('actor_id').notNull(),
    actorRole: text('actor_role').notNull(),
    stateBefore: text('state_before'),
    stateAfter: text('state_after').notNull(),
    machineVersion: integer('machine_version').notNull(),
    // Ours (a random UUID per request), the id of the request's log lines.
    requestId: text('request_id'),
    // The caller's own X-Request-Id, when it sent a sane one: kept beside ours, never instead of it.
    clientRequestId: text('client_request_id'),
    // Set by the caller's clock (millisecond precision), never by now(): the hash covers it.
    at: tstz('at').notNull(),
    prevHash: char('prev_hash', { length: 64 }),
    hash: char('hash', { length: 64 }).notNull(),
  },
  (t) => [
    unique('audit_records_case_seq_unique').on(t.caseId, t.seq),
    check('audit_records_seq_check', sql`${t.seq} >= 1`),
    // The first record of a case has no predecessor; every later one has.
    check('audit_records_prev_hash_check', sql`(${t.seq} = 1) = (${t.prevHash} is null)`),
    check('audit_records_hash_check', sql`${t.hash} ~ '^[0-9a-f]{64}$'`),
  ],
);

export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    actorId: text('actor_id').notNull(),
    key: text('key').notNull(),
    caseId: uuid('case_id'),
    // SHA-256 of the request, so a key reused with a different body can be refused.
    requestHash: char('request_hash', { length: 64 }).notNull(),
    statusCode: integer('status_code').notNull(),
    response: jsonb('response').$type<unknown>(),
    createdAt: tstz('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'idempotency_keys_pk', columns: [t.actorId, t.key] }),
    // For pruning old keys.
    index('idempotency_keys_created_idx').on(t.createdAt),
  ],
);

export type RegionRow = typeof regions.$inferSelect;
export type NewRegion = typeof regions.$inferInsert;
export type UserRow = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
export type FacilityRow = typeof facilities.$inferSelect;
export type NewFacility = typeof facilities.$inferInsert;
export type HouseholdRow = typeof households.$inferSelect;
export type NewHousehold = typeof households.$inferInsert;
export type MemberRow = typeof members.$inferSelect;
export type NewMember = typeof members.$inferInsert;
export type CaseRow = typeof cases.$inferSelect;
export type NewCase = typeof cases.$inferInsert;
export type CaseNumberCounterRow = typeof caseNumberCounters.$inferSelect;
export type ResidentEnrolmentRow = typeof residentEnrolments.$inferSelect;
export type AuditRecordRow = typeof auditRecords.$inferSelect;
export type IdempotencyRow = typeof idempotencyKeys.$inferSelect;
export type NewIdempotency = typeof idempotencyKeys.$inferInsert;

// The tables of time live in their own file; one schema for drizzle-kit and the client.
export * from './schemaTime.js';
export * from './schemaCare.js';
export * from './schemaAuth.js';
export * from './schemaAudit.js';
export * from './schemaReports.js';
export * from './schemaExports.js';
export * from './schemaIncome.js';
export * from './schemaImports.js';
