/**
 * Worlds for report tests: cases walked over the API (every row written by the command path, so the rollups'
 * triggers see what production sees), and bulk worlds inserted with set-based SQL (households, members and
 * cases at a given state and placement, thousands at once) for figures like the pilot's 503 / 477 / 2,363.
 */
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { idNumber, type TestService, type TestUser } from './service.js';

export function reportWalker(svc: TestService) {
  const today = () => new Date(svc.clock.now().getTime() + 8 * 3600_000).toISOString().slice(0, 10);
  const send = (who: TestUser, caseId: string, body: object) => svc.as(who, 'POST', `/cases/${caseId}/events`, body);
  async function ok(who: TestUser, caseId: string, body: object) {
    const r = await send(who, caseId, body);
    expect(r.status, `${JSON.stringify(r.body)} ${r.status >= 500 ? svc.logLines.filter((l) => l.includes('"level":50')).at(-1) : ''}`).toBe(200);
    return r.body;
  }

  /** A household of `people` members (the head aged 80), surveyed in a village. */
  function survey(villageCode: string, people = 1, opts: { seriousIllness?: string } = {}) {
    return {
      villageCode,
      address: '示例地址',
      legalSupporter: null,
      members: Array.from({ length: people }, (_, i) => ({
        name: `成员${i + 1}`, idNumber: idNumber(i === 0 ? '1946-05-01' : '1970-05-01', 'male', villageCode.slice(0, 6)),
        birthDate: i === 0 ? '1946-05-01' : '1970-05-01', sex: 'male', relation: i === 0 ? '户主' : '子', labourCapacity: 'none',
        seriousIllness: opts.seriousIllness ?? null,
      })),
    };
  }

  async function opened(who: TestUser, villageCode: string, people = 1, opts: { seriousIllness?: string } = {}) {
    const r = await svc.as(who, 'POST', '/households', survey(villageCode, people, opts));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.caseId as string;
  }

  /** Survey submitted and evaluated with the given categories per member; left at village review. */
  async function toReview(caseId: string, categories: string[][], evaluator: TestUser = 'evaluator', enumerator: TestUser = 'enumerator') {
    await ok(enumerator, caseId, { type: 'SUBMIT_SURVEY' });
    const c = await ok(evaluator, caseId, { type: 'START_EVALUATION' });
    for (const [i, m] of (c.household.members as { id: string }[]).entries()) {
      await ok(evaluator, caseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: categories[i] ?? categories[0], labourCapacity: 'none', evidence: ['证明'] } });
    }
    await ok(evaluator, caseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
  }

  /** Three approvals, the notice's seven days, its end: awaiting placement (all the cases together). */
  async function toApproved(...caseIds: string[]) {
    for (const caseId of caseIds) for (const who of ['village', 'township', 'county'] as const) await ok(who, caseId, { type: 'APPROVE' });
    svc.clock.advanceDays(7);
    for (const caseId of caseIds) expect((await ok('system', caseId, { type: 'NOTICE_PERIOD_ENDED' })).state).toBe('awaitingPlacement');
  }

  async function facility(body: Record<string, unknown>) {
    const r = await svc.as('admin', 'POST', '/facilities', { regionCode: '411282108000', medicalStaff: 0, ...body });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body as { id: string };
  }

  async function guardian(name: string) {
    const r = await svc.as('officer', 'POST', '/guardians', { regionCode: '411282108201', name, kind: 'neighbour', maxWards: 10 });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body as { id: string };
  }

  const agreement = () => ({ signedOn: today(), startDate: today(), termMonths: 12, signatories: { villageCommittee: true, guardian: true, beneficiary: true } });
  const placeAt = (caseId: string, facilityId: string, mode = 'centralized_support') => ok('officer', caseId, { type: 'PLACE', mode, startDate: today(), facilityId });
  const placeWith = (caseId: string, guardianId: string) =>
    ok('officer', caseId, { type: 'PLACE', mode: 'dispersed_care', startDate: today(), agreement: agreement(), guardianId, appointedByTownship: true });
  const revisit = (caseId: string) => ok('visitor', caseId, { type: 'RECORD_REVISIT', date: today(), livingConditions: '良好', health: '稳定', problems: '', reassessmentNeeded: false });

  return { send, ok, today, opened, toReview, toApproved, facility, guardian, placeAt, placeWith, revisit };
}

let caseSerial = 500000;

/**
 * Inserts `households` households of `membersEach` members in a village, each with one case in `state` (and
 * `placementMode`), members in `categories`; set-based (one statement per table). The rollup triggers count them.
 */
export async function insertBulk(db: Db, g: { villageCode: string; state: string; placementMode?: string | null; households: number; membersEach: number; categories?: string[] }) {
  const first = caseSerial;
  caseSerial += g.households;
  const county = g.villageCode.slice(0, 6);
  const cats = `{${(g.categories ?? []).join(',')}}`;
  // Households and members first, the cases in a statement of their own: the cases' trigger counts the members
  // it finds (a members trigger that found the case too, in the same statement, would count them twice).
  await db.execute(sql`with h as (
      insert into households (id, village_code, address, created_by, created_at)
      select gen_random_uuid(), ${g.villageCode}, ${`批量${first}`}, gen_random_uuid(), '2026-01-10T02:00:00Z' from generate_series(1, ${g.households}) s
      returning id),
    hs as (select id, row_number() over () as rn from h)
    insert into members (household_id, position, name, id_number, birth_date, sex, relation, labour_capacity, categories)
    select hs.id, p, '批量成员', lpad((${first}::bigint * 10 + hs.rn * 10 + p)::text, 18, '9'), '1950-01-01', 'male', '户主', 'none', ${cats}::text[]
    from hs cross join generate_series(1, ${g.membersEach}) p`);
  await db.execute(sql`insert into cases (household_id, machine_id, machine_version, snapshot, state, village_code, township_code, county_code,
      placement_mode, opened_at, case_number, closed)
    select h.id, 'case', 1, '{}'::jsonb, ${g.state}, ${g.villageCode}, left(${g.villageCode}, 9), ${county}, ${g.placementMode ?? null},
      '2026-01-10T02:00:00Z', ${county} || '-2026-' || lpad((${first} + row_number() over (order by h.id))::text, 6, '0'), ${g.state === 'exited'}
    from households h where h.address = ${`批量${first}`}`);
}
