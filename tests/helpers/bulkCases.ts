/**
 * Copies of a real case, made with SQL: `n` new households, members and cases cloned from a template case that
 * was walked through the engine, spread over the given villages (round robin), with fresh ids and case numbers
 * (sequence from `firstSeq`). For tests and the export benchmark that need thousands of cases at one step; the
 * copies have no audit records and hold no resident enrolments (their ID numbers repeat the template's). Runs
 * in batches of 5,000 on PostgreSQL and PGlite alike.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../src/db/index.js';

export async function cloneCases(db: Db, opts: { templateCaseId: string; n: number; villages: readonly string[]; tag: string; firstSeq: number }): Promise<void> {
  const villages = sql.raw(`ARRAY[${opts.villages.map((v) => `'${v.replace(/\D/g, '')}'`).join(',')}]::varchar[]`);
  const k = opts.villages.length;
  const tag = opts.tag.replace(/[^a-z0-9]/gi, '');
  for (let from = 1; from <= opts.n; from += 5000) {
    const to = Math.min(opts.n, from + 4999);
    const plan = sql`select g as n, md5(${`h${tag}`} || g)::uuid as hid, md5(${`c${tag}`} || g)::uuid as cid, (${villages})[1 + g % ${k}] as village from generate_series(${from}::int, ${to}::int) g`;
    await db.execute(sql`
      insert into households (id, village_code, address, poor_id, legal_supporter, created_by, created_at)
      select p.hid, p.village, t.address || p.n, t.poor_id, t.legal_supporter, t.created_by, t.created_at
      from (${plan}) p, households t, cases c where c.id = ${opts.templateCaseId} and t.id = c.household_id`);
    await db.execute(sql`
      insert into members (household_id, position, name, id_number, birth_date, sex, relation, labour_capacity, disabilities, serious_illness, severe_mental_disorder, self_care, categories)
      select p.hid, m.position, m.name || p.n, m.id_number, m.birth_date, m.sex, m.relation, m.labour_capacity, m.disabilities, m.serious_illness, m.severe_mental_disorder, m.self_care, m.categories
      from (${plan}) p, members m, cases c where c.id = ${opts.templateCaseId} and m.household_id = c.household_id`);
    await db.execute(sql`
      insert into cases (id, household_id, machine_id, machine_version, snapshot, state, review_level, village_code, township_code, county_code,
                         deadline_key, deadline_at, application_deadline_at, opened_at, updated_at, closed, placement_mode, facility_id, guardian_id, case_number)
      select p.cid, p.hid, c.machine_id, c.machine_version, c.snapshot, c.state, c.review_level, p.village, left(p.village, 9), left(p.village, 6),
             c.deadline_key, c.deadline_at, c.application_deadline_at, c.opened_at, c.updated_at, c.closed, c.placement_mode, c.facility_id, c.guardian_id,
             left(p.village, 6) || substr(c.case_number, 7, 6) || lpad((${opts.firstSeq}::int + p.n)::text, 6, '0')
      from (${plan}) p, cases c where c.id = ${opts.templateCaseId}`);
  }
}
