import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { rows } from '../../src/db/types.js';
import { createTestDb, testDbKind, type TestDb } from '../helpers/db.js';

describe(`migrations (${testDbKind()})`, () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('runs on the expected driver', () => {
    expect(t.kind).toBe(testDbKind());
  });

  it('creates every table', async () => {
    const tables = rows<{ table_name: string }>(
      await t.db.execute(
        sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
      ),
    ).map((r) => r.table_name);
    expect(tables).toEqual([
      'audit_checkpoint_heads',
      'audit_checkpoints',
      'audit_records',
      'calendar_days',
      'calendar_years',
      'case_number_counters',
      'cases',
      'dividend_references',
      'export_log',
      'facilities',
      'guardians',
      'household_income',
      'households',
      'idempotency_keys',
      'import_jobs',
      'members',
      'notifications',
      'rate_limit_hits',
      'regions',
      'report_approvals',
      'report_case_counts',
      'report_category_counts',
      'report_flows',
      'report_revisits',
      'resident_enrolments',
      'revisits',
      'security_log',
      'sessions',
      'setting_history',
      'settings',
      'timers',
      'users',
      'webhook_deliveries',
      'webhooks',
    ]);
  });

  it('records every migration in the journal, and a second run applies nothing', async () => {
    const journal = JSON.parse(readFileSync(new URL('../../migrations/meta/_journal.json', import.meta.url), 'utf8'));
    const count = async () =>
      Number(
        rows<{ n: number | string }>(await t.db.execute(sql`select count(*) as n from drizzle.__drizzle_migrations`))[0]
          .n,
      );
    expect(await count()).toBe(journal.entries.length);
    await migrate(t);
    expect(await count()).toBe(journal.entries.length);
  });

  it('installs the append-only triggers', async () => {
    const triggers = rows<{ tgname: string }>(
      await t.db.execute(
        sql`select tgname from pg_trigger where tgrelid = 'audit_records'::regclass and not tgisinternal order by tgname`,
      ),
    ).map((r) => r.tgname);
    // …and the report rollups' trigger (migration 0018), which only reads the new record.
    expect(triggers).toEqual(['audit_records_append_only', 'audit_records_no_truncate', 'report_audit_rollup']);
    const securityLog = rows<{ tgname: string }>(
      await t.db.execute(sql`select tgname from pg_trigger where tgrelid = 'security_log'::regclass and not tgisinternal order by tgname`),
    ).map((r) => r.tgname);
    expect(securityLog).toEqual(['security_log_append_only', 'security_log_no_truncate']);
  });

  it('makes the checkpoint tables append-only too', async () => {
    const hex = 'a'.repeat(64);
    await t.db.execute(sql`insert into audit_checkpoints values (1, 0, now(), 0, 0, ${hex}, ${hex}, 'sig')`);
    await t.db.execute(sql`insert into audit_checkpoint_heads values (1, gen_random_uuid(), 1, ${hex})`);
    for (const table of ['audit_checkpoints', 'audit_checkpoint_heads']) {
      await expect(t.db.execute(sql.raw(`delete from ${table}`))).rejects.toMatchObject({ cause: { message: `${table} is append-only: DELETE refused` } });
      await expect(t.db.execute(sql.raw(`truncate ${table}`))).rejects.toMatchObject({ cause: { message: `${table} is append-only: TRUNCATE refused` } });
    }
  });

  it('makes the history of money settings append-only', async () => {
    await t.db.execute(sql`insert into setting_history (setting, scope, version, value, actor_id, actor_username, at) values ('care_projection', '4112', 1, '{}', gen_random_uuid(), 'a', now())`);
    await expect(t.db.execute(sql`delete from setting_history`)).rejects.toMatchObject({ cause: { message: 'setting_history is append-only: DELETE refused' } });
    await expect(t.db.execute(sql`truncate setting_history`)).rejects.toMatchObject({ cause: { message: 'setting_history is append-only: TRUNCATE refused' } });
  });

  it('answers ping', async () => {
    await expect(t.ping()).resolves.toBeUndefined();
  });
});
